/**
 * The Evaluate view's state (src/state/evaluate.svelte.ts) driven in Node as the page drives it:
 * createPageState over workers made of the real handlers (tests/unit/page-workers.ts), the tiny
 * generated models on the real transformers.js runtime, the library over fake-indexeddb. What a
 * user does: import a file, run it, pause, resume, cancel, delete; and what they must be told.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../../src/settings/defaults';
import { withOverrides } from '../../src/settings/validate';
import { createPageState, type PageState } from '../../src/state/page';
import { summarizeRun } from '../../src/eval/runs';
import { runToCsv } from '../../src/eval/export';
import { fixtureModels } from '../fixtures/models';
import { useNodeWorkers, type NodeWorkers } from './page-workers';

const workers = useNodeWorkers();
const pages: PageState[] = [];
afterEach(() => {
  for (const p of pages.splice(0)) p.dispose();
});

const SETTINGS: Settings = withOverrides(DEFAULT_SETTINGS, {
  modelSource: fixtureModels(),
  embedding: { model: 'tiny-bert', device: 'wasm', dtype: 'fp32', batchSize: 4 },
  llm: { engine: 'transformers', transformersModel: 'tiny-gpt2', transformersDevice: 'wasm', transformersDtype: 'fp32', maxTokens: 16 },
});

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const file = (name: string, text: string) => ({ file: new File([text], name, { type: 'text/plain' }), path: name });

const CSV = [
  'question,answer,source',
  'How much wheat did the 2023 harvest yield?,"4,215 tonnes of wheat.",harvest.txt',
  'Why does the tide rise twice a day?,The moon pulls the oceans.,',
  'Why does sourdough rise slowly?,Wild yeast ferments the flour for many hours.,bread.txt',
  'When does the night train leave?,At ten.,',
].join('\n');

/** A page with three embedded documents and the question file imported as a set. */
async function ready(w: NodeWorkers = workers()): Promise<PageState> {
  const p = createPageState({ spawn: w.spawn, settings: () => SETTINGS, gpu: () => null, origin: 'http://127.0.0.1' });
  pages.push(p);
  await p.library.open();
  await p.ingest.add([
    file('tides.txt', 'The moon pulls the oceans, so the tide rises and falls twice a day along most coasts.'),
    file('harvest.txt', 'The 2023 harvest yielded 4,215 tonnes of wheat across the valley farms, a record for the region.'),
    file('bread.txt', 'Sourdough bread rises slowly because wild yeast ferments the flour for many hours.'),
  ]);
  await until('all three are embedded', () => p.library.documents.length === 3 && p.library.documents.every((d) => d.embedded));
  await p.evaluate.startImport(new File([CSV], 'set.csv', { type: 'text/csv' }));
  expect(p.evaluate.draft).toMatchObject({ error: null, name: 'set' });
  expect(p.evaluate.draft!.questions).toHaveLength(4);
  await p.evaluate.confirmImport();
  expect(p.evaluate.sets.map((s) => [s.name, s.questions.length, s.origin])).toEqual([['set', 4, 'imported']]);
  p.evaluate.form = { mode: 'keyword', k: 2, judge: false, panes: false };
  return p;
}

