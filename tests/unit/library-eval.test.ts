/**
 * The library worker's side of the Evaluate view, driven as the page drives it (typed client ↔
 * MessageChannel ↔ handlers, fake-indexeddb, documents from the real ingest pipeline): question
 * sets and runs of the open collection, retrieval scored by the evidence rule over the
 * collection's own passages (and scored afresh once the collection changes), and passages drawn
 * for question generation.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { Library } from '../../src/library/library';
import { Store } from '../../src/store';
import { ingestFile, type IngestedDocument } from '../../src/ingest/ingest';
import type { EvalQuestion, EvalResultRecord, EvalRunRecord, QuestionSetRecord } from '../../src/eval/runs';
import type { RankedPassage } from '../../src/library/protocol';
import type { WorkerLibrary } from '../../src/library/client';
import { useLibraries } from './library-harness';

const MODEL = 'tiny-bert';
const { database, start } = useLibraries();

const TEXTS: Record<string, string> = {
  'tides.md': '# Tides\n\nThe moon pulls the oceans, so the tide rises and falls twice a day along most coasts.',
  'harvest.md': '# Harvest\n\nThe 2023 harvest yielded 4,215 tonnes of wheat across the valley farms, a record for the region.',
  'bread.md': '# Baking\n\nSourdough bread rises slowly because wild yeast ferments the flour for many hours.',
};

async function ingest(name: string, text = TEXTS[name]!, chunkTokens = 256): Promise<IngestedDocument> {
  const r = await ingestFile(new Blob([text]), { name, maxBytes: 1e6, chunking: { chunkTokens, overlapTokens: 0 } });
  if (r.kind !== 'parsed') throw new Error('expected a parsed document');
  return r.doc;
}

const question = (id: string, q: string, answer: string, sources: string[] = []): EvalQuestion => ({
  id,
  question: q,
  answer,
  sources,
  type: '',
  chunkType: '',
});

const QUESTIONS: EvalQuestion[] = [
  question('q1', 'How much wheat did the 2023 harvest yield?', 'It yielded 4,215 tonnes of wheat.'),
  question('q2', 'How much wheat did the harvest yield?', '4,215 tonnes.', ['harvest*']),
  question('q3', 'What did the mayor say about the harbour?', 'The documents do not provide any information about the mayor.'),
];

/** A document's chunks as retrieval hands them over (best first, in the order given). */
function ranked(...docs: IngestedDocument[]): RankedPassage[] {
  return docs.flatMap((d) => d.chunks.map((c) => ({ docId: d.id, docName: d.name, ordinal: c.ordinal, text: c.text })));
}

async function openWith(lib: WorkerLibrary, names: string[]): Promise<IngestedDocument[]> {
  await lib.open({ model: MODEL });
  const docs: IngestedDocument[] = [];
  for (const n of names) {
    const d = await ingest(n);
    await lib.add(d);
    docs.push(d);
  }
  return docs;
}

