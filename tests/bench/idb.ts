/**
 * Bench page: IndexedDB in a real browser, the app's store (src/store/) against a raw baseline.
 *
 * - `bench.store(...)`: stores N chunks with their keyword entries and 384-d vectors through
 *   `Store.addDocument` + `Store.putVectors` (one document at a time, as ingest does), then the same
 *   data encoded into ONE ArrayBuffer put as ONE record in a bare database: the floor of what
 *   IndexedDB costs for these bytes. Both timings start from the same in-memory objects.
 * - Loaded as `idb.html?ready=app|raw`, the page measures from navigation start to "ready to
 *   query": open the database, read the keyword entries and vectors, build the keyword (BM25) and
 *   dense indexes. The app path is `Library.open`, exactly what the library worker runs; the raw
 *   path builds the same indexes from its decoded record.
 */
import { Store, DEFAULT_COLLECTION } from '../../src/store';
import { Library } from '../../src/library/library';
import { keywordEntry } from '../../src/index/analyze';
import { KeywordIndex } from '../../src/index/keyword';
import { DenseIndex } from '../../src/index/dense';
import type { KeywordEntry } from '../../src/index/types';
import type { Chunk } from '../../src/ingest/types';
import { chunkId } from '../../src/core/ids';
import { randomUnitVectors } from './stats';
import { IDB, type IdbPage, type IdbReadyResult, type IdbStoreOptions, type IdbStoreResult } from './page-api';

const RAW_STORE = 'blobs';
const RAW_KEY = 'collection';

interface BenchDoc {
  id: string;
  chunks: Chunk[];
  entries: KeywordEntry[];
  vectors: Float32Array;
}