describe('page state: the Evaluate view', () => {
  it('pauses a run keeping what it scored, resumes it to the end, and shows every question once with its grounding', async () => {
    const p = await ready();
    const running = p.evaluate.startRun();
    await until('the first result is stored', () => (p.evaluate.active?.run.done ?? 0) >= 1);
    p.evaluate.pause();
    await running;
    expect(p.evaluate.active).toBeNull();
    const [paused] = p.evaluate.runs;
    expect(paused).toMatchObject({ status: 'paused', total: 4, label: 'keyword · top 2 · tiny-gpt2' });
    expect(paused!.done).toBeGreaterThanOrEqual(1);
    expect(paused!.done).toBeLessThan(4);
    // The run keeps the chat model it started with, for resuming exactly like it began.
    expect(paused!.settings.chatModel?.model).toBe('tiny-gpt2');

    await p.evaluate.resume(paused!.id);
    expect(p.evaluate.error).toBeNull();
    expect(p.evaluate.runs[0]).toMatchObject({ status: 'done', done: 4 });
    await p.evaluate.open(paused!.id);
    const results = p.evaluate.opened!.results;
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(results[0]!.retrieval).toMatchObject({ by: 'rule', evidenceRank: 1, named: ['harvest.txt'] });
    // Retrieval asked for the run's top 2 (keyword search returns fewer when fewer passages match).
    expect(results[0]!.comparison.asked).toEqual({ mode: 'keyword', k: 2 });
    expect(Math.max(...results.map((r) => r.comparison.retrieval.hits.length))).toBe(2);
    // The collection has vectors: the grounded answers' sentences were judged.
    expect(results.every((r) => r.grounding === null || r.grounding.sentences.length > 0)).toBe(true);
    expect(results.some((r) => r.grounding !== null)).toBe(true);
  });

  it('cancels a run for good, refuses to resume one started with another model, and deletes a set with its runs', async () => {
    const p = await ready();
    const running = p.evaluate.startRun();
    await until('the first result is stored', () => (p.evaluate.active?.run.done ?? 0) >= 1);
    p.evaluate.cancel();
    await running;
    const [cancelled] = p.evaluate.runs;
    expect(cancelled!.status).toBe('cancelled');
    expect(cancelled!.done).toBeLessThan(4);

    // A run started with another chat model cannot go on with this one: its answers would mix.
    const lib = await p.library.ready();
    await lib.saveEvalRun({
      ...cancelled!,
      status: 'paused',
      settings: { ...cancelled!.settings, chatModel: { ...cancelled!.settings.chatModel!, model: 'other-model' } },
    });
    await p.evaluate.load();
    await p.evaluate.resume(cancelled!.id);
    expect(p.evaluate.error?.message).toMatch(/started with the chat model other-model, but tiny-gpt2 is loaded now/);
    // Refused, not failed: it can go on once that model is chosen again.
    expect(p.evaluate.runs[0]!.status).toBe('paused');
    const stored = (await lib.evalRun(cancelled!.id))!;
    expect(stored.results).toHaveLength(cancelled!.done);

    // A set with runs stays as it is: its runs pair answers with its questions by position.
    await p.evaluate.removeQuestion('q2');
    expect(p.evaluate.error?.message).toMatch(/“set” has runs, which pair answers with its questions by position/);
    expect(p.evaluate.sets[0]!.questions).toHaveLength(4);

    await p.evaluate.deleteSet(p.evaluate.sets[0]!.id);
    expect(p.evaluate.sets).toEqual([]);
    expect(p.evaluate.runs).toEqual([]);
    expect(await lib.evalRun(cancelled!.id)).toBeNull();
  });

  it('refuses a question file with bad rows, naming them, and stores nothing', async () => {
    const p = await ready();
    await p.evaluate.startImport(new File(['question,answer\nWhat is it?,\n,An answer\n'], 'bad.csv', { type: 'text/csv' }));
    expect(p.evaluate.draft!.questions).toEqual([]);
    expect(p.evaluate.draft!.error).toMatch(/bad\.csv is not a question set: row 2 .*has no reference answer; row 3 has no question/);
    await p.evaluate.confirmImport();
    expect(p.evaluate.sets).toHaveLength(1);
  });

  it('a run by meaning waits until every passage has vectors: it would otherwise measure keyword search', async () => {
    const w = workers();
    const p = await ready(w);
    const release = w.holdEmbeds();
    await p.ingest.add([file('late.txt', 'A late note about the harbour crane, added after the others were embedded.')]);
    await until('the note is stored', () => p.library.documents.length === 4);
    p.evaluate.form = { mode: 'hybrid', k: 2, judge: false, panes: false };
    await p.evaluate.startRun();
    expect(p.evaluate.error?.message).toBe(
      '1 of 4 passages are not embedded yet, so they cannot be found by meaning: wait until every document is searchable by meaning, or run by keywords.',
    );
    expect(p.evaluate.runs).toEqual([]);
    release();
    await until('the note is embedded', () => p.library.documents.every((d) => d.embedded));
    p.evaluate.form = { mode: 'hybrid', k: 2, judge: false, panes: false };
    await p.evaluate.startRun();
    expect(p.evaluate.error).toBeNull();
    expect(p.evaluate.runs[0]).toMatchObject({ status: 'done', label: 'hybrid · top 2 · tiny-gpt2' });
  });

  it('a generated set exported as JSON imports again with its gold passages', async () => {
    const p = await ready();
    const doc = p.library.documents.find((d) => d.name === 'harvest.txt')!;
    const exported = JSON.stringify({
      name: 'Generated',
      origin: 'generated',
      questions: [
        {
          id: 'g1',
          question: 'What record did the valley farms set?',
          answer: 'A record harvest of 4,215 tonnes.',
          sources: ['harvest.txt'],
          type: 'generated',
          chunkType: '',
          gold: { docId: doc.id, docName: 'harvest.txt', ordinal: 0, text: 'The 2023 harvest …' },
        },
        {
          id: 'g2',
          question: 'Which crane is on the quay?',
          answer: 'The red one.',
          sources: [],
          type: 'generated',
          chunkType: '',
          gold: { docId: 'not-in-this-collection', docName: 'other.txt', ordinal: 3, text: '…' },
        },
      ],
    });
    await p.evaluate.startImport(new File([exported], 'generated.questions.json', { type: 'application/json' }));
    expect(p.evaluate.draft!.table.columns).not.toContain('gold');
    await p.evaluate.confirmImport();
    const set = p.evaluate.sets.find((s) => s.name === 'generated.questions')!;
    expect(set.questions[0]!.gold).toMatchObject({ docId: doc.id, ordinal: 0 });
    // A gold passage of a document this collection does not hold is dropped: the rule judges that one.
    expect(set.questions[1]!.gold).toBeUndefined();
  });

  it('typed questions go into a set of their own, and a question without a reference answer is refused', async () => {
    const p = await ready();
    p.evaluate.setId = null;
    expect(await p.evaluate.addQuestion('What does the moon pull?', '', '')).toBe(false);
    expect(p.evaluate.error?.message).toMatch(/reference answer/);
    expect(await p.evaluate.addQuestion('What does the moon pull?', 'The oceans.', 'tides.txt')).toBe(true);
    const typed = p.evaluate.sets.find((s) => s.origin === 'typed')!;
    expect(typed.questions).toMatchObject([
      { id: 'q1', question: 'What does the moon pull?', answer: 'The oceans.', sources: ['tides.txt'] },
    ]);
    expect(await p.evaluate.addQuestion('What ferments the flour?', 'Wild yeast.', '')).toBe(true);
    expect(p.evaluate.sets.find((s) => s.id === typed.id)!.questions.map((q) => q.id)).toEqual(['q1', 'q2']);
  });

  it('question generation is a job: cancelled, it stores nothing and says so', async () => {
    const p = await ready();
    // The three notes are too short to ask about: the user is told what to do.
    await p.evaluate.generate(5);
    expect(p.evaluate.error?.message).toBe(
      'No passage of this collection is long enough to ask about (at least 200 characters): add longer documents.',
    );
    await p.ingest.add([
      file(
        'station.txt',
        'Kestrel Point Tide Station stands at the end of the old ferry pier. It has recorded the water level every six minutes since 1987, ' +
          'except for eleven days in February 2014, when a storm tore the gauge housing loose. The gauge is calibrated every 90 days.',
      ),
    ]);
    const job = p.evaluate.generate(5);
    await until('generation started', () => p.evaluate.generating);
    p.evaluate.cancelGeneration();
    await job;
    expect(p.evaluate.error?.message ?? null).toBeNull();
    expect(p.evaluate.generating).toBe(false);
    expect(p.evaluate.generationStatus).toBe('Generation cancelled: nothing was stored.');
    expect(p.evaluate.sets.filter((s) => s.origin === 'generated')).toEqual([]);
  });
});

