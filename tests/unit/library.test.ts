/**
 * The library worker driven as the page drives it (typed client ↔ MessageChannel ↔ handlers),
 * over fake-indexeddb, with documents from the real ingest pipeline and vectors from the real
 * transformers.js runtime on the generated tiny BERT.
 */
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkerLibrary } from '../../src/library/client';
import { Store } from '../../src/store';
import { indexedText } from '../../src/ingest/context';
import { ingestFile, type IngestedDocument } from '../../src/ingest/ingest';
import { TransformersEmbedder } from '../../src/embed/transformers';
import type { LibraryEvent } from '../../src/library/protocol';
import { isAppError } from '../../src/core/errors';
import { chunkId, parseChunkId } from '../../src/core/ids';
import { useLibraries } from './library-harness';
import { pendingEmbeddings } from '../../src/library/pending';
import { MessageChannel } from 'node:worker_threads';
import { serve } from '../../src/core/rpc';
import { embedHandlers } from '../../src/embed/handler';
import { WorkerEmbedder } from '../../src/embed/client';
import { TransformersReranker } from '../../src/embed/reranker';
import { channel } from './channel';
import { fixtureModels } from '../fixtures/models';

const MODEL = 'tiny-bert';
const { database, start } = useLibraries();

let embedder: TransformersEmbedder;
beforeAll(async () => {
  embedder = new TransformersEmbedder();
  await embedder.load({ model: MODEL, source: { kind: 'local', path: fixtureModels() }, device: 'wasm', dtype: 'fp32' });
});

const TEXTS: Record<string, string> = {
  'tides.md': '# Tides\n\nThe moon pulls the oceans, so the tide rises and falls twice a day along most coasts.',
  'bread.md': '# Baking\n\nSourdough bread rises slowly because wild yeast ferments the flour for many hours.',
  'trains.md': '# Railways\n\nThe night train leaves the station at ten and reaches the coast by morning.',
};

async function ingest(name: string, text = TEXTS[name]!): Promise<IngestedDocument> {
  const r = await ingestFile(new Blob([text]), { name, maxBytes: 1e6, chunking: { chunkTokens: 256, overlapTokens: 32 } });
  if (r.kind !== 'parsed') throw new Error('expected a parsed document');
  return r.doc;
}

async function embedDoc(lib: WorkerLibrary, doc: IngestedDocument, model = MODEL): Promise<void> {
  const out = await embedder.embed({ texts: doc.chunks.map((c) => c.text), kind: 'passage', batchSize: 8 });
  await lib.putVectors(doc.id, model, out.dim, out.vectors);
}

/** An embed worker of its own (the real handlers behind a channel), as the page starts one. */
function embedWorker(): WorkerEmbedder {
  const { page, worker } = channel();
  serve(worker, embedHandlers(new TransformersEmbedder(), new TransformersReranker()));
  return new WorkerEmbedder(page);
}

async function queryVector(text: string): Promise<Float32Array> {
  return (await embedder.embed({ texts: [text], kind: 'query', batchSize: 1 })).vectors;
}

