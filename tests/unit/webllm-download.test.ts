// Fetching a web-llm model ahead of its load, from a mirror served here, into web-llm's own
// IndexedDB layout (fake-indexeddb in Node; the Cache API layout is covered in Chromium by
// tests/browser/webllm.test.ts). web-llm's own `hasModelInCache` is the judge of the layout.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasModelInCache, type AppConfig } from '@mlc-ai/web-llm';
import { cachedModelBytes, deleteModel, downloadModel, indexedDbStore, type ArtifactStore } from '../../src/generate/webllm-download';
import { webllmAppConfig } from '../../src/generate/webllm-engine';
import type { Progress } from '../../src/core/progress';
import { EMPTY_WASM, LIBRARY_FILE, MIRROR_MODEL, serveMirror, type Mirror } from '../fixtures/webllm-mirror';

let mirror: Mirror;
let store: ArtifactStore;
let appConfig: AppConfig;

async function start(opts: Parameters<typeof serveMirror>[0] = {}): Promise<void> {
  mirror = await serveMirror(opts);
  appConfig = webllmAppConfig({ kind: 'mirror', baseUrl: mirror.url }, 'http://app.test', 'indexeddb');
}

const record = () => appConfig.model_list.find((r) => r.model_id === MIRROR_MODEL)!;

beforeEach(() => {
  // A fresh browser profile per test: web-llm opens the global indexedDB, so replace that too.
  globalThis.indexedDB = new IDBFactory();
  store = indexedDbStore();
});
afterEach(async () => {
  await mirror?.close();
});

describe('downloading a web-llm model', () => {
  it('fetches every file once, with byte progress, into the place web-llm loads it from', async () => {
    await start();
    expect(await hasModelInCache(MIRROR_MODEL, appConfig)).toBe(false);
    const seen: Progress[] = [];
    const summary = await downloadModel(record(), store, { onProgress: (p) => seen.push(p) });

    expect([...mirror.requests].sort()).toEqual([...mirror.files.keys()].sort());
    expect(summary).toMatchObject({ totalBytes: mirror.totalBytes, fetchedBytes: mirror.totalBytes, fetchedFiles: mirror.files.size });
    // Bytes, rising, with many steps in between, ending exactly at the total.
    expect(seen.every((p) => p.unit === 'bytes' && p.stage === 'download')).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.loaded).toBeGreaterThanOrEqual(seen[i - 1]!.loaded);
    expect(seen.filter((p) => p.loaded > 0 && p.loaded < p.total).length).toBeGreaterThan(5);
    expect(seen.at(-1)).toMatchObject({ done: true, loaded: mirror.totalBytes, total: mirror.totalBytes });

    expect(await hasModelInCache(MIRROR_MODEL, appConfig)).toBe(true);
    expect(await store.has('webllm/wasm', record().model_lib)).toBe(true);
    expect(await cachedModelBytes(record(), store)).toBe(620_000);

    // Again: nothing is fetched, and nothing stored is read but the two manifests (IndexedDB
    // cannot tell a size unread, so the tokenizer and library count 0 there).
    mirror.requests.length = 0;
    const again = await downloadModel(record(), store);
    expect(again).toMatchObject({ fetchedFiles: 0, fetchedBytes: 0 });
    expect(again.totalBytes).toBeGreaterThan(620_000);
    expect(mirror.requests).toEqual([]);
  });

  it('after the network drops mid-file, trying again fetches only what did not finish', async () => {
    await start({ pauseMs: 2 });
    mirror.breakOnce('params_shard_0.bin', 'cut');
    const first = await downloadModel(record(), store).catch((e: unknown) => e);
    expect(first).toMatchObject({ name: 'ModelDownloadFailed', message: expect.stringMatching(/params_shard_0\.bin.*kept/) });
    expect(await hasModelInCache(MIRROR_MODEL, appConfig)).toBe(false);
    // The half file was not stored.
    expect(await store.has('webllm/model', `${mirror.folder}params_shard_0.bin`)).toBe(false);

    const finished = new Set(mirror.completed);
    mirror.requests.length = 0;
    await downloadModel(record(), store);
    expect(mirror.requests).toContain('params_shard_0.bin');
    for (const f of finished) expect(mirror.requests, `${f} was already downloaded`).not.toContain(f);
    expect(await hasModelInCache(MIRROR_MODEL, appConfig)).toBe(true);
  });

  it('refuses a web page where a JSON file should be, and stores nothing broken', async () => {
    await start();
    mirror.breakOnce('mlc-chat-config.json', 'html');
    await expect(downloadModel(record(), store)).rejects.toMatchObject({
      name: 'ModelNotFound',
      message: expect.stringMatching(/not valid JSON.*web page/),
    });
    expect(await store.has('webllm/config', `${mirror.folder}mlc-chat-config.json`)).toBe(false);
    // The next try gets the real file (a cached web page would have failed forever).
    await downloadModel(record(), store);
    expect(await hasModelInCache(MIRROR_MODEL, appConfig)).toBe(true);
  });

  it('names a missing or foreign model library at the library step, and keeps the weights', async () => {
    await start({ library: EMPTY_WASM });
    await expect(downloadModel(record(), store)).rejects.toMatchObject({
      name: 'ModelLibraryUnavailable',
      message: expect.stringMatching(/not a compiled MLC model library/),
    });
    expect(await store.has('webllm/wasm', record().model_lib)).toBe(false);
    expect(await cachedModelBytes(record(), store)).toBe(620_000);

    mirror.breakOnce(LIBRARY_FILE, '404');
    await expect(downloadModel(record(), store)).rejects.toMatchObject({
      name: 'ModelLibraryUnavailable',
      message: expect.stringMatching(/HTTP 404/),
    });
  });

  it('names a missing model as not found on the mirror', async () => {
    await start();
    mirror.breakOnce('tensor-cache.json', '404');
    await expect(downloadModel(record(), store)).rejects.toMatchObject({
      name: 'ModelNotFound',
      message: expect.stringMatching(/tensor-cache\.json.*HTTP 404/),
    });
  });

  it('stops when cancelled, keeping the files that finished', async () => {
    await start({ pauseMs: 20 });
    const controller = new AbortController();
    const failed = downloadModel(record(), store, {
      signal: controller.signal,
      onProgress: (p) => p.loaded > 200_000 && controller.abort(),
    }).catch((e: unknown) => e);
    expect(await failed).toMatchObject({ name: 'Cancelled' });
    expect(await hasModelInCache(MIRROR_MODEL, appConfig)).toBe(false);
    expect(await store.has('webllm/config', `${mirror.folder}mlc-chat-config.json`)).toBe(true);
  });

  it('deletes every file of the model, and only that', async () => {
    await start();
    await downloadModel(record(), store);
    await store.put(
      'webllm/model',
      'https://elsewhere.test/other/tensor-cache.json',
      new TextEncoder().encode('{"records":[]}').buffer,
      'json',
    );
    await deleteModel(record(), store);
    expect(await hasModelInCache(MIRROR_MODEL, appConfig)).toBe(false);
    for (const name of mirror.files.keys()) {
      const scope = name === LIBRARY_FILE ? 'webllm/wasm' : name === 'mlc-chat-config.json' ? 'webllm/config' : 'webllm/model';
      const url = name === LIBRARY_FILE ? record().model_lib : `${mirror.folder}${name}`;
      expect(await store.has(scope, url), name).toBe(false);
    }
    expect(await store.has('webllm/model', 'https://elsewhere.test/other/tensor-cache.json')).toBe(true);
    expect(await cachedModelBytes(record(), store)).toBeNull();
  });
});