describe('page state: a run with panes', () => {
  it("asks every question with Ask's panes: with/without compares the base model's two panes, and each pane is scored", async () => {
    const p = await ready();
    // Ask's panes as a workshop sets them: pretraining vs fine-tuning vs retrieval.
    p.compare.choosePreset('training');
    p.compare.editPane('tuned', { model: 'tiny-gpt2-tuned' });
    p.evaluate.form = { mode: 'keyword', k: 2, judge: true, panes: true };
    await p.evaluate.startRun();
    // The judge grades with the Settings model, which the panes may unload: refused, with why.
    expect(p.evaluate.error?.message).toMatch(/^The judge pass grades with the Settings model/);
    expect(p.evaluate.runs).toEqual([]);

    p.evaluate.form = { mode: 'keyword', k: 2, judge: false, panes: true };
    await p.evaluate.startRun();
    expect(p.evaluate.error).toBeNull();
    const [run] = p.evaluate.runs;
    expect(run).toMatchObject({ status: 'done', done: 4, label: 'keyword · top 2 · 3 panes' });
    expect(run!.settings.panes!.map((x) => [x.id, x.model, x.retrieval])).toEqual([
      ['base', 'tiny-gpt2', false],
      ['tuned', 'tiny-gpt2-tuned', false],
      ['base-docs', 'tiny-gpt2', true],
    ]);
    await p.evaluate.open(run!.id);
    const results = p.evaluate.opened!.results;
    for (const r of results) {
      expect(r.panes!.map((x) => x.run.status)).toEqual(['done', 'done', 'done']);
      // Without vs with documents: the base model's two panes.
      expect(r.comparison.plain.result!.text).toBe(r.panes![0]!.run.result!.text);
      expect(r.comparison.grounded.result!.text).toBe(r.panes![2]!.run.result!.text);
      expect(r.comparison.grounded.passagesUsed).toBe(r.comparison.retrieval.hits.length);
      expect(r.comparison.plain.passagesUsed).toBeUndefined();
    }
    const summary = summarizeRun(results, 2);
    expect(summary.panes!.map((x) => [x.label, x.model, x.retrieval])).toEqual([
      ['Base model', 'tiny-gpt2', false],
      ['Fine-tuned model', 'tiny-gpt2-tuned', false],
      ['Base model + your documents', 'tiny-gpt2', true],
    ]);
    expect(summary.panes![0]!.f1).toBe(summary.f1.plain);
    expect(summary.panes![2]!.f1).toBe(summary.f1.grounded);
    // The CSV carries every pane's answer and scores, under the pane's name.
    const header = runToCsv(run!, results).split('\r\n')[0]!;
    expect(header).toContain('pane “Fine-tuned model” (tiny-gpt2-tuned): answer,pane “Fine-tuned model” (tiny-gpt2-tuned): status');
    expect(header).toContain('pane “Base model + your documents” (tiny-gpt2): key facts');
  });

  it('refuses panes that have no pane without documents, saying what to change', async () => {
    const p = await ready();
    p.compare.choosePreset('server');
    p.compare.editPane('server-docs', { engine: 'transformers', model: 'tiny-gpt2-tuned' });
    p.evaluate.form = { mode: 'keyword', k: 2, judge: false, panes: true };
    await p.evaluate.startRun();
    expect(p.evaluate.error?.message).toBe(
      'A run compares answers without and with your documents: add a pane without documents in Ask, or run with the default two panes.',
    );
    expect(p.evaluate.runs).toEqual([]);
  });
});
