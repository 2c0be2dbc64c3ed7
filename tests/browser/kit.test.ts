/**
 * A whole workshop kit, as an instructor makes it and an attendee runs it: `buildKit` fetches the
 * models from a local server imitating the model hosts, builds the app into the kit and adds a
 * prepared collection (exported in Node from the real store, embedded with the real tiny BERT); the
 * kit's own `serve.mjs` serves it; Chromium opens it with no saved settings. "Try the sample
 * documents" imports the prepared collection, a dropped document is embedded with the kit's model,
 * the question is answered with the kit's language model, and nothing is requested from anywhere
 * but the kit's server.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { askAndWait, useChromium } from './app';
import { buildKit, parseKitArgs } from '../../src/cli/kit';
import { serveTinyHost, tinyKitArgs, type Mirror } from '../fixtures/webllm-mirror';
import { fixtureModels } from '../fixtures/models';
import { writeFileSync } from 'node:fs';
import { Store, documentFields, DEFAULT_COLLECTION } from '../../src/store';
import { ingestFile } from '../../src/ingest/ingest';
import { keywordEntry } from '../../src/index/analyze';
import { TransformersEmbedder } from '../../src/embed/transformers';
import { exportCollection } from '../../src/bundle/bundle';

const QUESTION = 'Which room floods at spring tide?';

/** A prepared collection, as an instructor would export it from the app: one document, embedded with tiny-bert. */
async function preparedBundle(dir: string): Promise<string> {
  const store = await Store.open('kit-bundle', { indexedDB: new IDBFactory(), channel: `kit-bundle-${Math.random()}` });
  const text = '# Harbour notes\n\nThe archive room floods at every spring tide, so the records moved upstairs.\n';
  const r = await ingestFile(new Blob([text]), { name: 'harbour.md', maxBytes: 1e6, chunking: { chunkTokens: 64, overlapTokens: 8 } });
  if (r.kind !== 'parsed') throw new Error('expected a parsed document');
  await store.addDocument(
    DEFAULT_COLLECTION.id,
    documentFields(r.doc, new Blob([text])),
    r.doc.chunks,
    r.doc.chunks.map((c) => keywordEntry(c.id, c.text)),
  );
  const embedder = new TransformersEmbedder();
  await embedder.load({ model: 'tiny-bert', source: { kind: 'local', path: fixtureModels() }, device: 'wasm', dtype: 'fp32' });
  const out = await embedder.embed({ texts: r.doc.chunks.map((c) => c.text), kind: 'passage', batchSize: 8 });
  await store.putVectors(DEFAULT_COLLECTION.id, r.doc.id, 'tiny-bert', out.dim, out.vectors);
  await embedder.dispose();
  const { bytes } = await exportCollection(store, DEFAULT_COLLECTION.id, {
    model: 'tiny-bert',
    chunking: { chunkTokens: 64, overlapTokens: 8 },
    originals: true,
  });
  store.close();
  const file = path.join(dir, 'harbour.ragscope.zip');
  writeFileSync(file, bytes);
  return file;
}

const chromium = useChromium();
let hostServer: Mirror;
let kitServer: ChildProcess | null = null;
let kitUrl = '';

beforeAll(async () => {
  const models = fixtureModels();
  hostServer = await serveTinyHost(models);
  const out = mkdtempSync(path.join(tmpdir(), 'ragscope-kit-app-'));
  const bundle = await preparedBundle(mkdtempSync(path.join(tmpdir(), 'ragscope-kit-bundle-')));
  const args = parseKitArgs([
    '--bundle',
    bundle,
    '--question',
    QUESTION,
    ...tinyKitArgs(out, hostServer),
    // This machine's GPU is a software one: run both models on WASM, briefly.
    '--defaults',
    JSON.stringify({
      embedding: { device: 'wasm' },
      llm: { engine: 'transformers', transformersDevice: 'wasm', maxTokens: 8 },
      ingest: { chunkTokens: 64, overlapTokens: 8 },
    }),
  ]);
  if (typeof args !== 'object') throw new Error(String(args));
  const report = await buildKit(args, () => undefined);
  if (!report.ok || !report.app) throw new Error(`kit incomplete: ${JSON.stringify(report.models)}`);

  // Served exactly as the kit's README says, by the kit's own server.
  const server = spawn(process.execPath, [path.join(out, 'serve.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  kitServer = server;
  kitUrl = await new Promise<string>((resolve, reject) => {
    server.stdout.on('data', (b: Buffer) => {
      const m = /(http:\/\/\S+)/.exec(b.toString());
      if (m) resolve(m[1]!);
    });
    server.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
  });
}, 300_000);

afterAll(async () => {
  kitServer?.kill();
  await hostServer?.close();
});

describe('workshop kit', () => {
  it("serves the app with its models from the kit's folder: documents embedded, questions answered, nothing fetched from elsewhere", async () => {
    const o = await chromium.open(kitUrl, '/');
    const { page, requests, errors } = o;
    hostServer.requests.length = 0;
    await page.getByTestId('library-summary').waitFor();

    // The prepared collection arrives whole: already chunked and embedded, nothing to process.
    await page.getByTestId('try-samples').click();
    await expect
      .poll(
        () =>
          page
            .getByTestId('bundle-status')
            .textContent()
            .catch(() => ''),
        { timeout: 30_000 },
      )
      .toMatch(/Imported “My documents \(imported\)”: 1 document/);
    await expect.poll(() => page.locator('[data-testid="doc-row"][data-embedded="true"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId('compare-question').inputValue()).toBe(QUESTION);
    // And a document dropped in the room is embedded with the kit's own model.
    await page.getByTestId('file-input').setInputFiles([
      {
        name: 'room.md',
        mimeType: 'text/plain',
        buffer: Buffer.from('# Room\n\nThe workshop room has no internet, only a kit on each laptop.\n'),
      },
    ]);
    await expect.poll(() => page.locator('[data-testid="doc-row"][data-embedded="true"]').count(), { timeout: 90_000 }).toBe(2);
    await askAndWait(page);
    await page.getByTestId('prompts').locator('summary').click();
    expect(await page.getByTestId('prompt-grounded').textContent()).toContain('archive room floods');
    expect(await page.getByTestId('compare').textContent()).toMatch(/tiny-gpt2 · in this tab \(transformers\.js, wasm\)/);

    // Every request went to the kit's server; the model host was never asked.
    const origin = new URL(kitUrl).origin;
    const web = requests.filter((u) => /^https?:/.test(u));
    expect(web.filter((u) => new URL(u).origin !== origin)).toEqual([]);
    expect(web.some((u) => u.includes('/models/tiny-bert/'))).toBe(true);
    expect(web.some((u) => u.includes('/models/tiny-gpt2/'))).toBe(true);
    expect(hostServer.requests).toEqual([]);
    // The kit's server sends the app's policy, which binds the workers too.
    const res = await fetch(`${kitUrl}index.html`);
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    // It names no file outside its folder, and a malformed address does not bring it down.
    expect((await fetch(`${kitUrl}..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
    expect((await fetch(`${kitUrl}%E0%A4%A`)).status).toBe(404);
    expect((await fetch(`${kitUrl}serve.mjs`)).status).toBe(200);
    expect(errors).toEqual([]);
  });
});
