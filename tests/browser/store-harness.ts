/**
 * Test-only page for the store in Chromium's real IndexedDB: runs the shared behaviour cases
 * (tests/store-cases.ts) by name, drives one Store per tab for the cross-tab tests, and measures
 * writing and loading a large collection against a single-record baseline.
 */
import { Store, type StoreChange } from '../../src/store';
import type { KeywordEntry } from '../../src/index/types';
import type { Chunk } from '../../src/ingest/types';
import { chunkId } from '../../src/core/ids';
import { mulberry32 } from '../../src/core/random';
import { runStoreCase, storeCases } from '../store-cases';

export interface Measurement {
  docs: number;
  chunks: number;
  dim: number;
  /** Bytes of vectors, and of chunk texts + keyword entries as JSON (the baseline's payload). */
  vectorBytes: number;
  otherBytes: number;
  addDocumentsMs: number;
  putVectorsMs: number;
  /** loadIndex(collection, model): first call after writing, then the best of three more. */
  loadIndexFirstMs: number;
  loadIndexBestMs: number;
  loadKeywordOnlyMs: number;
  loadedEntries: number;
  loadedRows: number;
  baselineWriteMs: number;
  baselineReadMs: number;
  /** Baseline read plus turning its bytes back into entries (JSON.parse) and a Float32Array. */
  baselineReadDecodeMs: number;
  usage: number | null;
}

