/**
 * The store's behaviour, written once and run against every IndexedDB we have: fake-indexeddb in
 * Node (tests/unit/store.test.ts) and Chromium's real one (tests/browser/store.test.ts through
 * tests/browser/store-harness.ts). No test framework here, so the same file runs in a page: each
 * case throws a readable Error on the first thing that is not as expected.
 */

import { SCHEMA_VERSION, Store, type ComparisonRecord, type NewDocument, type StoreChange, type StoreOptions } from '../src/store';
import type { EvalResultRecord, EvalRunRecord, QuestionSetRecord } from '../src/eval/runs';
import type { KeywordEntry } from '../src/index/types';
import type { Chunk } from '../src/ingest/types';
import { chunkId } from '../src/core/ids';

export interface CaseEnv {
  /** Opens a Store on this case's own database (fresh per case); options override the case's defaults. */
  open(opts?: StoreOptions): Promise<Store>;
  /** The factory and names the case's stores use, for raw second connections. */
  indexedDB: IDBFactory;
  name: string;
  channel: string;
}

export type StoreCase = (env: CaseEnv) => Promise<void>;

// ---- assertions -----------------------------------------------------------------------------

function fail(message: string): never {
  throw new Error(message);
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) fail(message);
}

function show(v: unknown): string {
  if (ArrayBuffer.isView(v))
    return `${v.constructor.name}(${Array.from(v as unknown as ArrayLike<number>)
      .slice(0, 8)
      .join(', ')}${(v as unknown as ArrayLike<number>).length > 8 ? ', …' : ''})`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The first difference between two values, as "path: got X, expected Y", or null. */
function difference(a: unknown, b: unknown, path: string): string | null {
  if (Object.is(a, b)) return null;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) {
      return `${path}: got ${show(a)}, expected ${show(b)} (type differs)`;
    }
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length) return `${path}: length ${x.length}, expected ${y.length}`;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return `${path}[${i}]: got ${x[i]}, expected ${y[i]}`;
    return null;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${path}: got ${show(a)}, expected ${show(b)}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: got ${show(a)}, expected ${show(b)}`;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.join() !== kb.join()) return `${path}: keys [${ka.join(', ')}], expected [${kb.join(', ')}]`;
  for (const k of ka) {
    const d = difference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

function eq(actual: unknown, expected: unknown, what: string): void {
  const d = difference(actual, expected, what);
  if (d) fail(d);
}

async function rejects(work: Promise<unknown>, name: string, what: string): Promise<Error> {
  try {
    await work;
  } catch (e) {
    if ((e as Error).name !== name) fail(`${what}: threw ${(e as Error).name} (${(e as Error).message}), expected ${name}`);
    return e as Error;
  }
  return fail(`${what}: succeeded, expected ${name}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) fail(`timed out after ${ms} ms waiting for ${what}`);
    await delay(10);
  }
}

/** Resolves with the value, or fails the case if it takes longer than `ms` (a hang, e.g. a blocked open). */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- fixtures -------------------------------------------------------------------------------

interface Fixture {
  doc: NewDocument;
  chunks: Chunk[];
  keyword: KeywordEntry[];
}

const MODEL = 'test-embedder';
const DIM = 4;

/** A document of `n` chunks with keyword entries; ids and texts derive from `id`. */
function fixture(id: string, n: number, extra: Partial<NewDocument> = {}): Fixture {
  const chunks: Chunk[] = [];
  const keyword: KeywordEntry[] = [];
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const text = `Chunk ${i} of ${id}: the quick brown fox ${i}.`;
    const chunk: Chunk = {
      id: chunkId(id, i),
      docId: id,
      ordinal: i,
      text,
      start: offset,
      end: offset + text.length,
      headingPath: ['Intro', `Part ${i}`],
      tokens: 9,
    };
    if (i % 2 === 0) chunk.pages = [i + 1, i + 2];
    chunks.push(chunk);
    offset += text.length + 2;
    keyword.push({ chunkId: chunk.id, length: 5 + i, terms: ['chunk', `t${i}`, 'fox'], tf: new Uint16Array([1, i + 1, 65535]) });
  }
  const doc: NewDocument = { id, name: `${id}.txt`, format: 'text', size: offset * 2, warnings: ['a note'], chars: offset, ...extra };
  return { doc, chunks, keyword };
}

/** Deterministic, exactly representable vectors: row i of a document is recognisable. */
function vectorsFor(docId: string, n: number, dim = DIM, seed = 0): Float32Array {
  const v = new Float32Array(n * dim);
  const h = docId.length + docId.charCodeAt(0) + seed;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) v[i * dim + j] = (h + i * 8 + j) / 256 - 0.5;
  return v;
}

/** A question set of `n` questions; the store reads only its ids, name and question count. */
function questionSet(id: string, collectionId: string, createdAt: number, n = 2): QuestionSetRecord {
  return {
    id,
    collectionId,
    name: `Set ${id}`,
    createdAt,
    updatedAt: createdAt,
    origin: 'typed',
    questions: Array.from({ length: n }, (_, i) => ({
      id: `q${i + 1}`,
      question: `Question ${i + 1} of ${id}?`,
      answer: `Answer ${i + 1}`,
      sources: [],
      type: '',
      chunkType: '',
    })),
  };
}

function evalRun(id: string, set: QuestionSetRecord, createdAt: number): EvalRunRecord {
  return {
    id,
    collectionId: set.collectionId,
    setId: set.id,
    setName: set.name,
    label: `hybrid · top 5 · ${id}`,
    createdAt,
    updatedAt: createdAt,
    status: 'running',
    total: set.questions.length,
    done: 0,
    elapsedMs: 0,
    settings: { judge: false, embedModel: MODEL, promptVersion: 1 } as unknown as EvalRunRecord['settings'],
  };
}

/** A result as the store sees it: keyed by run and index, the rest kept as it is. */
function evalResult(runId: string, index: number, note = ''): EvalResultRecord {
  return { runId, index, ms: 10 + index, question: { id: `q${index + 1}`, note } } as unknown as EvalResultRecord;
}

async function add(store: Store, collectionId: string, f: Fixture): Promise<'added' | 'duplicate'> {
  return store.addDocument(collectionId, f.doc, f.chunks, f.keyword);
}

