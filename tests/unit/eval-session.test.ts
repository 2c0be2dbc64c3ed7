/**
 * A run of a question set as the Evaluate view makes it, in Node: the real library worker (typed
 * client ↔ MessageChannel ↔ handlers over fake-indexeddb) stores and searches the documents and
 * scores retrieval, the generated tiny GPT-2 answers both sides through the real comparison, and
 * every result is stored as it is scored. Stopped after two questions, the run resumes from what
 * the store holds and ends with each question exactly once, scored as an uninterrupted run scores it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runComparison } from '../../src/compare/run';
import { AppError, isAppError } from '../../src/core/errors';
import { runLabel, summarizeRun, type EvalQuestion, type EvalRunRecord, type QuestionSetRecord } from '../../src/eval/runs';
import { runEvaluation, type SessionDeps } from '../../src/eval/session';
import type { GenerationParams } from '../../src/generate/engine';
import { PROMPT_VERSION } from '../../src/generate/prompts';
import { TransformersChatEngine } from '../../src/generate/transformers-engine';
import { ingestFile } from '../../src/ingest/ingest';
import type { WorkerLibrary } from '../../src/library/client';
import { loadTinyChat } from '../fixtures/models';
import { useLibraries } from './library-harness';

const { database, start } = useLibraries();
const PARAMS: GenerationParams = { maxTokens: 6, temperature: 0, topP: 1, seed: 7 };

const DOCS: Record<string, string> = {
  'tides.md': '# Tides\n\nThe moon pulls the oceans, so the tide rises and falls twice a day along most coasts.',
  'harvest.md': '# Harvest\n\nThe 2023 harvest yielded 4,215 tonnes of wheat across the valley farms, a record for the region.',
  'bread.md': '# Baking\n\nSourdough bread rises slowly because wild yeast ferments the flour for many hours.',
};

const q = (id: string, question: string, answer: string, extra: Partial<EvalQuestion> = {}): EvalQuestion => ({
  id,
  question,
  answer,
  sources: [],
  type: '',
  chunkType: '',
  ...extra,
});

let engine: TransformersChatEngine;
beforeAll(async () => {
  engine = await loadTinyChat();
});

async function library(): Promise<{ lib: WorkerLibrary; set: QuestionSetRecord; run: EvalRunRecord; harvest: string }> {
  const lib = start(database());
  const snap = await lib.open({ model: 'tiny-bert' });
  let harvest = '';
  for (const [name, text] of Object.entries(DOCS)) {
    const r = await ingestFile(new Blob([text]), { name, maxBytes: 1e6, chunking: { chunkTokens: 256, overlapTokens: 0 } });
    if (r.kind !== 'parsed') throw new Error(name);
    await lib.add(r.doc);
    if (name === 'harvest.md') harvest = r.doc.id;
  }
  const now = Date.now();
  const set: QuestionSetRecord = {
    id: 'set-1',
    collectionId: snap.collectionId,
    name: 'Four questions',
    createdAt: now,
    updatedAt: now,
    origin: 'imported',
    questions: [
      q('q1', 'How much wheat did the 2023 harvest yield?', '4,215 tonnes of wheat.'),
      q('q2', 'Why does the tide rise twice a day?', 'The moon pulls the oceans.'),
      q('q3', 'What does the harbour master say?', 'The documents do not provide this information.'),
      // A generated question: its evidence is the passage it was made from.
      q('g1', 'What record did the valley farms set?', 'A record harvest.', {
        gold: { docId: harvest, docName: 'harvest.md', ordinal: 0, text: DOCS['harvest.md']! },
        sources: ['harvest.md'],
      }),
    ],
  };
  await lib.saveQuestionSet(set);
  const settings: EvalRunRecord['settings'] = {
    retrieval: { mode: 'keyword', k: 2 },
    params: PARAMS,
    chatModel: null,
    embedModel: 'tiny-bert',
    promptVersion: PROMPT_VERSION,
    judge: false,
  };
  const run: EvalRunRecord = {
    id: 'run-1',
    collectionId: snap.collectionId,
    setId: set.id,
    setName: set.name,
    label: runLabel(settings),
    createdAt: now,
    updatedAt: now,
    status: 'running',
    total: set.questions.length,
    done: 0,
    elapsedMs: 0,
    settings,
  };
  await lib.saveEvalRun(run);
  return { lib, set, run, harvest };
}

function deps(lib: WorkerLibrary, set: QuestionSetRecord): SessionDeps {
  return {
    compare: (question, signal) =>
      runComparison(
        { question, retrieval: { mode: 'keyword', k: 2 }, params: PARAMS },
        { engine, search: (text, r) => lib.search({ ...r, query: text }) },
        {},
        signal,
      ),
    scoreRetrieval: (_q, index, hits) =>
      lib.scoreRetrieval(
        set.questions,
        index,
        hits.map((h) => ({ docId: h.docId, docName: h.docName, ordinal: h.ordinal, text: h.text })),
      ),
    save: (result, run) => lib.saveEvalResult(result, run),
  };
}

describe('a run of a question set', () => {
  it('the judge pass: a verdict per answer, none for a reply that is neither, and none (not a failure) when the prompt is too long', async () => {
    const a = await library();
    const judged = { ...a.run, settings: { ...a.run.settings, judge: true } };
    const replies = ['CORRECT', 'maybe', 'too long', 'Incorrect.'];
    const out = await runEvaluation(judged, { questions: a.set.questions.slice(0, 2) }, new Set(), {
      ...deps(a.lib, a.set),
      generate: () => {
        const reply = replies.shift()!;
        return reply === 'too long'
          ? Promise.reject(new AppError('ContextTooLong', 'too long', { promptTokens: 600, maxTokens: 16, contextWindow: 512 }))
          : Promise.resolve(reply);
      },
    });
    expect(out.status).toBe('done');
    const { results } = (await a.lib.evalRun(a.run.id))!;
    expect(results.map((r) => [r.judge!.plain, r.judge!.grounded])).toEqual([
      [true, null],
      [null, false],
    ]);
    expect(summarizeRun(results, 2).judge).toEqual({ plain: 1, grounded: 0, judged: 2 });
  });

  it('stores each result as it is scored, resumes after a stop from what is stored, and scores like an uninterrupted run', async () => {
    const a = await library();
    const stop = new AbortController();
    let seen = 0;
    const stopped = await runEvaluation(
      a.run,
      a.set,
      new Set(),
      deps(a.lib, a.set),
      { onResult: () => ++seen === 2 && stop.abort() },
      stop.signal,
    ).catch((e: unknown) => e);
    expect(isAppError(stopped, 'Cancelled')).toBe(true);
    const half = (await a.lib.evalRun(a.run.id))!;
    expect(half.results.map((r) => r.index)).toEqual([0, 1]);
    expect(half.run.done).toBe(2);

    // Resumed as the view resumes: from the indexes the store holds.
    const done = await runEvaluation(half.run, a.set, new Set(half.results.map((r) => r.index)), deps(a.lib, a.set));
    expect(done.status).toBe('done');
    await a.lib.saveEvalRun(done);
    const full = (await a.lib.evalRun(a.run.id))!;
    expect(full.results.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(full.run).toMatchObject({ status: 'done', done: 4, total: 4 });

    // Retrieval by the shared rule and by the gold passage.
    const [wheat, tide, harbour, record] = full.results;
    expect(wheat!.retrieval).toMatchObject({ by: 'rule', evidenceRank: 1 });
    expect(wheat!.comparison.retrieval.hits[0]!.docName).toBe('harvest.md');
    expect(tide!.retrieval.evidenceRank).toBe(1);
    expect(harbour!.retrieval).toMatchObject({ declined: true, evidenceRank: 0 });
    expect(record!.retrieval).toMatchObject({ by: 'gold', evidenceRank: 1, sourceRank: 1, named: ['harvest.md'] });
    // Everything needed to show a question as it ran: both prompts and both answers.
    expect(wheat!.comparison.grounded.messages[1]!.content).toContain('4,215 tonnes');
    expect(wheat!.comparison.plain.messages[1]!.content).not.toContain('<passage');
    expect(typeof wheat!.comparison.grounded.result?.text).toBe('string');

    // The same run without a stop scores the same (greedy decoding, same seed).
    const b = await library();
    await runEvaluation(b.run, b.set, new Set(), deps(b.lib, b.set));
    const straight = (await b.lib.evalRun(b.run.id))!;
    const figures = (rs: typeof full.results) => ({ ...summarizeRun(rs, 2) });
    expect(figures(full.results)).toEqual(figures(straight.results));
    expect(full.results.map((r) => r.comparison.grounded.result?.text)).toEqual(
      straight.results.map((r) => r.comparison.grounded.result?.text),
    );
  });
});