const WORDS = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x`);

function syntheticDoc(d: number, chunksPerDoc: number, dim: number, rand: () => number) {
  const id = `bench-${d.toString().padStart(4, '0')}`;
  const chunks: Chunk[] = [];
  const keyword: KeywordEntry[] = [];
  let offset = 0;
  for (let i = 0; i < chunksPerDoc; i++) {
    // ~1000 characters and ~60 distinct terms per chunk: a 250-token chunk of prose.
    const words = Array.from({ length: 160 }, () => WORDS[Math.floor(rand() * WORDS.length)]!);
    const text = words.join(' ');
    const counts = new Map<string, number>();
    for (const w of words.slice(0, 90)) counts.set(w, (counts.get(w) ?? 0) + 1);
    chunks.push({
      id: chunkId(id, i),
      docId: id,
      ordinal: i,
      text,
      start: offset,
      end: offset + text.length,
      headingPath: ['Section'],
      tokens: 250,
    });
    keyword.push({ chunkId: chunkId(id, i), length: 90, terms: [...counts.keys()], tf: Uint16Array.from(counts.values()) });
    offset += text.length + 2;
  }
  const vectors = new Float32Array(chunksPerDoc * dim);
  for (let j = 0; j < vectors.length; j++) vectors[j] = rand() - 0.5;
  return { doc: { id, name: `${id}.txt`, format: 'text' as const, size: offset, warnings: [], chars: offset }, chunks, keyword, vectors };
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error);
  });
}

async function deleteDb(name: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });
}

async function measure(docCount = 100, chunksPerDoc = 100, dim = 384): Promise<Measurement> {
  const rand = mulberry32(42); // seeded: every run measures the same data
  const docs = Array.from({ length: docCount }, (_, d) => syntheticDoc(d, chunksPerDoc, dim, rand));
  const model = 'bench-model';
  const name = 'ragscope-bench';
  await deleteDb(name);
  const store = await Store.open(name, { channel: null });
  try {
    let t = performance.now();
    for (const x of docs) await store.addDocument('default', x.doc, x.chunks, x.keyword);
    const addDocumentsMs = performance.now() - t;
    t = performance.now();
    for (const x of docs) await store.putVectors('default', x.doc.id, model, dim, x.vectors);
    const putVectorsMs = performance.now() - t;

    t = performance.now();
    let loaded = await store.loadIndex('default', model);
    const loadIndexFirstMs = performance.now() - t;
    let loadIndexBestMs = Infinity;
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      loaded = await store.loadIndex('default', model);
      loadIndexBestMs = Math.min(loadIndexBestMs, performance.now() - t);
    }
    t = performance.now();
    await store.loadIndex('default');
    const loadKeywordOnlyMs = performance.now() - t;
    const usage = (await navigator.storage.estimate()).usage ?? null;

    // Baseline: the same payload as one record (vectors in one ArrayBuffer, the rest as JSON bytes).
    const all = new Float32Array(docCount * chunksPerDoc * dim);
    docs.forEach((x, d) => all.set(x.vectors, d * chunksPerDoc * dim));
    const json = JSON.stringify(docs.map((x) => ({ chunks: x.chunks, keyword: x.keyword.map((e) => ({ ...e, tf: Array.from(e.tf) })) })));
    const other = new TextEncoder().encode(json);
    const rawName = 'ragscope-bench-raw';
    await deleteDb(rawName);
    const rawDb = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(rawName, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('blobs');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    t = performance.now();
    const wtx = rawDb.transaction('blobs', 'readwrite');
    wtx.objectStore('blobs').put({ vectors: all.buffer, other: other.buffer }, 'all');
    await committed(wtx);
    const baselineWriteMs = performance.now() - t;
    let baselineReadMs = Infinity;
    let baselineReadDecodeMs = Infinity;
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      const rec = await request(
        rawDb.transaction('blobs').objectStore('blobs').get('all') as IDBRequest<{ vectors: ArrayBuffer; other: ArrayBuffer }>,
      );
      baselineReadMs = Math.min(baselineReadMs, performance.now() - t);
      const decoded = JSON.parse(new TextDecoder().decode(rec.other)) as unknown[];
      const vec = new Float32Array(rec.vectors);
      if (decoded.length !== docCount || vec.length !== all.length) throw new Error('baseline read back the wrong data');
      baselineReadDecodeMs = Math.min(baselineReadDecodeMs, performance.now() - t);
    }
    rawDb.close();
    await deleteDb(rawName);
    return {
      docs: docCount,
      chunks: docCount * chunksPerDoc,
      dim,
      vectorBytes: all.byteLength,
      otherBytes: other.byteLength,
      addDocumentsMs,
      putVectorsMs,
      loadIndexFirstMs,
      loadIndexBestMs,
      loadKeywordOnlyMs,
      loadedEntries: loaded.keyword.length,
      loadedRows: loaded.vectors?.chunks ?? 0,
      baselineWriteMs,
      baselineReadMs,
      baselineReadDecodeMs,
      usage,
    };
  } finally {
    store.close();
    await deleteDb(name);
  }
}

/**
 * Adds one document whose kept original is `bytes` long to the database `name` (kept between
 * calls): under a quota lowered by the test (through CDP) the write must fail whole and be named.
 */
async function quotaWrite(name: string, bytes: number) {
  const store = await Store.open(name, { channel: null });
  try {
    const chunk: Chunk = { id: 'big:0', docId: 'big', ordinal: 0, text: 'x', start: 0, end: 1, headingPath: [], tokens: 1 };
    const keyword: KeywordEntry[] = [{ chunkId: 'big:0', length: 1, terms: ['x'], tf: new Uint16Array([1]) }];
    const filler = new Uint8Array(bytes);
    for (let i = 0; i < filler.length; i += 4096) filler[i] = i & 255;
    const doc = { id: 'big', name: 'big.pdf', format: 'pdf' as const, size: bytes, warnings: [], chars: 1, original: new Blob([filler]) };
    let status: string | null = null;
    let error: { name: string; message: string; data: unknown } | null = null;
    try {
      status = await store.addDocument('default', doc, [chunk], keyword);
    } catch (e) {
      error = { name: (e as Error).name, message: (e as Error).message, data: (e as { data?: unknown }).data ?? null };
    }
    return {
      status,
      error,
      documents: (await store.listDocuments('default')).length,
      chunks: (await store.chunksOf('default', 'big')).length,
      keyword: (await store.loadIndex('default')).keyword.length,
    };
  } finally {
    store.close();
  }
}

// One Store per tab for the cross-tab tests: what it heard is kept for the test to read.
let tabStore: Store | null = null;
const tabEvents: { changes: StoreChange[]; closed: string[] } = { changes: [], closed: [] };

const storeHarness = {
  caseNames: () => Object.keys(storeCases),
  runCase: (name: string) => runStoreCase(name, indexedDB),
  measure,
  quotaWrite,
  deleteDb,
  async tabOpen(name: string, channel: string) {
    tabStore = await Store.open(name, { channel });
    tabStore.onChange((c) => tabEvents.changes.push(c));
    tabStore.onClosed((info) => tabEvents.closed.push(info.reason));
  },
  async tabAdd(docId: string) {
    const chunk: Chunk = { id: chunkId(docId, 0), docId, ordinal: 0, text: 'hello', start: 0, end: 5, headingPath: [], tokens: 1 };
    return tabStore!.addDocument(
      'default',
      { id: docId, name: `${docId}.txt`, format: 'text', size: 5, warnings: [], chars: 5 },
      [chunk],
      [{ chunkId: chunk.id, length: 1, terms: ['hello'], tf: new Uint16Array([1]) }],
    );
  },
  async tabDocuments() {
    return (await tabStore!.listDocuments('default')).map((d) => d.id);
  },
  tabEvents: () => tabEvents,
  /** A newer ragscope in this tab: opens the database at a higher version, without a Store. */
  async tabUpgrade(name: string, version: number) {
    return new Promise<string>((resolve, reject) => {
      const req = indexedDB.open(name, version);
      req.onblocked = () => resolve('blocked');
      req.onsuccess = () => {
        req.result.close();
        resolve('opened');
      };
      req.onerror = () => reject(req.error);
    });
  },
};

export type StoreHarness = typeof storeHarness;

// The Node side reaches these through page.evaluate.
Object.assign(globalThis, { storeHarness, runCase: storeHarness.runCase });
document.body.dataset.ready = 'true';
