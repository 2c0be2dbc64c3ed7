/**
 * Panes of a comparison: the presets built from the user's models, the pane lists refused (by the
 * panes' names), and the plan: retrieval once, local panes grouped by model starting with the one
 * loaded, a swap only when two models do not fit (said in words), server panes in parallel lanes.
 * Also the memory rules the plan is fed with (src/generate/memory.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  checkPanes,
  MAX_PANES,
  paneProblems,
  planPanes,
  presetPanes,
  PRESETS,
  retrievalNeeded,
  type LocalModel,
  type PaneSpec,
  type PlanEnv,
} from '../../src/compare/panes';
import { formatMB, gpuBudget, MODEL_MEMORY_SHARE, transformersNeedMB } from '../../src/generate/memory';
import { isAppError } from '../../src/core/errors';

const BASE: LocalModel = { engine: 'webllm', model: 'Qwen2.5-1.5B-q4f16_1-MLC' };
const TUNED: LocalModel = { engine: 'webllm', model: 'Qwen2.5-1.5B-Instruct-q4f16_1-MLC' };
const SMALL: LocalModel = { engine: 'webllm', model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC' };
const SERVER = { baseUrl: 'http://localhost:11434/v1', model: 'llama3.1:70b' };

/** web-llm's records: vram_required_MB as its prebuilt list gives them (rounded). */
const NEED: Record<string, number> = { [BASE.model]: 1946, [TUNED.model]: 1946, [SMALL.model]: 879 };

function env(over: Partial<PlanEnv> = {}): PlanEnv {
  return {
    needMB: (m) => NEED[m.model] ?? null,
    // A 4 GB GPU, stated by the user: 80% of it for models.
    budget: gpuBudget(null, 4096),
    loaded: [],
    maxLoaded: 2,
    ...over,
  };
}

describe('presets', () => {
  it("'documents' is today's comparison, unchanged: the same model alone, then with your documents", () => {
    expect(presetPanes('documents', { base: SMALL })).toEqual([
      { id: 'plain', label: 'Model only', engine: 'webllm', model: SMALL.model, retrieval: false },
      { id: 'grounded', label: 'Model + your documents', engine: 'webllm', model: SMALL.model, retrieval: true },
    ]);
    expect(PRESETS[0]!.id).toBe('documents');
  });

  it("'training': base alone, fine-tuned alone, base with your documents", () => {
    const panes = presetPanes('training', { base: BASE, fineTuned: TUNED });
    expect(panes.map((p) => [p.label, p.model, p.retrieval])).toEqual([
      ['Base model', BASE.model, false],
      ['Fine-tuned model', TUNED.model, false],
      ['Base model + your documents', BASE.model, true],
    ]);
    expect(() => checkPanes(panes)).not.toThrow();
  });

  it("'server': the local model and the server's, both with your documents", () => {
    const panes = presetPanes('server', { base: SMALL, server: SERVER });
    expect(panes).toEqual([
      { id: 'local-docs', label: 'Local model + your documents', engine: 'webllm', model: SMALL.model, retrieval: true },
      {
        id: 'server-docs',
        label: 'Server model + your documents',
        engine: 'openai',
        model: 'llama3.1:70b',
        server: { baseUrl: 'http://localhost:11434/v1' },
        retrieval: true,
      },
    ]);
    // No key in a pane: pane lists are stored with their results and exported.
    expect(JSON.stringify(panes)).not.toMatch(/key/i);
  });

  it('says which model a preset still needs', () => {
    let err: unknown = null;
    try {
      presetPanes('training', { base: BASE });
    } catch (e) {
      err = e;
    }
    expect(isAppError(err, 'InvalidRequest')).toBe(true);
    expect((err as Error).message).toBe('This comparison needs a fine-tuned model: choose one first.');
    expect(() => presetPanes('server', { base: BASE })).toThrow(/needs a server model/);
    expect(PRESETS.map((p) => [p.id, p.needs])).toEqual([
      ['documents', []],
      ['training', ['fineTuned']],
      ['server', ['server']],
    ]);
  });
});

