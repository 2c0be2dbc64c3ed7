/**
 * A comparison of several panes run by its plan, with the real transformers.js engine on the
 * generated tiny GPT-2 and the app's keyword retrieval: retrieval once, the same params object for
 * every pane and the same passages for every pane with documents, a real unload and reload when the
 * plan swaps models, the server pane answering alongside the local sequence, failures and Stop kept
 * in their panes.
 *
 * The two local "models" are the same tiny GPT-2 under two ids (a base and a fine-tuned stand-in):
 * the flow, not the weights, is under test. The server pane is answered by SERVER_STAND_IN, a
 * second in-process TransformersChatEngine standing in for the OpenAI-compatible engine in this
 * unit test only; the server engine is tested against a real server elsewhere.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { pairOf, runPanes, type PanesDeps, type PanesRequest } from '../../src/compare/run-panes';
import { runComparison } from '../../src/compare/run';
import { presetPanes, type LocalModel, type PaneSpec } from '../../src/compare/panes';
import { TransformersChatEngine } from '../../src/generate/transformers-engine';
import type { ChatEngine, ChatLoadRequest, ChatMessage, GenerationParams } from '../../src/generate/engine';
import { AppError } from '../../src/core/errors';
import { keywordEntry } from '../../src/index/analyze';
import { KeywordIndex } from '../../src/index/keyword';
import { retrieve } from '../../src/index/retrieve';
import type { RetrievalOptions, SearchHit, SearchResult } from '../../src/index/types';
import { fixtureModels } from '../fixtures/models';

const PASSAGES = [
  { chunkId: 'tides:0', docName: 'tides.md', headingPath: ['Tides'], text: 'The moon pulls the oceans, so the tide rises twice a day.' },
  {
    chunkId: 'bread:0',
    docName: 'bread.md',
    headingPath: ['Baking'],
    text: 'Sourdough rises slowly because wild yeast ferments the flour.',
  },
  { chunkId: 'trains:0', docName: 'trains.txt', headingPath: [], text: 'The night train reaches the coast by morning.' },
];

let searches = 0;
function search(question: string, r: RetrievalOptions): Promise<SearchResult> {
  searches++;
  const index = KeywordIndex.fromEntries(PASSAGES.map((p) => keywordEntry(p.chunkId, p.text)));
  const res = retrieve({ query: question, mode: r.mode, k: r.k }, { keyword: index });
  const hits: SearchHit[] = res.hits.map((h) => {
    const p = PASSAGES.find((x) => x.chunkId === h.chunkId)!;
    return { ...h, docId: p.docName, docName: p.docName, ordinal: 0, text: p.text, headingPath: p.headingPath };
  });
  return Promise.resolve({ hits, modeUsed: res.modeUsed, ms: res.ms.total, retrieveMs: res.ms.total });
}

const PARAMS: GenerationParams = { maxTokens: 12, temperature: 0, topP: 1, seed: 42 };
const BASE: LocalModel = { engine: 'transformers', model: 'tiny-gpt2' };
/** The same weights under another id: the plan treats it as a second model to load. */
const TUNED: LocalModel = { engine: 'transformers', model: 'tiny-gpt2-tuned' };
const SERVER_PANE: PaneSpec = {
  id: 'server-docs',
  label: 'Server model + your documents',
  engine: 'openai',
  model: 'tiny-gpt2',
  server: { baseUrl: 'http://localhost:8080/v1' },
  retrieval: true,
};
const PANES: PaneSpec[] = [...presetPanes('training', { base: BASE, fineTuned: TUNED }), SERVER_PANE];
const REQ: PanesRequest = { question: 'Why does the tide rise?', retrieval: { mode: 'keyword', k: 2 }, params: PARAMS, panes: PANES };

const loadRequest = (): ChatLoadRequest => ({
  engine: 'transformers',
  model: 'tiny-gpt2',
  source: { kind: 'local', path: fixtureModels() },
  device: 'wasm',
  dtype: 'fp32',
});

/** Records what was generated (pane engine, messages, the params object) by wrapping an engine. */
function recorded(
  name: string,
  engine: ChatEngine,
  calls: Array<{ name: string; messages: ChatMessage[]; params: GenerationParams }>,
): ChatEngine {
  return {
    load: (r, o) => engine.load(r, o),
    generate: (messages, params, opts) => {
      calls.push({ name, messages, params });
      return engine.generate(messages, params, opts);
    },
    interrupt: () => engine.interrupt(),
    unload: () => engine.unload(),
  };
}

let local: TransformersChatEngine;
/** Stands in for the OpenAI-compatible server engine: a second in-process engine, in this test only. */
let SERVER_STAND_IN: TransformersChatEngine;
beforeAll(async () => {
  local = new TransformersChatEngine();
  SERVER_STAND_IN = new TransformersChatEngine();
  await SERVER_STAND_IN.load(loadRequest());
});