describe('library worker', () => {
  it('finds a document by keyword as soon as it is stored, and by meaning once its vectors are', async () => {
    const lib = start(database());
    const empty = await lib.open({ model: MODEL });
    expect(empty.documents).toEqual([]);
    expect(empty.collections.map((c) => c.name)).toEqual(['My documents']);

    const docs = await Promise.all(Object.keys(TEXTS).map((n) => ingest(n)));
    for (const d of docs) expect((await lib.add(d)).status).toBe('added');
    const snap = await lib.snapshot();
    expect(snap.documents.map((d) => d.name)).toEqual(['tides.md', 'bread.md', 'trains.md']);
    expect(snap.documents.every((d) => !d.embedded)).toBe(true);
    expect(snap.chunks).toBe(3);
    expect(snap.embeddedChunks).toBe(0);

    // Stemming: "rising tides" matches "tide rises".
    const kw = await lib.search({ query: 'rising tides', mode: 'keyword', k: 3 });
    expect(kw.hits[0]).toMatchObject({ docName: 'tides.md', rank: 1, headingPath: ['Tides'] });
    expect(kw.hits[0]!.keyword!.rank).toBe(1);
    expect(kw.hits[0]!.text).toContain('The moon pulls the oceans');

    // Hybrid before any vector exists runs as keyword search and says why.
    const early = await lib.search({ query: 'rising tides', mode: 'hybrid', k: 3 });
    expect(early.modeUsed).toBe('keyword');
    expect(early.fallbackReason).toMatch(/embedded/);

    for (const d of docs) await embedDoc(lib, d);
    const after = await lib.snapshot();
    expect(after.embeddedChunks).toBe(3);
    expect(after.documents.every((d) => d.embedded)).toBe(true);

    // A chunk's own text embeds to the same unit vector: it must come back first, cosine ≈ 1.
    const trainText = docs[2]!.chunks[0]!.text;
    const dense = await lib.search({ query: trainText, queryVector: await queryVector(trainText), mode: 'dense', k: 3 });
    expect(dense.modeUsed).toBe('dense');
    expect(dense.hits[0]!.docName).toBe('trains.md');
    expect(dense.hits[0]!.dense!.score).toBeCloseTo(1, 4);
    expect(dense.hits).toHaveLength(3);

    const hybrid = await lib.search({ query: trainText, queryVector: await queryVector(trainText), mode: 'hybrid', k: 3 });
    expect(hybrid.modeUsed).toBe('hybrid');
    expect(hybrid.hits[0]).toMatchObject({ docName: 'trains.md', keyword: { rank: 1 }, dense: { rank: 1 } });
  });

  it('reopening rebuilds the same results from the store, and resumes documents left without vectors', async () => {
    const db = database();
    const first = start(db);
    await first.open({ model: MODEL });
    const [tides, bread] = await Promise.all([ingest('tides.md'), ingest('bread.md')]);
    await first.add(tides);
    await first.add(bread);
    await embedDoc(first, tides); // bread's embedding is "interrupted by a reload"
    const q = 'moon oceans tide';
    const before = await first.search({ query: q, queryVector: await queryVector(q), mode: 'hybrid', k: 5 });

    const second = start(db);
    const snap = await second.open({ model: MODEL });
    expect(snap.documents.map((d) => [d.name, d.embedded])).toEqual([
      ['tides.md', true],
      ['bread.md', false],
    ]);
    const again = await second.search({ query: q, queryVector: await queryVector(q), mode: 'hybrid', k: 5 });
    expect(again.hits.map((h) => [h.chunkId, h.score, h.keyword, h.dense])).toEqual(
      before.hits.map((h) => [h.chunkId, h.score, h.keyword, h.dense]),
    );

    const pending = pendingEmbeddings((await second.snapshot()).documents);
    expect(pending).toEqual([{ docId: bread.id, name: 'bread.md', chunks: bread.chunks.length, otherModels: [] }]);

    // Another embedding model: nothing has its vectors; documents embedded with the old one say so.
    await second.open({ model: 'other-model' });
    const offered = pendingEmbeddings((await second.snapshot()).documents);
    expect(offered.map((p) => [p.name, p.otherModels])).toEqual([
      ['tides.md', [MODEL]],
      ['bread.md', []],
    ]);
  });

  it('replacing a document with the same file chunked smaller swaps its chunks at once, and it is embedded again', async () => {
    const db = database();
    const lib = start(db);
    await lib.open({ model: MODEL });
    const long = Array.from({ length: 40 }, (_, i) => `Lighthouse keeper log ${i}: the lamp at Quillfeather Point burned ${i} hours.`).join(
      ' ',
    );
    const big = await ingest('log.txt', long);
    await lib.add(big);
    await embedDoc(lib, big);
    expect((await lib.snapshot()).documents[0]).toMatchObject({ chunkCount: big.chunks.length, embedded: true, indexing: big.indexing });

    const smaller = await ingestFile(new Blob([long]), { name: 'log.txt', maxBytes: 1e6, chunking: { chunkTokens: 64, overlapTokens: 0 } });
    if (smaller.kind !== 'parsed') throw new Error('expected a parsed document');
    expect(smaller.doc.id).toBe(big.id);
    expect(smaller.doc.chunks.length).toBeGreaterThan(big.chunks.length);
    const replaced = await lib.replace(smaller.doc);
    expect(replaced).toMatchObject({
      chunkCount: smaller.doc.chunks.length,
      embedded: false,
      indexing: { chunkTokens: 64, overlapTokens: 0 },
    });
    const snap = await lib.snapshot();
    expect(snap.chunks).toBe(smaller.doc.chunks.length);
    expect(snap.embeddedChunks).toBe(0);
    // Keyword search sees only the new chunks; the document waits to be embedded again.
    const hits = (await lib.search({ query: 'lamp burned 39 hours', mode: 'keyword', k: 50 })).hits;
    expect(hits.map((h) => h.chunkId).every((id) => parseChunkId(id).ordinal < smaller.doc.chunks.length)).toBe(true);
    expect(hits[0]!.text).toContain('log 39:');
    expect(pendingEmbeddings((await lib.snapshot()).documents).map((p) => [p.docId, p.chunks])).toEqual([
      [big.id, smaller.doc.chunks.length],
    ]);

    // Reopened (a reload): the stamp comes back from the store, as the profile does (tests/store-cases.ts).
    const again = start(db);
    const reopened = await again.open({ model: MODEL });
    expect(reopened.documents[0]!.indexing).toEqual(smaller.doc.indexing);
    await lib.remove(big.id);
    expect(await again.replace(smaller.doc)).toBeNull();
  });

  it('deleting a document removes it from search, the list and the store', async () => {
    const db = database();
    const lib = start(db);
    await lib.open({ model: MODEL });
    const [tides, trains] = await Promise.all([ingest('tides.md'), ingest('trains.md')]);
    await lib.add(tides);
    await lib.add(trains);
    await embedDoc(lib, tides);
    await embedDoc(lib, trains);
    const tideText = tides.chunks[0]!.text;

    await lib.remove(tides.id);
    const kw = await lib.search({ query: 'moon tide', mode: 'keyword', k: 5 });
    expect(kw.hits.filter((h) => h.docId === tides.id)).toEqual([]);
    const dense = await lib.search({ query: tideText, queryVector: await queryVector(tideText), mode: 'dense', k: 5 });
    expect(dense.hits.map((h) => h.docName)).toEqual(['trains.md']);
    const snap = await lib.snapshot();
    expect(snap.documents.map((d) => d.name)).toEqual(['trains.md']);
    // Gone from the in-memory indexes too, not merely filtered out of the results.
    expect([snap.chunks, snap.embeddedChunks]).toEqual([1, 1]);

    const store = await Store.open(db.name, { indexedDB: db.factory, channel: null });
    expect(await store.chunksOf('default', tides.id)).toEqual([]);
    expect(await store.getDocument('default', tides.id)).toBeNull();
    const loaded = await store.loadIndex('default', MODEL);
    expect(loaded.keyword.map((e) => e.chunkId)).toEqual([chunkId(trains.id, 0)]);
    expect(loaded.vectors!.docs.map((d) => d.docId)).toEqual([trains.id]);
    store.close();
  });

  it('keeps one copy of the same content, and refuses vectors of another model', async () => {
    const lib = start(database());
    await lib.open({ model: MODEL });
    const doc = await ingest('tides.md');
    expect((await lib.add(doc)).status).toBe('added');
    expect((await lib.add(doc)).status).toBe('duplicate');
    expect((await lib.snapshot()).documents).toHaveLength(1);

    const err = await embedDoc(lib, doc, 'some-other-model').catch((e: unknown) => e);
    expect(isAppError(err, 'EmbeddingModelMismatch')).toBe(true);
    expect((await lib.snapshot()).embeddedChunks).toBe(0);
  });

  it('another tab storing or deleting a document reaches this one, already indexed', async () => {
    const db = database();
    const here = start(db);
    const there = start(db);
    await here.open({ model: MODEL });
    await there.open({ model: MODEL });
    const events: LibraryEvent[] = [];
    const controller = new AbortController();
    const watching = here.watch((e) => events.push(e), controller.signal);

    const doc = await ingest('bread.md');
    await there.add(doc);
    await expect.poll(() => events.length, { timeout: 5000 }).toBeGreaterThan(0);
    expect(events[0]).toEqual({ type: 'changed' });
    const found = await here.search({ query: 'sourdough yeast', mode: 'keyword', k: 3 });
    expect(found.hits.map((h) => h.docName)).toEqual(['bread.md']);

    events.length = 0;
    await there.remove(doc.id);
    await expect.poll(() => events.length, { timeout: 5000 }).toBeGreaterThan(0);
    expect((await here.search({ query: 'sourdough yeast', mode: 'keyword', k: 3 })).hits).toEqual([]);
    controller.abort();
    await watching;
  });

  it('collections keep documents apart; deleting the open one falls back to the default', async () => {
    const lib = start(database());
    await lib.open({ model: MODEL });
    await lib.add(await ingest('tides.md'));
    const work = await lib.createCollection('Work');
    const opened = await lib.open({ model: MODEL, collectionId: work.id });
    expect(opened.collectionId).toBe(work.id);
    expect(opened.documents).toEqual([]);
    await lib.add(await ingest('trains.md'));
    expect((await lib.search({ query: 'moon tide', mode: 'keyword', k: 5 })).hits).toEqual([]);
    expect((await lib.snapshot()).collections.map((c) => [c.name, c.documents])).toEqual([
      ['My documents', 1],
      ['Work', 1],
    ]);

    await lib.deleteCollection(work.id);
    const back = await lib.snapshot();
    expect(back.collectionId).toBe('default');
    expect(back.documents.map((d) => d.name)).toEqual(['tides.md']);
    expect(back.collections.map((c) => c.name)).toEqual(['My documents']);
  });

  it('a call sent after a re-open sees the new library, and a write sent before it is in it', async () => {
    const lib = start(database());
    await lib.open({ model: MODEL });
    const doc = await ingest('tides.md');
    // Sent back to back, without waiting, as the page does when a setting changes mid-drop.
    const adding = lib.add(doc);
    const reopened = lib.open({ model: 'other-model' });
    const snapshot = lib.snapshot();
    expect((await snapshot).model).toBe('other-model');
    expect((await adding).status).toBe('added');
    expect((await reopened).documents.map((d) => d.name)).toEqual(['tides.md']);
    expect((await lib.search({ query: 'moon tide', mode: 'keyword', k: 3 })).hits.map((h) => h.docName)).toEqual(['tides.md']);
  });

  it('shows a passage within its surroundings without repeating the overlap, and gives back the original file', async () => {
    const lib = start(database());
    await lib.open({ model: MODEL });
    const text = Array.from({ length: 120 }, (_, i) => `Sentence ${i} of the long report says that value ${i * 7} held.`).join(' ');
    const r = await ingestFile(new Blob([text]), { name: 'long.txt', maxBytes: 1e6, chunking: { chunkTokens: 64, overlapTokens: 16 } });
    if (r.kind !== 'parsed') throw new Error('expected a parsed document');
    const doc = r.doc;
    expect(doc.chunks.length).toBeGreaterThan(3);
    await lib.add(doc, new Blob([text], { type: 'text/plain' }));

    const [prev, cur, next] = [doc.chunks[1]!, doc.chunks[2]!, doc.chunks[3]!];
    expect(prev.end).toBeGreaterThan(cur.start); // the chunks do overlap
    const ctx = (await lib.context(doc.id, 2))!;
    expect(ctx.text).toBe(cur.text);
    expect(ctx.before).toBe(doc.text.slice(prev.start, cur.start));
    expect(ctx.after).toBe(doc.text.slice(cur.end, next.end));
    // The first chunk has nothing before it; a chunk that does not exist has no context.
    expect((await lib.context(doc.id, 0))!.before).toBe('');
    expect(await lib.context(doc.id, 999)).toBeNull();

    const original = (await lib.original(doc.id))!;
    expect(original).toMatchObject({ name: 'long.txt', format: 'text' });
    expect(await original.file.text()).toBe(text);
    await lib.remove(doc.id);
    expect(await lib.original(doc.id)).toBeNull();
  });

  it('keeps a space or a paragraph break between a passage and chunks next to it that do not overlap it', async () => {
    const lib = start(database());
    await lib.open({ model: MODEL });
    const paragraph = (p: number): string =>
      Array.from({ length: 6 }, (_, i) => `Paragraph ${p} sentence ${i} says the tide gauge ${p * 10 + i} was loose.`).join(' ');
    const text = Array.from({ length: 12 }, (_, p) => paragraph(p)).join('\n\n');
    // No overlap: where a chunk ends, the next begins after the blank between them.
    const r = await ingestFile(new Blob([text]), { name: 'gauges.txt', maxBytes: 1e6, chunking: { chunkTokens: 64, overlapTokens: 0 } });
    if (r.kind !== 'parsed') throw new Error('expected a parsed document');
    const doc = r.doc;
    await lib.add(doc);
    const chunks = doc.chunks;
    // The premise: chunks end at sentence ends inside a paragraph and at paragraph ends.
    const gaps = chunks.slice(1).map((c, i) => doc.text.slice(chunks[i]!.end, c.start));
    expect(new Set(gaps)).toEqual(new Set([' ', '\n\n']));

    for (let n = 1; n < chunks.length - 1; n++) {
      const ctx = (await lib.context(doc.id, n))!;
      // What the passage view shows reads as the document does: no "loose.Paragraph" anywhere.
      expect(ctx.before + ctx.text + ctx.after, `chunk ${n}`).toBe(doc.text.slice(chunks[n - 1]!.start, chunks[n + 1]!.end));
    }
  });

  it('embeds a stored document through the embed worker it is connected to, with the texts as indexed', async () => {
    const lib = start(database());
    await lib.open({ model: MODEL });
    const doc = await ingest('tides.md');
    await lib.add(doc);
    await expect(lib.embed({ docId: doc.id, model: MODEL, batchSize: 4 })).rejects.toSatisfy((e) => isAppError(e, 'EngineNotLoaded'));

    // The page makes a channel and hands one end to each worker; texts and vectors never cross it.
    const worker = embedWorker();
    await worker.load({ model: MODEL, source: { kind: 'local', path: fixtureModels() }, device: 'wasm', dtype: 'fp32' });
    const { port1, port2 } = new MessageChannel();
    await worker.connect(port1 as unknown as MessagePort);
    await lib.connectEmbedder(port2 as unknown as MessagePort);
    await expect(lib.embed({ docId: doc.id, model: 'other-model', batchSize: 4 })).rejects.toSatisfy((e) =>
      isAppError(e, 'EmbeddingModelMismatch'),
    );
    const progress: number[] = [];
    const out = await lib.embed({ docId: doc.id, model: MODEL, batchSize: 4 }, { onEvent: (p) => progress.push(p.loaded) });
    expect(out).toMatchObject({ chunks: doc.chunks.length, dim: 32, doc: { id: doc.id, embedded: true } });
    expect(progress.at(-1)).toBe(doc.chunks.length);
    expect(pendingEmbeddings((await lib.snapshot()).documents)).toEqual([]);
    // The stored vectors are the passages embedded as they were indexed (with their context).
    const direct = await embedder.embed({ texts: doc.chunks.map(indexedText), kind: 'passage', batchSize: 4 });
    const q = await queryVector('moon tide');
    const hit = (await lib.search({ query: 'moon tide', queryVector: q, mode: 'dense', k: 1 })).hits[0]!;
    const expected = direct.vectors.slice(0, direct.dim).reduce((n, v, i) => n + v * q[i]!, 0);
    expect(hit.dense?.score).toBeCloseTo(expected, 5);
    expect(await lib.embed({ docId: 'gone', model: MODEL, batchSize: 4 })).toBeNull();

    // The embed worker is gone: a call waiting on it fails at once, by name.
    const again = await ingest('bread.md');
    await lib.add(again);
    const waiting = lib.embed({ docId: again.id, model: MODEL, batchSize: 1 });
    await lib.connectEmbedder(null, 'The embedding worker stopped unexpectedly.');
    await expect(waiting).rejects.toSatisfy((e) => isAppError(e, 'WorkerCrashed'));
    expect(pendingEmbeddings((await lib.snapshot()).documents).map((p) => p.name)).toEqual(['bread.md']);
  });

  it('calls before open fail with a named error', async () => {
    const lib = start(database());
    const err = await lib.search({ query: 'x', mode: 'keyword', k: 1 }).catch((e: unknown) => e);
    expect(isAppError(err, 'InvalidRequest')).toBe(true);
  });
});