describe('which pane lists run', () => {
  const pane = (id: string, over: Partial<PaneSpec> = {}): PaneSpec => ({
    id,
    label: id,
    engine: 'webllm',
    model: SMALL.model,
    retrieval: true,
    ...over,
  });

  it('two to four panes', () => {
    expect(paneProblems([pane('a')])[0]!.message).toBe('A comparison has 2 to 4 panes; this one has 1.');
    const five = Array.from({ length: MAX_PANES + 1 }, (_, i) => pane(`p${i}`, { model: `m${i}` }));
    expect(paneProblems(five).map((p) => p.message)).toEqual(['A comparison has 2 to 4 panes; this one has 5.']);
    expect(paneProblems(five.slice(0, 4))).toEqual([]);
  });

  it('refuses two panes that ask the same model the same way, by their names', () => {
    const problems = paneProblems([pane('a', { label: 'Mine' }), pane('b', { label: 'Yours' })]);
    expect(problems).toEqual([
      {
        paneId: 'b',
        message: `"Mine" and "Yours" ask the same model the same way (${SMALL.model} (webllm), with your documents), so they would give the same answer: change the model or the documents of one, or remove it.`,
      },
    ]);
    // The same model with and without documents, or on the other engine, is a comparison.
    expect(paneProblems([pane('a'), pane('b', { retrieval: false })])).toEqual([]);
    expect(paneProblems([pane('a'), pane('b', { engine: 'transformers' })])).toEqual([]);
  });

  it('a server is the same server whatever the path spelling; another port is another server', () => {
    const server = (id: string, baseUrl: string): PaneSpec => pane(id, { engine: 'openai', model: 'qwen', server: { baseUrl } });
    expect(paneProblems([server('a', 'http://localhost:8080/v1'), server('b', 'http://LOCALHOST:8080/v1/')])).toHaveLength(1);
    expect(paneProblems([server('a', 'http://localhost:8080/v1'), server('b', 'http://localhost:8081/v1')])).toEqual([]);
  });

  it('names every other problem by the pane', () => {
    const messages = paneProblems([
      pane('a', { label: 'Twin' }),
      pane('b', { label: 'twin', model: 'other' }),
      pane('c', { label: 'Remote', engine: 'openai' }),
      pane('d', { label: 'Odd', server: { baseUrl: 'http://localhost:1' }, model: 'x' }),
    ]).map((p) => p.message);
    expect(messages).toEqual([
      'Two panes are named "twin": rename one.',
      '"Remote" answers on a server but names none: give its address.',
      '"Odd" runs in this tab (webllm) but names a server: choose the server engine, or remove the server.',
    ]);
    expect(paneProblems([pane('a'), pane('b', { engine: 'openai', model: 'm', server: { baseUrl: 'ftp://x' } })])[0]!.message).toMatch(
      /"ftp:\/\/x" is not a server address/,
    );
    expect(paneProblems([pane('a'), pane('a', { label: 'B', model: 'm' })])[0]!.message).toBe('"B" has the id "a" of another pane.');
    expect(paneProblems([pane('a'), pane('b', { model: ' ' })])[0]!.message).toBe('"b" has no model: choose one.');
  });

  it('needs at least one pane with your documents', () => {
    const panes = [pane('a', { retrieval: false }), pane('b', { retrieval: false, model: 'other' })];
    expect(paneProblems(panes).map((p) => p.message)).toEqual(['No pane answers with your documents: turn them on for at least one pane.']);
    expect(retrievalNeeded(panes)).toBe(false);
    expect(retrievalNeeded([...panes, pane('c')])).toBe(true);
    expect(() => planPanes(panes, env())).toThrow(/No pane answers with your documents/);
  });
});