/** Deps over the real engines; each tiny "model" needs 300 MB and 500 MB are allowed, so the two local ones swap. */
function deps(over: Partial<PanesDeps> = {}) {
  const log: string[] = [];
  const calls: Array<{ name: string; messages: ChatMessage[]; params: GenerationParams }> = [];
  const d: PanesDeps = {
    search,
    env: { needMB: () => 300, budget: { mb: 500, from: 'stated' }, loaded: [], maxLoaded: 2 },
    load: async (m, opts) => {
      log.push(`load ${m.model}`);
      const info = await local.load(loadRequest(), opts);
      return { engine: recorded(m.model, local, calls), info: { ...info, model: m.model } };
    },
    unload: async (m) => {
      log.push(`unload ${m.model}`);
      await local.unload();
    },
    remote: async (pane) => {
      log.push(`remote ${pane.id}`);
      return { engine: recorded('server', SERVER_STAND_IN, calls), info: null };
    },
    ...over,
  };
  return { deps: d, log, calls };
}

describe('a comparison of several panes', () => {
  it('retrieves once, gives every pane the same params and every pane with documents the same passages, and swaps models as planned', async () => {
    const { deps: d, log, calls } = deps();
    const events: string[] = [];
    const streamed: Record<string, string> = {};
    searches = 0;
    const out = await runPanes(REQ, d, {
      onPlan: (p) => events.push(`plan ${p.swaps}`),
      onRetrieved: (r) => events.push(`retrieved ${r.hits.length}`),
      onStep: (s) => events.push(`${s.kind} ${s.model.model}`),
      onStart: (id) => events.push(`start ${id}`),
      onToken: (id, t) => (streamed[id] = (streamed[id] ?? '') + t),
      onDone: (id, run) => events.push(`done ${id} ${run.status}`),
    });
    expect(searches).toBe(1);
    expect(out.plan.swaps).toBe(1);
    expect(out.plan.notes.join(' ')).toMatch(
      /tiny-gpt2-tuned \("Fine-tuned model"\) is loaded after tiny-gpt2 .* is unloaded: together they need 600 MB/,
    );

    // The local sequence: base's panes back to back, a real unload, then the tuned model.
    expect(log.filter((l) => !l.startsWith('remote'))).toEqual(['load tiny-gpt2', 'unload tiny-gpt2', 'load tiny-gpt2-tuned']);
    const local = events.filter((e) => /^(start|done|load|unload) (?!server)/.test(e));
    expect(local).toEqual([
      'load tiny-gpt2',
      'start base',
      'done base done',
      'start base-docs',
      'done base-docs done',
      'unload tiny-gpt2',
      'load tiny-gpt2-tuned',
      'start tuned',
      'done tuned done',
    ]);
    // The server pane started before the local sequence ended: it ran alongside it.
    expect(events.indexOf('start server-docs')).toBeGreaterThan(events.indexOf('retrieved 2'));
    expect(events.indexOf('start server-docs')).toBeLessThan(events.indexOf('done tuned done'));

    // One params object for all four, value for value what was asked.
    expect(calls).toHaveLength(4);
    for (const c of calls) expect(c.params).toBe(out.params);
    expect(out.params).toEqual(PARAMS);

    // Results in the panes' order, each with what it streamed; only the panes with documents saw passages, the same ones.
    expect(out.runs.map((r) => [r.paneId, r.status])).toEqual([
      ['base', 'done'],
      ['tuned', 'done'],
      ['base-docs', 'done'],
      ['server-docs', 'done'],
    ]);
    for (const r of out.runs) expect(streamed[r.paneId]).toBe(r.result!.text);
    const prompt = (id: string): string => out.runs.find((r) => r.paneId === id)!.messages[1]!.content;
    expect(prompt('base')).toBe('Why does the tide rise?');
    expect(prompt('tuned')).toBe('Why does the tide rise?');
    expect(prompt('base-docs')).toContain('<passage number="1" source="tides.md, Tides">');
    expect(prompt('server-docs')).toBe(prompt('base-docs'));
    expect(out.runs.find((r) => r.paneId === 'server-docs')!.passagesUsed).toBe(2);
    expect(out.runs.find((r) => r.paneId === 'tuned')!.model?.model).toBe('tiny-gpt2-tuned');
    expect(out.plan.retrievalFor).toEqual(['base-docs', 'server-docs']);
  });

  it("today's preset gives what runComparison gives, as the same stored comparison", async () => {
    const { deps: d, log } = deps({ env: { needMB: () => 300, budget: null, loaded: [BASE], maxLoaded: 1 } });
    const out = await runPanes({ ...REQ, panes: presetPanes('documents', { base: BASE }) }, d);
    // The model was loaded already: attached to, with no load step.
    expect(out.plan.steps.map((s) => s.kind)).toEqual(['answer']);
    expect(log).toEqual(['load tiny-gpt2']);
    const two = pairOf(out)!;
    const before = await runComparison(REQ, { engine: local, search });
    expect([two.plain.result!.text, two.grounded.result!.text]).toEqual([before.plain.result!.text, before.grounded.result!.text]);
    expect(two.plain.messages).toEqual(before.plain.messages);
    expect(two.grounded.messages).toEqual(before.grounded.messages);
    expect(two.grounded.passagesUsed).toBe(before.grounded.passagesUsed);
    expect(pairOf({ ...out, runs: out.runs.slice(0, 1) })).toBeNull();
  });

  it('as with/without figures, a pane with documents is paired with the pane asking the same model without them', async () => {
    const { deps: d } = deps({ env: { needMB: () => 0, budget: null, loaded: [], maxLoaded: 2 } });
    const panes = presetPanes('training', { base: BASE, fineTuned: TUNED });
    // The tuned model first: the first pane without documents is not the base model's.
    const out = await runPanes({ ...REQ, panes: [panes[1]!, panes[0]!, panes[2]!] }, d);
    const two = pairOf(out)!;
    expect(two.plain.result!.text).toBe(out.runs[1]!.result!.text);
    expect(two.grounded.result!.text).toBe(out.runs[2]!.result!.text);
  });

  it('a model that will not load fails its pane, and the other panes answer', async () => {
    const { deps: d } = deps();
    const load = d.load;
    d.load = (m, opts) =>
      m.model === 'tiny-gpt2-tuned'
        ? Promise.reject(new AppError('ModelNotFound', 'tiny-gpt2-tuned was not found.', { model: m.model }))
        : load(m, opts);
    const out = await runPanes(REQ, d);
    const tuned = out.runs.find((r) => r.paneId === 'tuned')!;
    expect(tuned).toMatchObject({ status: 'failed', result: null, model: null, error: { name: 'ModelNotFound' } });
    expect(tuned.messages[1]!.content).toBe('Why does the tide rise?');
    expect(out.runs.filter((r) => r.paneId !== 'tuned').map((r) => r.status)).toEqual(['done', 'done', 'done']);
  });

  it('a server that refuses fails its pane only', async () => {
    const { deps: d } = deps({
      remote: () => Promise.reject(new AppError('ModelNotFound', 'The server has no model "tiny-gpt2".', { model: 'tiny-gpt2' })),
    });
    const out = await runPanes(REQ, d);
    expect(out.runs.map((r) => r.status)).toEqual(['done', 'done', 'done', 'failed']);
    expect(out.runs[3]).toMatchObject({ error: { name: 'ModelNotFound' }, passagesUsed: 2 });
  });

  it('Stop keeps the partial answer of the pane answering and starts nothing more: no swap, no other pane', async () => {
    const { deps: d, log } = deps({
      // The server pane waits until Stop, then reports it cancelled, as a request aborted on the wire.
      remote: (_pane, opts) =>
        new Promise((_resolve, reject) => opts.signal?.addEventListener('abort', () => reject(new AppError('Cancelled', 'Cancelled.')))),
    });
    const controller = new AbortController();
    const out = await runPanes(REQ, d, { onToken: (id) => id === 'base' && controller.abort() }, controller.signal);
    expect(out.runs.map((r) => [r.paneId, r.status])).toEqual([
      ['base', 'interrupted'],
      ['tuned', 'stopped'],
      ['base-docs', 'stopped'],
      ['server-docs', 'stopped'],
    ]);
    expect(out.runs[0]!.result!.completionTokens).toBeLessThan(PARAMS.maxTokens);
    expect(log).toEqual(['load tiny-gpt2']);
    expect(out.runs.find((r) => r.paneId === 'server-docs')!.error).toBeUndefined();
  });

  it('each pane fits its own prompt to its model: passages left out by the one that needs it', async () => {
    const long = (doc: string, rank: number): SearchHit => ({
      chunkId: `${doc}:0`,
      rank,
      score: 10 - rank,
      docId: doc,
      docName: `${doc}.md`,
      ordinal: 0,
      text: `${doc} `.repeat(25),
      headingPath: [],
    });
    const hits = [long('alpha', 1), long('beta', 2), long('gamma', 3)];
    const { deps: d } = deps({ search: () => Promise.resolve({ hits, modeUsed: 'keyword', ms: 0, retrieveMs: 0 }) });
    const out = await runPanes(REQ, d);
    for (const id of ['base-docs', 'server-docs']) {
      const run = out.runs.find((r) => r.paneId === id)!;
      expect(run.status).toBe('done');
      expect(run.passagesUsed).toBeLessThan(3);
      expect(run.result!.promptTokens + PARAMS.maxTokens).toBeLessThanOrEqual(512);
    }
  });

  it('refuses a pane list that cannot run, and an empty question, by name before anything runs', async () => {
    const { deps: d, log } = deps();
    searches = 0;
    await expect(runPanes({ ...REQ, panes: PANES.slice(0, 1) }, d)).rejects.toMatchObject({ name: 'InvalidRequest' });
    await expect(runPanes({ ...REQ, question: ' ' }, d)).rejects.toMatchObject({ name: 'InvalidRequest' });
    expect(searches).toBe(0);
    expect(log).toEqual([]);
  });
});