async function expectEmptyDoc(store: Store, collectionId: string, docId: string, what: string): Promise<void> {
  eq(await store.getDocument(collectionId, docId), null, `${what}: document`);
  eq((await store.chunksOf(collectionId, docId)).length, 0, `${what}: chunks`);
  eq((await store.getChunks(collectionId, [chunkId(docId, 0)])).size, 0, `${what}: chunks by id`);
  const index = await store.loadIndex(collectionId, MODEL);
  eq(index.keyword.filter((e) => e.chunkId.startsWith(`${docId}:`)).length, 0, `${what}: keyword entries`);
  eq(index.vectors?.docs.filter((d) => d.docId === docId).length, 0, `${what}: vectors`);
  eq(index.documents.filter((d) => d.id === docId).length, 0, `${what}: listed`);
  eq(await store.getOriginal(collectionId, docId), null, `${what}: original file`);
}

/** Opens `name` at `version` on a raw connection and closes it; resolves 'blocked' if it would wait. */
function rawOpen(factory: IDBFactory, name: string, version: number, keepOpen = false): Promise<IDBDatabase | 'blocked'> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name, version);
    req.onblocked = () => resolve('blocked');
    req.onsuccess = () => {
      if (keepOpen) resolve(req.result);
      else {
        req.result.close();
        resolve(req.result);
      }
    };
    req.onerror = () => reject(req.error);
  });
}