describe('the plan', () => {
  const training = presetPanes('training', { base: BASE, fineTuned: TUNED });

  it("today's comparison on the loaded model: retrieval once, both panes back to back, nothing loaded", () => {
    const plan = planPanes(presetPanes('documents', { base: SMALL }), env({ loaded: [SMALL] }));
    expect(plan).toEqual({
      retrievalFor: ['grounded'],
      steps: [{ kind: 'answer', model: SMALL, paneIds: ['plain', 'grounded'] }],
      remote: [],
      swaps: 0,
      notes: [],
      loadedAfter: [SMALL],
    });
    expect(planPanes(presetPanes('documents', { base: SMALL }), env()).steps.map((s) => s.kind)).toEqual(['load', 'answer']);
  });

  it('two models that do not fit together: the second is loaded after the first is unloaded, and the plan says why', () => {
    const plan = planPanes(training, env());
    expect(plan.steps).toEqual([
      { kind: 'load', model: BASE },
      // Panes sharing a model answer back to back, whatever their order on screen.
      { kind: 'answer', model: BASE, paneIds: ['base', 'base-docs'] },
      {
        kind: 'unload',
        model: BASE,
        reason: `${BASE.model} is unloaded to make room for ${TUNED.model}: together they need 3.8 GB and this GPU offers 3.2 GB for models.`,
      },
      { kind: 'load', model: TUNED },
      { kind: 'answer', model: TUNED, paneIds: ['tuned'] },
    ]);
    expect(plan.swaps).toBe(1);
    expect(plan.notes).toEqual([
      `${TUNED.model} ("Fine-tuned model") is loaded after ${BASE.model} ("Base model", "Base model + your documents") is unloaded: together they need 3.8 GB and this GPU offers 3.2 GB for models.`,
    ]);
    expect(plan.retrievalFor).toEqual(['base-docs']);
    expect(plan.loadedAfter).toEqual([TUNED]);
  });

  it('starts with the model loaded now: asking again costs one swap, not two', () => {
    const again = planPanes(training, env({ loaded: [TUNED] }));
    expect(again.steps.map((s) => `${s.kind} ${s.kind === 'answer' ? s.paneIds.join(',') : s.model.model}`)).toEqual([
      'answer tuned',
      `unload ${TUNED.model}`,
      `load ${BASE.model}`,
      'answer base,base-docs',
    ]);
    expect(again.swaps).toBe(1);
  });

  it('two models that fit stay loaded together, and a second question loads nothing', () => {
    const panes = presetPanes('training', { base: SMALL, fineTuned: { engine: 'webllm', model: 'Llama-3.2-1B-tuned' } });
    const plan = planPanes(panes, env({ needMB: () => 879 }));
    expect(plan.steps.map((s) => s.kind)).toEqual(['load', 'answer', 'load', 'answer']);
    expect(plan.swaps).toBe(0);
    expect(plan.notes).toEqual([
      `${SMALL.model} ("Base model", "Base model + your documents") and Llama-3.2-1B-tuned ("Fine-tuned model") stay loaded together: they need 1.7 GB and this GPU offers 3.2 GB for models.`,
    ]);
    const next = planPanes(panes, env({ needMB: () => 879, loaded: plan.loadedAfter }));
    expect(next.steps.map((s) => s.kind)).toEqual(['answer', 'answer']);
  });

  it('one model at a time when the app holds one, when the memory is not known, or a need is not', () => {
    const small = presetPanes('training', { base: SMALL, fineTuned: { engine: 'transformers', model: 'tiny' } });
    const fits = { needMB: () => 100 };
    expect(planPanes(small, env({ ...fits, maxLoaded: 1 })).notes[0]).toMatch(/: this app holds one local model at a time\.$/);
    expect(planPanes(small, env({ ...fits, budget: null })).notes[0]).toMatch(
      /: WebGPU does not say how much memory this GPU has, so one model is held at a time\.$/,
    );
    expect(planPanes(small, env({ needMB: (m) => (m.model === 'tiny' ? null : 100) })).notes[0]).toMatch(
      /: the memory tiny needs is not known, so it is not held beside another model\.$/,
    );
    for (const e of [env({ ...fits, maxLoaded: 1 }), env({ ...fits, budget: null })]) expect(planPanes(small, e).swaps).toBe(1);
  });

  it('makes room by unloading a model no pane asks for before one that answered', () => {
    const other: LocalModel = { engine: 'transformers', model: 'summariser' };
    const panes = presetPanes('training', { base: SMALL, fineTuned: TUNED });
    const plan = planPanes(panes, env({ needMB: () => 500, loaded: [other, SMALL] }));
    expect(plan.steps.map((s) => `${s.kind} ${s.kind === 'answer' ? s.paneIds.join(',') : s.model.model}`)).toEqual([
      'answer base,base-docs',
      'unload summariser',
      `load ${TUNED.model}`,
      'answer tuned',
    ]);
    expect(plan.loadedAfter).toEqual([SMALL, TUNED]);
  });

  it('warns when one model alone needs more than the GPU memory the user stated', () => {
    const plan = planPanes(presetPanes('documents', { base: BASE }), env({ budget: gpuBudget(null, 2048) }));
    expect(plan.notes).toEqual([
      `${BASE.model} ("Model only", "Model + your documents") needs 1.9 GB and this GPU offers 1.6 GB for models: it may fail to load.`,
    ]);
    // The adapter's figure is only a lower bound: no warning from it.
    expect(planPanes(presetPanes('documents', { base: BASE }), env({ budget: { mb: 1000, from: 'adapter' } })).notes).toEqual([]);
  });

  it('server panes answer in parallel with the local sequence, one lane per server, one after another within it', () => {
    const panes: PaneSpec[] = [
      ...presetPanes('server', { base: SMALL, server: SERVER }),
      {
        id: 'big',
        label: 'Big',
        engine: 'openai',
        model: 'qwen2.5:72b',
        server: { baseUrl: 'http://localhost:11434/v1/' },
        retrieval: false,
      },
      {
        id: 'lab',
        label: 'Lab',
        engine: 'openai',
        model: 'llama3.1:405b',
        server: { baseUrl: 'https://llm.lab.example/v1' },
        retrieval: true,
      },
    ];
    const plan = planPanes(panes, env({ loaded: [SMALL] }));
    expect(plan.steps).toEqual([{ kind: 'answer', model: SMALL, paneIds: ['local-docs'] }]);
    expect(plan.remote).toEqual([
      { origin: 'http://localhost:11434', paneIds: ['server-docs', 'big'] },
      { origin: 'https://llm.lab.example', paneIds: ['lab'] },
    ]);
    expect(plan.retrievalFor).toEqual(['local-docs', 'server-docs', 'lab']);
    expect(plan.notes).toEqual([
      'Passages are retrieved once; "Local model + your documents", "Server model + your documents", "Lab" all read the same ones.',
      '"Server model + your documents" and "Big" answer on http://localhost:11434 while the local models answer, one after the other so that neither slows the other.',
      'http://localhost:11434 is on this computer: it shares the GPU with the local models, so both may answer more slowly than alone.',
      '"Lab" answers on https://llm.lab.example while the local models answer.',
      'The 2 servers answer at the same time.',
    ]);
  });
});

