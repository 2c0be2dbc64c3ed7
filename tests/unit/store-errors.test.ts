/**
 * The store's error mapping: IndexedDB's DOMException names become the app's named storage errors
 * with numbers and a sentence saying what to do. The real quota path runs in Chromium
 * (tests/browser/store.test.ts); here a put that fails with QuotaExceededError stands in for it.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Store, isPersisted, requestPersistence, storageEstimate, toStorageError } from '../../src/store';
import { AppError } from '../../src/core/errors';
import type { Chunk } from '../../src/ingest/types';
import { chunkId } from '../../src/core/ids';

const estimate = (): Promise<{ usage: number; quota: number }> => Promise.resolve({ usage: 9_500_000, quota: 10_000_000 });

describe('toStorageError', () => {
  it('turns QuotaExceededError into StorageQuotaExceeded with usage and quota', async () => {
    const e = await toStorageError(new DOMException('quota', 'QuotaExceededError'), estimate);
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ name: 'StorageQuotaExceeded', data: { usage: 9_500_000, quota: 10_000_000 } });
    expect((e as AppError).message).toMatch(/full \(9\.1 MB of 9\.5 MB used\).*Delete documents/);
    expect((e as AppError).causeText).toBe('quota');
  });

  it('still names the error when the browser gives no estimate', async () => {
    const e = await toStorageError(new DOMException('quota', 'QuotaExceededError'), () => Promise.resolve(null));
    expect(e).toMatchObject({ name: 'StorageQuotaExceeded', data: { usage: null, quota: null } });
    expect((e as AppError).message).toMatch(/storage for ragscope is full, so nothing was stored/);
  });

  it('maps unusable storage to StorageUnavailable and a newer database to a reload', async () => {
    for (const name of ['UnknownError', 'SecurityError', 'InvalidStateError']) {
      expect(await toStorageError(new DOMException('x', name), estimate)).toMatchObject({ name: 'StorageUnavailable' });
    }
    const newer = await toStorageError(new DOMException('x', 'VersionError'), estimate);
    expect(newer).toMatchObject({ name: 'StorageUnavailable', message: expect.stringMatching(/newer version.*Reload/) });
  });

  it('leaves programming errors and AppErrors as they are', async () => {
    const clone = new DOMException('x', 'DataCloneError');
    expect(await toStorageError(clone, estimate)).toBe(clone);
    const app = new AppError('InvalidRequest', 'no');
    expect(await toStorageError(app, estimate)).toBe(app);
    const plain = new TypeError('bug');
    expect(await toStorageError(plain, estimate)).toBe(plain);
  });
});

describe('a write that runs out of quota', () => {
  afterEach(() => vi.restoreAllMocks());

  it('fails with StorageQuotaExceeded and leaves nothing of the document', async () => {
    const store = await Store.open('quota', { indexedDB: new IDBFactory(), channel: null, estimate });
    const chunks: Chunk[] = [0, 1, 2].map((i) => ({
      id: chunkId('d', i),
      docId: 'd',
      ordinal: i,
      text: `t${i}`,
      start: 0,
      end: 2,
      headingPath: [],
      tokens: 1,
    }));
    const keyword = chunks.map((c) => ({ chunkId: c.id, length: 1, terms: ['t'], tf: new Uint16Array([1]) }));
    const doc = { id: 'd', name: 'd.txt', format: 'text' as const, size: 6, warnings: [], chars: 6 };
    // The third chunk's put is refused the way a full disk refuses it.
    const put = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if ((value as { id?: string }).id === 'd:2') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.call(this, value, key);
    });
    const err = await store.addDocument('default', doc, chunks, keyword).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect(err).toMatchObject({ name: 'StorageQuotaExceeded', data: { usage: 9_500_000, quota: 10_000_000 } });
    expect(await store.getDocument('default', 'd')).toBeNull();
    expect(await store.chunksOf('default', 'd')).toEqual([]);
    expect((await store.loadIndex('default')).keyword).toEqual([]);
    expect(await store.addDocument('default', doc, chunks, keyword)).toBe('added');
    store.close();
  });
});

describe('storage helpers where navigator.storage is absent (Node)', () => {
  it('answer unknown instead of throwing', async () => {
    expect(await storageEstimate()).toBeNull();
    expect(await requestPersistence()).toBe(false);
    expect(await isPersisted()).toBe(false);
  });

  it('use navigator.storage where it exists', async () => {
    const persist = vi.fn(() => Promise.resolve(true));
    vi.stubGlobal('navigator', {
      storage: { estimate: () => Promise.resolve({ usage: 5, quota: 100 }), persisted: () => Promise.resolve(false), persist },
    });
    try {
      expect(await storageEstimate()).toEqual({ usage: 5, quota: 100 });
      expect(await requestPersistence()).toBe(true);
      expect(persist).toHaveBeenCalledOnce();
      expect(await isPersisted()).toBe(false);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