describe('library worker: evaluation', () => {
  it('scores retrieval by the evidence rule: the rank of the chunk holding the reference’s number, named sources, declines', async () => {
    const lib = start(database());
    const [tides, harvest, bread] = await openWith(lib, ['tides.md', 'harvest.md', 'bread.md']);

    const first = await lib.scoreRetrieval(QUESTIONS, 0, ranked(tides!, harvest!, bread!));
    // No sources: any document may hold the answer (named lists them all), and no source rank is kept.
    expect(first).toEqual({
      evidenceRank: 2,
      sourceRank: 0,
      named: ['tides.md', 'harvest.md', 'bread.md'],
      evidenceInCollection: 1,
      declined: false,
    });
    expect(await lib.scoreRetrieval(QUESTIONS, 0, ranked(bread!, tides!))).toMatchObject({ evidenceRank: 0, evidenceInCollection: 1 });
    // Sources named by glob: found in the collection, and where their first passage was retrieved.
    expect(await lib.scoreRetrieval(QUESTIONS, 1, ranked(bread!, harvest!))).toEqual({
      evidenceRank: 2,
      sourceRank: 2,
      named: ['harvest.md'],
      evidenceInCollection: 1,
      declined: false,
    });
    // "The documents do not provide …": no passage can hold the answer.
    expect(await lib.scoreRetrieval(QUESTIONS, 2, ranked(harvest!))).toMatchObject({
      evidenceRank: 0,
      evidenceInCollection: 0,
      declined: true,
    });
    await expect(lib.scoreRetrieval(QUESTIONS, 3, [])).rejects.toMatchObject({ name: 'InvalidRequest' });
  });

  it('scores afresh once the collection changes: a document added, one removed, another collection opened', async () => {
    const lib = start(database());
    const [, harvest] = await openWith(lib, ['tides.md', 'harvest.md']);
    const inCollection = async (): Promise<number> => (await lib.scoreRetrieval(QUESTIONS, 0, [])).evidenceInCollection;
    expect(await inCollection()).toBe(1);

    const notes = await ingest('notes.md', '# Notes\n\nFarm notes: wheat came to 4,215 tonnes in total this year.');
    await lib.add(notes);
    expect(await inCollection()).toBe(2);
    const both = await lib.scoreRetrieval(QUESTIONS, 0, ranked(notes, harvest!));
    expect(both.evidenceRank).toBe(1);

    await lib.remove(harvest!.id);
    expect(await inCollection()).toBe(1);

    const other = await lib.createCollection('Other');
    await lib.open({ model: MODEL, collectionId: other.id });
    expect(await inCollection()).toBe(0);
    // Another question list over the same collection is its own evaluator.
    const changed = [question('q1', 'How far is the coast?', 'Twelve kilometres of sand.')];
    expect(await lib.scoreRetrieval(changed, 0, [])).toMatchObject({ evidenceInCollection: 0, declined: false });
  });

  it('reads and analyses the collection once per question list, not once per question', async () => {
    const store = await Store.open('eval-cache', { indexedDB: new IDBFactory(), channel: null });
    try {
      const lib = await Library.open(store, { model: MODEL });
      for (const n of ['tides.md', 'harvest.md']) await lib.add(await ingest(n));
      const reads = vi.spyOn(store, 'collectionChunks');
      // Calls arriving together share one build.
      await Promise.all(QUESTIONS.map((_, i) => lib.scoreRetrieval(QUESTIONS, i, [])));
      await lib.scoreRetrieval(
        QUESTIONS.map((q) => ({ ...q, id: `renumbered-${q.id}` })),
        0,
        [],
      );
      expect(reads).toHaveBeenCalledTimes(1);
      await lib.scoreRetrieval(QUESTIONS.slice(0, 2), 0, []);
      expect(reads).toHaveBeenCalledTimes(2);
      await lib.add(await ingest('bread.md'));
      await lib.scoreRetrieval(QUESTIONS.slice(0, 2), 1, []);
      expect(reads).toHaveBeenCalledTimes(3);
      await lib.reload();
      await lib.scoreRetrieval(QUESTIONS.slice(0, 2), 1, []);
      expect(reads).toHaveBeenCalledTimes(4);
    } finally {
      store.close();
    }
  });

  it('samples passages spread over the documents, the same for a seed, none shorter than asked', async () => {
    const lib = start(database());
    await lib.open({ model: MODEL });
    const docs: IngestedDocument[] = [];
    for (const topic of ['lighthouse', 'orchard', 'glacier']) {
      const text = Array.from(
        { length: 30 },
        (_, i) => `The ${topic} record number ${i} notes that the ${topic} crew logged ${i * 7} observations during shift ${i}.`,
      ).join(' ');
      const d = await ingest(`${topic}.txt`, text, 64);
      expect(d.chunks.length).toBeGreaterThan(4);
      await lib.add(d);
      docs.push(d);
    }
    const byId = new Map(docs.map((d) => [d.id, d]));

    const three = await lib.samplePassages(3, 11, 20);
    expect(three.map((p) => p.docName).sort()).toEqual(['glacier.txt', 'lighthouse.txt', 'orchard.txt']);
    for (const p of three) expect(p.text).toBe(byId.get(p.docId)!.chunks[p.ordinal]!.text);
    expect(await lib.samplePassages(3, 11, 20)).toEqual(three);

    const many = await lib.samplePassages(12, 11, 20);
    expect(many.slice(0, 3)).toEqual(three);
    expect(many.some((p) => p.ordinal > 0)).toBe(true);
    expect(new Set(many.map((p) => `${p.docId}:${p.ordinal}`)).size).toBe(12);
    for (const d of docs) expect(many.filter((p) => p.docId === d.id)).toHaveLength(4);

    // Only chunks at least this long: the shortest (the last of each document) are skipped.
    const shortest = Math.min(...docs.flatMap((d) => d.chunks.map((c) => c.text.length)));
    const longer = await lib.samplePassages(100, 11, shortest + 1);
    expect(longer.length).toBeGreaterThan(0);
    expect(longer.every((p) => p.text.trim().length > shortest)).toBe(true);
    expect(await lib.samplePassages(5, 11, 1e6)).toEqual([]);
    await expect(lib.samplePassages(-1, 11, 0)).rejects.toMatchObject({ name: 'InvalidRequest' });
  });

  it('keeps question sets and runs per collection; a result of a deleted run is refused', async () => {
    const lib = start(database());
    const snap = await lib.open({ model: MODEL });
    const set: QuestionSetRecord = {
      id: 'set-1',
      collectionId: snap.collectionId,
      name: 'Harvest questions',
      createdAt: 1000,
      updatedAt: 1000,
      origin: 'typed',
      questions: QUESTIONS,
    };
    await lib.saveQuestionSet(set);
    expect(await lib.questionSets()).toEqual([set]);
    await expect(lib.saveQuestionSet({ ...set, id: 'set-2', questions: [] })).rejects.toMatchObject({ name: 'InvalidRequest' });

    const run = {
      id: 'run-1',
      collectionId: snap.collectionId,
      setId: set.id,
      setName: set.name,
      label: 'keyword · top 5',
      createdAt: 2000,
      updatedAt: 2000,
      status: 'running',
      total: 3,
      done: 0,
      elapsedMs: 0,
      settings: { judge: false },
    } as unknown as EvalRunRecord;
    await lib.saveEvalRun(run);
    const result = { runId: 'run-1', index: 1, ms: 5, question: QUESTIONS[1] } as unknown as EvalResultRecord;
    await lib.saveEvalResult(result, { ...run, done: 1, elapsedMs: 5 });
    expect((await lib.evalRuns()).map((r) => [r.id, r.done, r.elapsedMs])).toEqual([['run-1', 1, 5]]);
    expect(await lib.evalRun('run-1')).toMatchObject({ run: { id: 'run-1', done: 1 }, results: [result] });

    // Another collection open: its lists are its own.
    const other = await lib.createCollection('Other');
    await lib.open({ model: MODEL, collectionId: other.id });
    expect(await lib.questionSets()).toEqual([]);
    expect(await lib.evalRuns()).toEqual([]);

    await lib.deleteEvalRun('run-1');
    expect(await lib.evalRun('run-1')).toBeNull();
    await expect(lib.saveEvalResult({ ...result, index: 2 }, run)).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringMatching(/no longer exists/),
    });
    await lib.deleteQuestionSet('set-1');
    await lib.open({ model: MODEL, collectionId: snap.collectionId });
    expect(await lib.questionSets()).toEqual([]);
  });
});