/** Records in one object store, read on a connection of its own: what the Store's API cannot show (orphans). */
async function rawCount(env: CaseEnv, storeName: string): Promise<number> {
  const db = await rawOpen(env.indexedDB, env.name, SCHEMA_VERSION, true);
  assert(db !== 'blocked', 'raw open');
  try {
    return await new Promise<number>((resolve, reject) => {
      const req = db.transaction(storeName, 'readonly').objectStore(storeName).count();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

// ---- cases ----------------------------------------------------------------------------------

export const storeCases: Record<string, StoreCase> = {
  async 'stores a document and reads back chunks, keyword entries and vectors exactly'(env) {
    const store = await env.open();
    const f = fixture('doc-a', 3, {
      title: 'A title',
      pageCount: 4,
      encoding: 'utf-8',
      original: new Blob(['the original bytes'], { type: 'text/plain' }),
    });
    // A tf that is a view into a larger buffer must be stored as just its own values.
    const big = new Uint16Array([9, 9, 1, 2, 65535, 9]);
    f.keyword[1] = { ...f.keyword[1]!, tf: big.subarray(2, 5) };
    eq(await add(store, 'default', f), 'added', 'addDocument');
    const vectors = vectorsFor('doc-a', 3);
    eq(await store.putVectors('default', 'doc-a', MODEL, DIM, vectors), 'stored', 'putVectors');

    eq(await store.chunksOf('default', 'doc-a'), f.chunks, 'chunksOf');
    const byId = await store.getChunks('default', ['doc-a:2', 'doc-a:0', 'doc-a:7', 'nonsense', 'other:0']);
    eq([...byId.keys()], ['doc-a:2', 'doc-a:0'], 'getChunks ids');
    eq(byId.get('doc-a:2'), f.chunks[2], 'getChunks chunk');

    const index = await store.loadIndex('default', MODEL);
    eq(
      index.keyword,
      f.keyword.map((e) => ({ ...e, tf: new Uint16Array(e.tf) })),
      'keyword entries',
    );
    assert(
      index.keyword[1]!.tf.buffer.byteLength === 6,
      `stored tf kept its whole buffer (${index.keyword[1]!.tf.buffer.byteLength} bytes)`,
    );
    assert(index.keyword[0]!.tf instanceof Uint16Array, 'tf is a Uint16Array');
    eq(index.vectors?.dim, DIM, 'dim');
    eq(index.vectors?.chunks, 3, 'vector count');
    eq(index.vectors?.docs, [{ docId: 'doc-a', chunkIds: ['doc-a:0', 'doc-a:1', 'doc-a:2'], vectors }], 'vectors');
    assert(index.vectors!.docs[0]!.vectors instanceof Float32Array, 'vectors are a Float32Array');

    const [summary] = await store.listDocuments('default');
    assert(summary, 'listDocuments lists the document');
    eq(
      { ...summary, addedAt: 0 },
      {
        collectionId: 'default',
        id: 'doc-a',
        name: 'doc-a.txt',
        format: 'text',
        size: f.doc.size,
        addedAt: 0,
        title: 'A title',
        pageCount: 4,
        encoding: 'utf-8',
        warnings: ['a note'],
        chars: f.doc.chars,
        chunkCount: 3,
        originalSize: 18,
        vectorModels: [MODEL],
      },
      'summary',
    );
    assert(Math.abs(summary.addedAt - Date.now()) < 60_000, `addedAt is now (${summary.addedAt})`);
    eq(index.documents, [summary], 'loadIndex documents');
    const original = await store.getOriginal('default', 'doc-a');
    eq(await original?.text(), 'the original bytes', 'original file');
    eq(await store.getOriginal('default', 'nope'), null, 'missing original');
  },

  async 'replaces a document’s chunks in one write, keeping its original and place, dropping its vectors'(env) {
    const store = await env.open();
    const profile = { label: ['doc', 'q3'], opening: ['acm'], date: '2023-07-01' };
    const stamp = (chunkTokens: number) => ({ chunkTokens, overlapTokens: 0, version: 2 });
    const f = fixture('doc-r', 3, { original: new Blob(['bytes of the file']), profile, indexing: stamp(384) });
    eq(await add(store, 'default', f), 'added', 'addDocument');
    eq(await add(store, 'default', fixture('doc-s', 1)), 'added', 'a neighbour');
    eq(await store.putVectors('default', 'doc-r', MODEL, DIM, vectorsFor('doc-r', 3)), 'stored', 'putVectors');
    const before = (await store.listDocuments('default')).find((d) => d.id === 'doc-r')!;
    eq({ profile: before.profile, indexing: before.indexing }, { profile, indexing: stamp(384) }, 'profile and stamp are stored');

    // The same file chunked smaller: five chunks where there were three.
    const g = fixture('doc-r', 5, { profile, indexing: stamp(128) });
    eq(await store.replaceDocument('default', g.doc, g.chunks, g.keyword), 'replaced', 'replaceDocument');
    eq(await store.chunksOf('default', 'doc-r'), g.chunks, 'the new chunks');
    const index = await store.loadIndex('default', MODEL);
    eq(
      index.keyword.filter((e) => e.chunkId.startsWith('doc-r:')).map((e) => e.chunkId),
      g.chunks.map((c) => c.id),
      'the new keyword entries',
    );
    eq(index.vectors?.docs.map((d) => d.docId) ?? [], [], 'its vectors are gone (they were of the old chunks)');
    const after = index.documents.find((d) => d.id === 'doc-r')!;
    eq(
      {
        chunkCount: after.chunkCount,
        addedAt: after.addedAt,
        originalSize: after.originalSize,
        indexing: after.indexing,
        vectorModels: after.vectorModels,
      },
      { chunkCount: 5, addedAt: before.addedAt, originalSize: 17, indexing: stamp(128), vectorModels: [] },
      'the record: new counts and stamp, same place and original',
    );
    eq(await (await store.getOriginal('default', 'doc-r'))?.text(), 'bytes of the file', 'the original is kept');
    eq((await store.chunksOf('default', 'doc-s')).length, 1, 'the neighbour is untouched');

    // Deleted meanwhile: nothing is written.
    await store.deleteDocument('default', 'doc-r');
    eq(await store.replaceDocument('default', g.doc, g.chunks, g.keyword), 'missing', 'replace after delete');
    eq(await store.chunksOf('default', 'doc-r'), [], 'no chunks came back');
    // Chunks that do not belong to the document are refused before anything is written.
    const bad = fixture('doc-s', 2);
    const refused = await rejects(
      store.replaceDocument('default', bad.doc, bad.chunks, bad.keyword.slice(0, 1)),
      'InvalidRequest',
      'mismatched entries',
    );
    assert(refused.message.includes('2 chunks but 1 keyword entries'), refused.message);
    eq((await store.chunksOf('default', 'doc-s')).length, 1, 'the neighbour is still untouched');
  },

  async 'refuses the same content twice in a collection and allows it in another'(env) {
    const store = await env.open();
    const other = await store.createCollection('Other');
    const f = fixture('doc-dup', 2);
    eq(await add(store, 'default', f), 'added', 'first add');
    eq(await add(store, 'default', { ...f, doc: { ...f.doc, name: 'renamed copy.txt' } }), 'duplicate', 'second add');
    eq(
      (await store.listDocuments('default')).map((d) => d.name),
      ['doc-dup.txt'],
      'the first one stays',
    );
    eq(await add(store, other.id, f), 'added', 'same content, other collection');
    eq((await store.chunksOf(other.id, 'doc-dup')).length, 2, 'other collection has its own chunks');
    eq(await store.deleteDocument(other.id, 'doc-dup'), true, 'delete in other');
    eq((await store.chunksOf('default', 'doc-dup')).length, 2, 'deleting one copy leaves the other');
  },

  async 'deleting a document removes its chunks, keyword entries and vectors of every model'(env) {
    const store = await env.open();
    const gone = fixture('doc-gone', 3, { original: new Blob(['gone bytes']) });
    const kept = fixture('doc-kept', 2, { original: new Blob(['kept bytes']) });
    await add(store, 'default', gone);
    await add(store, 'default', kept);
    await store.putVectors('default', 'doc-gone', MODEL, DIM, vectorsFor('doc-gone', 3));
    await store.putVectors('default', 'doc-gone', 'second-model', 2, new Float32Array(6));
    await store.putVectors('default', 'doc-kept', MODEL, DIM, vectorsFor('doc-kept', 2));
    eq(await store.deleteDocument('default', 'doc-gone'), true, 'deleteDocument');
    eq(await store.deleteDocument('default', 'doc-gone'), false, 'deleting again');
    await expectEmptyDoc(store, 'default', 'doc-gone', 'after delete');
    eq((await store.loadIndex('default', 'second-model')).vectors?.docs, [], 'second model vectors');
    eq((await store.chunksOf('default', 'doc-kept')).length, 2, 'other document keeps its chunks');
    eq(await (await store.getOriginal('default', 'doc-kept'))?.text(), 'kept bytes', 'other document keeps its original');
    eq(
      (await store.loadIndex('default', MODEL)).vectors?.docs.map((d) => d.docId),
      ['doc-kept'],
      'other document keeps vectors',
    );
    // Gone means gone: the same content can be added again.
    eq(await add(store, 'default', gone), 'added', 're-add after delete');
  },

  async 'keeps past comparisons newest first, trims the oldest, deletes one'(env) {
    const store = await env.open();
    // The store keeps whatever the compare view saves; only id and createdAt matter to it.
    const record = (i: number) =>
      ({ id: `c${i}`, createdAt: 1000 + i, question: `Question ${i}?`, plain: { text: `answer ${i}` } }) as unknown as ComparisonRecord;
    for (const i of [3, 1, 2]) await store.addComparison(record(i), 3);
    eq(
      (await store.listComparisons()).map((c) => c.id),
      ['c3', 'c2', 'c1'],
      'newest first',
    );
    eq((await store.listComparisons())[0], record(3), 'kept whole');
    await store.addComparison(record(4), 3);
    eq(
      (await store.listComparisons()).map((c) => c.id),
      ['c4', 'c3', 'c2'],
      'the oldest went',
    );
    eq(
      (await store.listComparisons(2)).map((c) => c.id),
      ['c4', 'c3'],
      'limit',
    );
    await store.deleteComparison('c3');
    eq(
      (await store.listComparisons()).map((c) => c.id),
      ['c4', 'c2'],
      'after delete',
    );
  },

  async 'putVectors for a deleted document writes nothing'(env) {
    const store = await env.open();
    const f = fixture('doc-late', 2);
    await add(store, 'default', f);
    await store.deleteDocument('default', 'doc-late');
    eq(await store.putVectors('default', 'doc-late', MODEL, DIM, vectorsFor('doc-late', 2)), 'missing', 'putVectors');
    eq((await store.loadIndex('default', MODEL)).vectors?.docs, [], 'no vectors stored');
    eq(await store.putVectors('no-such-collection', 'doc-late', MODEL, DIM, vectorsFor('doc-late', 2)), 'missing', 'unknown collection');
  },

  async 'refuses mismatched vectors and writes nothing'(env) {
    const store = await env.open();
    await add(store, 'default', fixture('doc-m', 3));
    await add(store, 'default', fixture('doc-n', 1));
    await rejects(store.putVectors('default', 'doc-m', MODEL, DIM, vectorsFor('doc-m', 2)), 'EmbeddingModelMismatch', 'too few vectors');
    await rejects(store.putVectors('default', 'doc-m', MODEL, DIM, vectorsFor('doc-m', 4)), 'EmbeddingModelMismatch', 'too many vectors');
    await rejects(
      store.putVectors('default', 'doc-m', MODEL, DIM, new Float32Array(3 * DIM + 1)),
      'EmbeddingModelMismatch',
      'not a multiple of dim',
    );
    await rejects(store.putVectors('default', 'doc-m', MODEL, 0, new Float32Array(0)), 'EmbeddingModelMismatch', 'dim 0');
    eq((await store.loadIndex('default', MODEL)).vectors?.docs, [], 'nothing stored');
    // One dim per model and collection: another dim for the same model id is refused.
    eq(await store.putVectors('default', 'doc-n', MODEL, DIM, vectorsFor('doc-n', 1)), 'stored', 'first vectors');
    const e = await rejects(store.putVectors('default', 'doc-m', MODEL, 6, new Float32Array(18)), 'EmbeddingModelMismatch', 'other dim');
    assert(/4 dimensions/.test(e.message), `message names the dim: ${e.message}`);
    eq(
      (await store.loadIndex('default', MODEL)).vectors?.docs.map((d) => d.docId),
      ['doc-n'],
      'still only the first',
    );
    eq(
      (await store.documentsMissingVectors('default', MODEL)).map((d) => d.id),
      ['doc-m'],
      'doc-m still missing',
    );
  },

  async 'a write that fails midway leaves nothing of the document'(env) {
    const store = await env.open();
    const f = fixture('doc-bad', 3);
    // A function cannot be structured-cloned: the second chunk's put throws after the document's put.
    const poisoned = f.chunks.map((c, i) => (i === 1 ? ({ ...c, oops: () => 1 } as Chunk) : c));
    await rejects(store.addDocument('default', f.doc, poisoned, f.keyword), 'DataCloneError', 'addDocument with an uncloneable chunk');
    await expectEmptyDoc(store, 'default', 'doc-bad', 'after the failed write');
    eq(await store.listDocuments('default'), [], 'no document listed');
    // Nothing half-stored blocks a retry.
    eq(await add(store, 'default', f), 'added', 'retry');
    eq(await store.chunksOf('default', 'doc-bad'), f.chunks, 'retry stored everything');
    // Malformed input is refused before any transaction.
    await rejects(store.addDocument('default', f.doc, f.chunks, f.keyword.slice(1)), 'InvalidRequest', 'missing keyword entry');
    const g = fixture('doc-bad2', 2);
    await rejects(store.addDocument('default', g.doc, [g.chunks[1]!, g.chunks[0]!], g.keyword), 'InvalidRequest', 'chunks out of order');
  },

  async 'documentsMissingVectors finds documents without vectors of the model'(env) {
    const store = await env.open();
    await add(store, 'default', { ...fixture('doc-1', 2), doc: { ...fixture('doc-1', 2).doc, addedAt: 1000 } });
    await add(store, 'default', { ...fixture('doc-2', 1), doc: { ...fixture('doc-2', 1).doc, addedAt: 2000 } });
    await add(store, 'default', { ...fixture('doc-0', 3), doc: { ...fixture('doc-0', 3).doc, addedAt: 3000 } });
    eq(
      (await store.documentsMissingVectors('default', MODEL)).map((d) => d.id),
      ['doc-1', 'doc-2', 'doc-0'],
      'all, oldest first',
    );
    await store.putVectors('default', 'doc-2', MODEL, DIM, vectorsFor('doc-2', 1));
    await store.putVectors('default', 'doc-1', 'other-model', DIM, vectorsFor('doc-1', 2));
    eq(
      (await store.documentsMissingVectors('default', MODEL)).map((d) => d.id),
      ['doc-1', 'doc-0'],
      'after embedding doc-2',
    );
    eq(
      (await store.documentsMissingVectors('default', 'other-model')).map((d) => d.id),
      ['doc-2', 'doc-0'],
      'for the other model',
    );
    const empty = fixture('doc-empty', 0);
    await add(store, 'default', { ...empty, doc: { ...empty.doc, addedAt: 4000 } });
    eq(await store.putVectors('default', 'doc-empty', MODEL, DIM, new Float32Array(0)), 'stored', 'a document without chunks');
    eq(
      (await store.documentsMissingVectors('default', MODEL)).map((d) => d.id),
      ['doc-1', 'doc-0'],
      'an empty document is done',
    );
  },

  async 'loadIndex returns entries and vectors in chunk order, per collection'(env) {
    const store = await env.open();
    const papers = await store.createCollection('Papers');
    // 12 chunks: ordinals 10 and 11 sort before 2 as strings, not as numbers.
    const docs = [fixture('doc-b', 12), fixture('doc-a', 3), fixture('doc-c', 1)];
    for (const f of docs) await add(store, papers.id, f);
    await add(store, 'default', fixture('doc-elsewhere', 2));
    await store.putVectors('default', 'doc-elsewhere', MODEL, DIM, vectorsFor('doc-elsewhere', 2));
    for (const f of docs.slice(0, 2)) await store.putVectors(papers.id, f.doc.id, MODEL, DIM, vectorsFor(f.doc.id, f.chunks.length));

    const index = await store.loadIndex(papers.id, MODEL);
    const sorted = [...docs].sort((a, b) => (a.doc.id < b.doc.id ? -1 : 1));
    eq(
      index.documents.map((d) => d.id),
      ['doc-a', 'doc-b', 'doc-c'],
      'documents',
    );
    eq(
      index.keyword.map((e) => e.chunkId),
      sorted.flatMap((f) => f.chunks.map((c) => c.id)),
      'keyword entries in document then chunk order',
    );
    eq(
      index.keyword,
      sorted.flatMap((f) => f.keyword),
      'keyword entries',
    );
    eq(index.vectors?.chunks, 15, 'vector rows');
    eq(
      index.vectors?.docs,
      [
        { docId: 'doc-a', chunkIds: docs[1]!.chunks.map((c) => c.id), vectors: vectorsFor('doc-a', 3) },
        { docId: 'doc-b', chunkIds: docs[0]!.chunks.map((c) => c.id), vectors: vectorsFor('doc-b', 12) },
      ],
      'vectors in chunk order',
    );
    eq(
      (await store.chunksOf(papers.id, 'doc-b')).map((c) => c.ordinal),
      [...Array(12).keys()],
      'chunksOf in order',
    );
    const keywordOnly = await store.loadIndex(papers.id);
    eq(keywordOnly.vectors, null, 'no model, no vectors');
    eq(keywordOnly.keyword.length, 16, 'keyword without a model');
    eq(
      (await store.loadIndex(papers.id, 'unused-model')).vectors,
      { model: 'unused-model', dim: 0, chunks: 0, docs: [] },
      'a model without vectors',
    );
    eq((await store.loadIndex('no-such-collection', MODEL)).keyword, [], 'unknown collection');
  },

  async 'collections: create, list, rename, delete with everything in them'(env) {
    const store = await env.open();
    const initial = await store.listCollections();
    eq(
      initial.map((c) => [c.id, c.name, c.documents]),
      [['default', 'My documents', 0]],
      'the default collection',
    );
    const papers = await store.createCollection('  Papers ');
    eq(papers.name, 'Papers', 'name trimmed');
    await rejects(store.createCollection('   '), 'InvalidRequest', 'empty name');
    await add(store, papers.id, fixture('doc-p', 2));
    await store.putVectors(papers.id, 'doc-p', MODEL, DIM, vectorsFor('doc-p', 2));
    await add(store, 'default', fixture('doc-d', 1));
    eq(
      (await store.listCollections()).map((c) => [c.name, c.documents]),
      [
        ['My documents', 1],
        ['Papers', 1],
      ],
      'listed with counts',
    );
    eq(await store.renameCollection(papers.id, 'Articles'), true, 'rename');
    eq(
      (await store.listCollections()).map((c) => c.name),
      ['My documents', 'Articles'],
      'renamed',
    );
    eq(await store.renameCollection('nope', 'x'), false, 'rename a missing collection');

    eq(await store.deleteCollection(papers.id), true, 'delete');
    eq(
      (await store.listCollections()).map((c) => c.id),
      ['default'],
      'deleted',
    );
    await expectEmptyDoc(store, papers.id, 'doc-p', 'after deleting the collection');
    eq(await store.listDocuments(papers.id), [], 'no documents');
    eq((await store.chunksOf('default', 'doc-d')).length, 1, 'the other collection is intact');
    await rejects(add(store, papers.id, fixture('doc-q', 1)), 'InvalidRequest', 'adding to a deleted collection');
    eq(await store.deleteCollection(papers.id), false, 'deleting again');

    // The last collection cannot disappear: a fresh empty default replaces it.
    eq(await store.deleteCollection('default'), true, 'delete the last one');
    const after = await store.listCollections();
    eq(
      after.map((c) => [c.id, c.name, c.documents]),
      [['default', 'My documents', 0]],
      'a fresh default',
    );
    eq(await store.chunksOf('default', 'doc-d'), [], 'its documents went with it');
  },

  async 'question sets and runs: per collection, newest first, results in question order, done counted by the store'(env) {
    const store = await env.open();
    const other = await env.open();
    const heard: StoreChange[] = [];
    other.onChange((c) => heard.push(c));
    const papers = await store.createCollection('Papers');
    const older = questionSet('set-old', 'default', 1000, 3);
    const newer = questionSet('set-new', 'default', 2000);
    const elsewhere = questionSet('set-papers', papers.id, 1500);
    for (const set of [older, newer, elsewhere]) await store.putQuestionSet(set);
    eq(
      (await store.listQuestionSets('default')).map((s) => s.id),
      ['set-new', 'set-old'],
      'sets newest first, of this collection only',
    );
    eq((await store.listQuestionSets('default'))[1], older, 'a set kept whole');
    // Replacing a set (renamed, edited) keeps its place: the list is by creation.
    await store.putQuestionSet({ ...older, name: 'Renamed', updatedAt: 3000 });
    eq(
      (await store.listQuestionSets('default')).map((s) => s.name),
      ['Set set-new', 'Renamed'],
      'after replacing',
    );
    eq(
      (await store.listQuestionSets(papers.id)).map((s) => s.id),
      ['set-papers'],
      'the other collection’s sets',
    );

    const first = evalRun('run-1', older, 1000);
    const second = evalRun('run-2', older, 2000);
    // The caller's done count is not trusted: the store counts what it holds.
    eq((await store.putEvalRun({ ...first, done: 5 })).done, 0, 'a new run has nothing done');
    await store.putEvalRun(second);
    await store.putEvalRun(evalRun('run-p', elsewhere, 3000));
    eq(
      (await store.listEvalRuns('default')).map((r) => r.id),
      ['run-2', 'run-1'],
      'runs newest first, of this collection only',
    );
    // Results arrive in any order (a resumed run) and come back in question order.
    for (const i of [2, 0]) {
      const stored = await store.saveEvalResult(evalResult('run-1', i), { ...first, done: 99, elapsedMs: 100 });
      eq(stored.elapsedMs, 100, 'the run as the caller has it');
    }
    const got = await store.getEvalRun('run-1');
    eq(
      got?.results.map((r) => r.index),
      [0, 2],
      'results in question order',
    );
    eq(got?.results[1], evalResult('run-1', 2), 'a result kept whole');
    eq(got?.run.done, 2, 'done is the number of results stored');
    // Storing a question again replaces its result; done does not grow.
    eq((await store.saveEvalResult(evalResult('run-1', 2, 'again'), first)).done, 2, 'done after a re-run question');
    eq((await store.getEvalRun('run-1'))?.results[1], evalResult('run-1', 2, 'again'), 'replaced');
    // Updating the run's record (paused) leaves its results and their count alone.
    await store.putEvalRun({ ...first, status: 'paused', done: 0 });
    eq(
      { status: (await store.getEvalRun('run-1'))?.run.status, done: (await store.getEvalRun('run-1'))?.run.done },
      { status: 'paused', done: 2 },
      'after putEvalRun',
    );
    eq((await store.getEvalRun('run-2'))?.results, [], 'another run has none');
    eq(await store.getEvalRun('nope'), null, 'a missing run');
    await waitFor(() => heard.some((c) => c.type === 'evaluation-changed'), 'an evaluation change to reach the other store');
    eq(
      heard.find((c) => c.type === 'evaluation-changed'),
      { type: 'evaluation-changed', collectionId: 'default', docId: null },
      'the change',
    );
  },

  async 'refuses a set without questions or for a missing collection, and a run or result that has nowhere to go'(env) {
    const store = await env.open();
    const papers = await store.createCollection('Papers');
    const empty = { ...questionSet('set-empty', 'default', 1000), questions: [] };
    const e = await rejects(store.putQuestionSet(empty), 'InvalidRequest', 'a set without questions');
    assert(/no questions/.test(e.message), e.message);
    await rejects(store.putQuestionSet({ ...questionSet('set-x', 'default', 1000), name: '  ' }), 'InvalidRequest', 'a set without a name');
    await rejects(store.putQuestionSet(questionSet('set-gone', 'no-such-collection', 1000)), 'InvalidRequest', 'a missing collection');
    const set = questionSet('set-1', 'default', 1000);
    await store.putQuestionSet(set);
    await rejects(store.putQuestionSet({ ...set, collectionId: papers.id }), 'InvalidRequest', 'moving a set to another collection');
    eq(
      (await store.listQuestionSets('default')).map((s) => s.id),
      ['set-1'],
      'only the good set is stored',
    );
    eq(await store.listQuestionSets(papers.id), [], 'nothing moved');

    await rejects(
      store.putEvalRun(evalRun('run-x', questionSet('set-none', 'default', 1000), 1000)),
      'InvalidRequest',
      'a run of a missing set',
    );
    await rejects(
      store.putEvalRun({ ...evalRun('run-y', set, 1000), collectionId: papers.id }),
      'InvalidRequest',
      'a run in another collection than its set',
    );
    eq(await store.listEvalRuns('default'), [], 'no run stored');
    const run = await store.putEvalRun(evalRun('run-1', set, 1000));
    await rejects(store.saveEvalResult(evalResult('run-other', 0), run), 'InvalidRequest', 'a result of another run');
    await rejects(store.saveEvalResult(evalResult('run-1', 2), run), 'InvalidRequest', 'a question past the end of the set');
    eq((await store.getEvalRun('run-1'))?.results, [], 'no result stored');
  },

  async 'a result and its run are one write: refused whole for a deleted run, undone whole when the run cannot be stored'(env) {
    const store = await env.open();
    const set = questionSet('set-1', 'default', 1000, 4);
    await store.putQuestionSet(set);
    const run = await store.putEvalRun(evalRun('run-1', set, 1000));
    await store.saveEvalResult(evalResult('run-1', 0), { ...run, elapsedMs: 10 });
    // The run's record cannot be cloned: the result written before it in the same transaction goes too.
    const poisoned = { ...run, elapsedMs: 20, oops: () => 1 } as unknown as EvalRunRecord;
    await rejects(store.saveEvalResult(evalResult('run-1', 1), poisoned), 'DataCloneError', 'an uncloneable run');
    const after = await store.getEvalRun('run-1');
    eq(
      after?.results.map((r) => r.index),
      [0],
      'the result of the failed write is not kept',
    );
    eq({ done: after?.run.done, elapsedMs: after?.run.elapsedMs }, { done: 1, elapsedMs: 10 }, 'the run as it was');

    // Deleted while a question was under way (another tab): the result is refused, nothing comes back.
    eq(await store.deleteEvalRun('run-1'), true, 'deleteEvalRun');
    const e = await rejects(store.saveEvalResult(evalResult('run-1', 1), run), 'InvalidRequest', 'a result of a deleted run');
    assert(/no longer exists/.test(e.message), e.message);
    eq(await store.getEvalRun('run-1'), null, 'the run stays deleted');
    eq(await store.listEvalRuns('default'), [], 'nothing listed');
  },

  async 'deleting a run, a set or a collection takes everything that hangs off it, and nothing else'(env) {
    const store = await env.open();
    const papers = await store.createCollection('Papers');
    const a = questionSet('set-a', 'default', 1000, 3);
    const b = questionSet('set-b', 'default', 2000, 3);
    const p = questionSet('set-p', papers.id, 3000, 3);
    for (const set of [a, b, p]) await store.putQuestionSet(set);
    const runs = [evalRun('a-1', a, 1), evalRun('a-2', a, 2), evalRun('b-1', b, 3), evalRun('p-1', p, 4)];
    for (const run of runs) {
      await store.putEvalRun(run);
      for (const i of [0, 1, 2]) await store.saveEvalResult(evalResult(run.id, i), run);
    }
    const results = async (id: string): Promise<number> => (await store.getEvalRun(id))?.results.length ?? -1;
    eq(await rawCount(env, 'evalResults'), 12, 'results stored');

    eq(await store.deleteEvalRun('a-2'), true, 'delete a run');
    eq(await store.deleteEvalRun('a-2'), false, 'deleting it again');
    eq(await results('a-2'), -1, 'the run is gone');
    eq(await results('a-1'), 3, 'its sibling keeps its results');
    eq(await rawCount(env, 'evalResults'), 9, 'results left after deleting a run');

    // A run id that sorts just after another's must keep its results: the range is the run's only.
    const prefix = evalRun('a-1x', a, 5);
    await store.putEvalRun(prefix);
    await store.saveEvalResult(evalResult('a-1x', 0), prefix);
    eq(await store.deleteEvalRun('a-1'), true, 'delete a-1');
    eq(await results('a-1x'), 1, 'a-1x keeps its result');

    eq(await store.deleteQuestionSet('set-a'), true, 'delete a set');
    eq(await store.deleteQuestionSet('set-a'), false, 'deleting it again');
    eq(await results('a-1x'), -1, 'its runs went with it');
    eq(
      (await store.listQuestionSets('default')).map((s) => s.id),
      ['set-b'],
      'the other set stays',
    );
    eq(
      (await store.listEvalRuns('default')).map((r) => r.id),
      ['b-1'],
      'with its run',
    );
    eq(await results('b-1'), 3, 'and its results');
    eq(await rawCount(env, 'evalResults'), 6, 'results left after deleting a set');

    eq(await store.deleteCollection(papers.id), true, 'delete a collection');
    eq(await store.listQuestionSets(papers.id), [], 'its sets are gone');
    eq(await store.listEvalRuns(papers.id), [], 'its runs are gone');
    eq(await results('p-1'), -1, 'its results are gone');
    eq(await results('b-1'), 3, 'the other collection keeps its runs');
    eq(await rawCount(env, 'evalResults'), 3, 'results left after deleting a collection');

    // The last collection: its sets go with it, the fresh default has none.
    eq(await store.deleteCollection('default'), true, 'delete the last collection');
    eq(await store.listQuestionSets('default'), [], 'the fresh default has no sets');
    eq(await store.listEvalRuns('default'), [], 'nor runs');
    eq(await results('b-1'), -1, 'nor results');
    eq(
      [await rawCount(env, 'questionSets'), await rawCount(env, 'evalRuns'), await rawCount(env, 'evalResults')],
      [0, 0, 0],
      'nothing of the evaluations is left',
    );
  },

  async 'a version 1 database upgrades keeping everything, and the evaluation stores work'(env) {
    const V1_STORES = ['chunks', 'collections', 'comparisons', 'documents', 'keyword', 'originals', 'settings', 'vectors'];
    // Made as the first release made it: the version 1 block of the upgrade alone.
    const old = await env.open({ version: 1 });
    const papers = await old.createCollection('Papers');
    const f = fixture('doc-v1', 3, { original: new Blob(['v1 bytes']) });
    eq(await add(old, papers.id, f), 'added', 'a document in version 1');
    await old.putVectors(papers.id, 'doc-v1', MODEL, DIM, vectorsFor('doc-v1', 3));
    const comparison = { id: 'c1', createdAt: 1000, question: 'Kept?' } as unknown as ComparisonRecord;
    await old.addComparison(comparison);
    await old.setSetting('k', 7);
    const before = await old.loadIndex(papers.id, MODEL);
    old.close();
    const raw = await rawOpen(env.indexedDB, env.name, 1, true);
    assert(raw !== 'blocked', 'raw open at version 1');
    eq([...raw.objectStoreNames].sort(), V1_STORES, 'the version 1 stores, exactly');
    raw.close();

    const store = await env.open();
    eq(
      (await store.listCollections()).map((c) => [c.name, c.documents]),
      [
        ['My documents', 0],
        ['Papers', 1],
      ],
      'collections',
    );
    eq(await store.loadIndex(papers.id, MODEL), before, 'keyword entries and vectors');
    eq(await store.chunksOf(papers.id, 'doc-v1'), f.chunks, 'chunks');
    eq(await (await store.getOriginal(papers.id, 'doc-v1'))?.text(), 'v1 bytes', 'original');
    eq(await store.listComparisons(), [comparison], 'comparisons');
    eq(await store.getSetting('k'), 7, 'settings');

    const set = questionSet('set-1', papers.id, 1000);
    await store.putQuestionSet(set);
    const run = await store.putEvalRun(evalRun('run-1', set, 1000));
    await store.saveEvalResult(evalResult('run-1', 1), run);
    eq((await store.getEvalRun('run-1'))?.run.done, 1, 'a run with a result');
    eq(
      (await store.listQuestionSets(papers.id)).map((s) => s.id),
      ['set-1'],
      'a question set',
    );
    eq(await store.deleteCollection(papers.id), true, 'deleting the upgraded collection');
    eq(await store.getEvalRun('run-1'), null, 'took its run');
    store.close();
    const upgraded = await rawOpen(env.indexedDB, env.name, SCHEMA_VERSION, true);
    assert(upgraded !== 'blocked', 'raw open at the current version');
    eq(
      [...upgraded.objectStoreNames].sort(),
      [...V1_STORES, 'evalResults', 'evalRuns', 'questionSets'].sort(),
      'the stores after the upgrade',
    );
    upgraded.close();
  },

  async 'settings: get, set, overwrite, remove'(env) {
    const store = await env.open();
    eq(await store.getSetting('missing'), undefined, 'missing key');
    await store.setSetting('lastCollection', 'default');
    await store.setSetting('prefs', { k: 5, modes: ['hybrid'], weights: new Float32Array([0.5]) });
    eq(await store.getSetting('lastCollection'), 'default', 'string value');
    eq(await store.getSetting('prefs'), { k: 5, modes: ['hybrid'], weights: new Float32Array([0.5]) }, 'object value');
    await store.setSetting('lastCollection', 'other');
    eq(await store.getSetting('lastCollection'), 'other', 'overwritten');
    await store.setSetting('lastCollection', undefined);
    eq(await store.getSetting('lastCollection'), undefined, 'removed');
  },

  async 'closing and reopening keeps everything'(env) {
    const first = await env.open();
    const papers = await first.createCollection('Papers');
    const f = fixture('doc-r', 3, { original: new Blob(['bytes']) });
    await add(first, papers.id, f);
    await first.putVectors(papers.id, 'doc-r', MODEL, DIM, vectorsFor('doc-r', 3));
    await first.setSetting('k', 8);
    const before = await first.loadIndex(papers.id, MODEL);
    first.close();
    await rejects(first.listCollections(), 'StorageUnavailable', 'a closed store');

    const second = await env.open();
    eq(
      (await second.listCollections()).map((c) => c.name),
      ['My documents', 'Papers'],
      'collections',
    );
    eq(await second.loadIndex(papers.id, MODEL), before, 'index');
    eq(await second.chunksOf(papers.id, 'doc-r'), f.chunks, 'chunks');
    eq(await second.getSetting('k'), 8, 'setting');
    eq(await (await second.getOriginal(papers.id, 'doc-r'))?.text(), 'bytes', 'original');
  },

  async 'an upgrade in another connection closes this one and is not blocked'(env) {
    const store = await env.open();
    const closed: string[] = [];
    store.onClosed((info) => closed.push(`${info.reason}: ${info.message}`));
    const result = await within(rawOpen(env.indexedDB, env.name, SCHEMA_VERSION + 1), 5000, 'the newer version opening');
    assert(result !== 'blocked', 'the newer version was blocked by the open store');
    await waitFor(() => closed.length > 0, 'onClosed');
    eq(closed.length, 1, 'onClosed calls');
    assert(closed[0]!.startsWith('upgraded-elsewhere: ') && /reload/.test(closed[0]!), `reason: ${closed[0]}`);
    assert(store.closed, 'store.closed');
    const e = await rejects(store.listDocuments('default'), 'StorageUnavailable', 'using the closed store');
    assert(/another tab/.test(e.message), `message: ${e.message}`);
    // A listener added after the fact still hears why.
    const late: string[] = [];
    store.onClosed((info) => late.push(info.reason));
    await waitFor(() => late.length > 0, 'late onClosed');

    // The database is now newer than this code: opening it again says to reload.
    const newer = await rejects(env.open(), 'StorageUnavailable', 'opening an older schema over a newer database');
    assert(/newer version/.test(newer.message), `message: ${newer.message}`);
  },

  async 'deleting the database elsewhere closes this connection'(env) {
    const store = await env.open();
    const closed: string[] = [];
    store.onClosed((info) => closed.push(info.reason));
    await within(
      new Promise<void>((resolve, reject) => {
        const req = env.indexedDB.deleteDatabase(env.name);
        req.onsuccess = () => resolve();
        req.onerror = () => reject(req.error);
        req.onblocked = () => reject(new Error('deleteDatabase was blocked by the open store'));
      }),
      5000,
      'deleteDatabase',
    );
    await waitFor(() => closed.length > 0, 'onClosed');
    eq(closed, ['deleted-elsewhere'], 'reason');
  },

  async 'an upgrade blocked by a connection that ignores versionchange is StorageBlocked'(env) {
    (await env.open()).close();
    // An older ragscope tab that does not close on versionchange (a raw connection with no handler).
    const old = await rawOpen(env.indexedDB, env.name, SCHEMA_VERSION, true);
    assert(old !== 'blocked', 'raw open');
    try {
      const e = await within(rejects(env.open({ version: SCHEMA_VERSION + 1 }), 'StorageBlocked', 'the upgrade'), 5000, 'the blocked open');
      assert(/close the other ragscope tabs/i.test(e.message), `message: ${e.message}`);
    } finally {
      old.close();
    }
    // Once the old connection is gone the upgrade goes through (and the late connection is dropped).
    const store = await within(env.open({ version: SCHEMA_VERSION + 2 }), 5000, 'the upgrade after closing');
    eq(
      (await store.listCollections()).map((c) => c.id),
      ['default'],
      'data survives the upgrade',
    );
  },

  async 'no IndexedDB, or one that refuses to open, is StorageUnavailable'(env) {
    const none = await rejects(env.open({ indexedDB: undefined }), 'StorageUnavailable', 'without a factory');
    assert(/IndexedDB/.test(none.message), `message: ${none.message}`);
    const refusing = {
      open() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    } as unknown as IDBFactory;
    await rejects(env.open({ indexedDB: refusing }), 'StorageUnavailable', 'with a factory that throws');
    const failing = {
      open() {
        // What Firefox's private mode used to do: a request that fails.
        const req = {
          error: new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError'),
        } as unknown as IDBOpenDBRequest & { onerror: () => void };
        setTimeout(() => req.onerror());
        return req;
      },
    } as unknown as IDBFactory;
    await rejects(env.open({ indexedDB: failing }), 'StorageUnavailable', 'with a request that fails');
  },

  async 'a change committed by one store reaches the other store (another tab)'(env) {
    const a = await env.open();
    const b = await env.open();
    const seenByB: StoreChange[] = [];
    const seenByA: StoreChange[] = [];
    b.onChange((c) => seenByB.push(c));
    a.onChange((c) => seenByA.push(c));
    await add(a, 'default', fixture('doc-x', 1));
    await waitFor(() => seenByB.length === 1, 'the add to arrive');
    eq(seenByB[0], { type: 'document-added', collectionId: 'default', docId: 'doc-x' }, 'add message');
    await a.putVectors('default', 'doc-x', MODEL, DIM, vectorsFor('doc-x', 1));
    await a.deleteDocument('default', 'doc-x');
    const c = await a.createCollection('New');
    await a.setSetting('k', 1);
    await waitFor(() => seenByB.length === 5, 'all changes to arrive');
    eq(
      seenByB.map((m) => [m.type, m.collectionId, m.docId]),
      [
        ['document-added', 'default', 'doc-x'],
        ['vectors-stored', 'default', 'doc-x'],
        ['document-deleted', 'default', 'doc-x'],
        ['collection-created', c.id, null],
        ['settings-changed', null, null],
      ],
      'messages',
    );
    // Nothing that did not commit is announced: a duplicate and a refused write say nothing.
    await add(a, 'default', fixture('doc-y', 1));
    await add(a, 'default', fixture('doc-y', 1));
    await a.putVectors('default', 'doc-gone', MODEL, DIM, vectorsFor('doc-gone', 1));
    await b.deleteDocument('default', 'doc-y');
    await waitFor(() => seenByA.length === 1, 'b → a');
    await delay(50);
    eq(seenByB.length, 6, 'b saw only the one add');
    eq(
      seenByA.map((m) => m.type),
      ['document-deleted'],
      'a saw only b’s delete, not its own writes',
    );
    // b sees a's writes in its reads too: the data is shared, not cached.
    eq((await b.listDocuments('default')).length, 0, 'b reads the shared database');
  },
};

/** Runs one case on a database of its own, then closes every store it opened and deletes the database. */
export async function runStoreCase(caseName: string, indexedDB: IDBFactory): Promise<void> {
  const run = storeCases[caseName];
  if (!run) throw new Error(`No store case named “${caseName}”`);
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const opened: Store[] = [];
  const env: CaseEnv = {
    indexedDB,
    name: `ragscope-test-${id}`,
    channel: `ragscope-store-test-${id}`,
    async open(opts = {}) {
      const store = await Store.open(env.name, { indexedDB, channel: env.channel, ...opts });
      opened.push(store);
      return store;
    },
  };
  try {
    await run(env);
  } finally {
    for (const s of opened) s.close();
    // Bounded, so a connection the case left open fails the run here instead of hanging it.
    await within(
      new Promise<void>((resolve) => {
        const req = indexedDB.deleteDatabase(env.name);
        req.onsuccess = req.onerror = req.onblocked = () => resolve();
      }),
      5000,
      `deleting the case's database ${env.name}`,
    );
  }
}