function docsFrom(o: IdbStoreOptions): BenchDoc[] {
  const all = randomUnitVectors(o.texts.length, o.dim, o.seed);
  const docs: BenchDoc[] = [];
  for (let first = 0; first < o.texts.length; first += o.chunksPerDoc) {
    const id = `doc${String(docs.length).padStart(5, '0')}`;
    const texts = o.texts.slice(first, first + o.chunksPerDoc);
    let offset = 0;
    const chunks = texts.map((text, ordinal): Chunk => {
      const start = offset;
      offset += text.length + 2;
      return {
        id: chunkId(id, ordinal),
        docId: id,
        ordinal,
        text,
        start,
        end: start + text.length,
        headingPath: [],
        tokens: Math.round(text.length / 4),
      };
    });
    docs.push({
      id,
      chunks,
      entries: chunks.map((c) => keywordEntry(c.id, c.text)),
      vectors: all.slice(first * o.dim, (first + texts.length) * o.dim),
    });
  }
  return docs;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function deleteDb(name: string): Promise<unknown> {
  return request(indexedDB.deleteDatabase(name));
}

function openRaw(): Promise<IDBDatabase> {
  const r = indexedDB.open(IDB.rawDb, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(RAW_STORE);
  return request(r);
}

/**
 * The raw record: [u32 header length][header JSON][vectors f32][entries JSON][chunks JSON].
 * Vectors come first and 4-byte aligned so reading them is a view, not a copy; chunk texts come
 * last so "ready" decodes only what the indexes need, as the app's loadIndex reads no texts.
 */
interface RawHeader {
  dim: number;
  docs: Array<{ id: string; count: number }>;
  vectorsAt: number;
  entriesAt: number;
  entriesBytes: number;
  chunksAt: number;
}

function encodeRaw(docs: BenchDoc[], dim: number): ArrayBuffer {
  const enc = new TextEncoder();
  const entries = enc.encode(JSON.stringify(docs.flatMap((d) => d.entries.map((e) => [e.chunkId, e.length, e.terms, Array.from(e.tf)]))));
  const chunks = enc.encode(JSON.stringify(docs.flatMap((d) => d.chunks)));
  const rows = docs.reduce((n, d) => n + d.chunks.length, 0);
  const headerRoom = 64 + docs.length * 40;
  const vectorsAt = Math.ceil((4 + headerRoom) / 4) * 4;
  const entriesAt = vectorsAt + rows * dim * 4;
  const header: RawHeader = {
    dim,
    docs: docs.map((d) => ({ id: d.id, count: d.chunks.length })),
    vectorsAt,
    entriesAt,
    entriesBytes: entries.length,
    chunksAt: entriesAt + entries.length,
  };
  const head = enc.encode(JSON.stringify(header));
  if (head.length > headerRoom) throw new Error('raw header overflow');
  const out = new Uint8Array(header.chunksAt + chunks.length);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  let at = vectorsAt;
  for (const d of docs) {
    out.set(new Uint8Array(d.vectors.buffer, d.vectors.byteOffset, d.vectors.byteLength), at);
    at += d.vectors.byteLength;
  }
  out.set(entries, entriesAt);
  out.set(chunks, header.chunksAt);
  return out.buffer;
}

async function store(o: IdbStoreOptions): Promise<IdbStoreResult> {
  const docs = docsFrom(o);
  await deleteDb(IDB.appDb);
  await deleteDb(IDB.rawDb);

  let t = performance.now();
  const s = await Store.open(IDB.appDb, { channel: null });
  for (const d of docs) {
    const chars = d.chunks.reduce((n, c) => n + c.text.length, 0);
    // The app keeps every dropped file (to show sources later), in the document's record: so does the bench.
    const original = new Blob([d.chunks.map((c) => c.text).join('\n\n')], { type: 'text/plain' });
    await s.addDocument(
      DEFAULT_COLLECTION.id,
      { id: d.id, name: `${d.id}.txt`, format: 'text', size: original.size, warnings: [], chars, original },
      d.chunks,
      d.entries,
    );
    await s.putVectors(DEFAULT_COLLECTION.id, d.id, IDB.model, o.dim, d.vectors);
  }
  s.close();
  const appMs = performance.now() - t;

  t = performance.now();
  const bytes = encodeRaw(docs, o.dim);
  const db = await openRaw();
  const tx = db.transaction(RAW_STORE, 'readwrite');
  tx.objectStore(RAW_STORE).put(bytes, RAW_KEY);
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
  db.close();
  const rawMs = performance.now() - t;

  return { chunks: o.texts.length, documents: docs.length, appMs, rawMs, rawBytes: bytes.byteLength };
}

/** The app's own path (what the library worker runs on open): Library.open over the store. */
async function readyApp(): Promise<Omit<IdbReadyResult, 'scriptAt'>> {
  const s = await Store.open(IDB.appDb, { channel: null });
  const openedAt = performance.now();
  const lib = await Library.open(s, { collectionId: DEFAULT_COLLECTION.id, model: IDB.model });
  const readyAt = performance.now();
  const { chunks, embeddedChunks } = lib.counts;
  s.close();
  if (chunks !== embeddedChunks) throw new Error(`keyword ${chunks} vs dense ${embeddedChunks} chunks`);
  return { mode: 'app', openedAt, loadedAt: readyAt - lib.lastLoad.buildMs, readyAt, chunks };
}

async function readyRaw(): Promise<Omit<IdbReadyResult, 'scriptAt'>> {
  const db = await openRaw();
  const openedAt = performance.now();
  const buf = await request(db.transaction(RAW_STORE, 'readonly').objectStore(RAW_STORE).get(RAW_KEY) as IDBRequest<ArrayBuffer>);
  const dec = new TextDecoder();
  const headLen = new DataView(buf).getUint32(0, true);
  const header = JSON.parse(dec.decode(new Uint8Array(buf, 4, headLen))) as RawHeader;
  const rows = JSON.parse(dec.decode(new Uint8Array(buf, header.entriesAt, header.entriesBytes))) as Array<
    [string, number, string[], number[]]
  >;
  const entries: KeywordEntry[] = rows.map(([chunkId, length, terms, tf]) => ({ chunkId, length, terms, tf: Uint16Array.from(tf) }));
  const loadedAt = performance.now();
  const keyword = KeywordIndex.fromEntries(entries);
  const dense = new DenseIndex(IDB.model, header.dim);
  let at = header.vectorsAt;
  for (const d of header.docs) {
    const ids = Array.from({ length: d.count }, (_, i) => chunkId(d.id, i));
    dense.add(ids, new Float32Array(buf, at, d.count * header.dim), header.dim, IDB.model);
    at += d.count * header.dim * 4;
  }
  const readyAt = performance.now();
  db.close();
  if (keyword.size !== dense.size) throw new Error(`keyword ${keyword.size} vs dense ${dense.size} chunks`);
  return { mode: 'raw', openedAt, loadedAt, readyAt, chunks: dense.size };
}

const scriptAt = performance.now();
const mode = new URLSearchParams(location.search).get('ready');
if (mode === 'app' || mode === 'raw') {
  (mode === 'app' ? readyApp() : readyRaw()).then(
    (r) => {
      document.body.dataset.result = JSON.stringify({ ...r, scriptAt } satisfies IdbReadyResult);
      document.body.dataset.ready = 'true';
    },
    (e: unknown) => {
      document.body.dataset.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      document.body.dataset.ready = 'true';
    },
  );
} else {
  const page: IdbPage = { store };
  (globalThis as unknown as { bench: IdbPage }).bench = page;
  document.body.dataset.ready = 'true';
}