describe('memory rules', () => {
  it('the budget: a share of the memory the user states, else of the largest buffer the adapter allows, else none', () => {
    expect(gpuBudget(null, 8192)).toEqual({ mb: Math.floor(8192 * MODEL_MEMORY_SHARE), from: 'stated' });
    const adapter = { available: true, maxBufferSize: 4 * 1024 ** 3 };
    expect(gpuBudget(adapter, null)).toEqual({ mb: Math.floor(4096 * MODEL_MEMORY_SHARE), from: 'adapter' });
    expect(gpuBudget(adapter, 0)).toEqual({ mb: Math.floor(4096 * MODEL_MEMORY_SHARE), from: 'adapter' });
    expect(gpuBudget({ available: false }, null)).toBeNull();
    expect(gpuBudget(null)).toBeNull();
  });

  it('a transformers.js model needs its weights and a quarter more on the GPU, nothing on WASM', () => {
    expect(transformersNeedMB(400 * 1024 * 1024, true)).toBe(500);
    expect(transformersNeedMB(400 * 1024 * 1024, false)).toBe(0);
    expect(transformersNeedMB(null, true)).toBeNull();
  });

  it('sizes as people read them', () => {
    expect([formatMB(879), formatMB(1946), formatMB(3276.8), formatMB(4096)]).toEqual(['879 MB', '1.9 GB', '3.2 GB', '4 GB']);
  });
});
