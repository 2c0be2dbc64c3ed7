/**
 * A comparison of two to four answer panes, each one model (on an engine) answering with or
 * without the user's documents: what the panes are, the presets a workshop starts from, which pane
 * lists are refused and why, and the plan that runs them.
 *
 * The plan exists because a laptop's GPU holds one or two small models, not four: local panes run
 * one after another on the GPU (web-llm serialises generations anyway), grouped so panes sharing a
 * model answer back to back without reloading it, starting with the model already loaded, and a
 * model is unloaded before another is loaded only when the two do not fit together; each such swap
 * is said in words. Panes on a server (an OpenAI-compatible endpoint) use none of this GPU, so they
 * answer in parallel with the local sequence. Retrieval runs once, before any pane, and every pane
 * that answers with documents gets the very same passages; every pane gets the same frozen
 * GenerationParams (run-panes.ts). DOM-free and pure: the page shows a plan before running it, and
 * tests check plans without a GPU.
 */

import { AppError } from '../core/errors';
import { isLoopback } from '../generate/address';
import { formatMB, type MemoryBudget } from '../generate/memory';

/** Engines a pane can answer on: the two local ones, or an OpenAI-compatible server. */
export type PaneEngine = 'webllm' | 'transformers' | 'openai';

/** A model that runs in this tab (on the GPU, or WASM for transformers.js). */
export interface LocalModel {
  engine: 'webllm' | 'transformers';
  model: string;
}

export interface PaneServer {
  /**
   * The server's OpenAI-compatible API root, e.g. "http://localhost:11434/v1". No API key here: a
   * pane list is kept with the comparison it ran and may be exported; the key stays in Settings.
   */
  baseUrl: string;
}

export interface PaneSpec {
  /** Unique within the list: events and results are keyed by it. */
  id: string;
  /** The pane's heading, e.g. "Model only". Unique within the list. */
  label: string;
  engine: PaneEngine;
  /** web-llm model id, transformers.js model id (or folder), or the server's model name. */
  model: string;
  /** Required for 'openai' panes, absent otherwise. */
  server?: PaneServer | undefined;
  /** true: the grounded prompt with the retrieved passages; false: the question alone. */
  retrieval: boolean;
}

/**
 * Fewest and most panes. Fewer than two compares nothing; more than four cannot be read side by
 * side on a laptop screen, and every local pane costs a model run (and perhaps a model swap).
 */
export const MIN_PANES = 2;
export const MAX_PANES = 4;

export function isLocal(p: PaneSpec): p is PaneSpec & { engine: LocalModel['engine'] } {
  return p.engine !== 'openai';
}

export function localModel(p: PaneSpec & { engine: LocalModel['engine'] }): LocalModel {
  return { engine: p.engine, model: p.model };
}

/** One string per local model (engine and id), for maps and equality. */
export function modelKey(m: LocalModel): string {
  return `${m.engine}:${m.model}`;
}

/** A server's identity: its origin (scheme, host, port); null when `baseUrl` is not an http(s) URL. */
export function serverOrigin(baseUrl: string): string | null {
  try {
    const u = new URL(baseUrl);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * A server address as a pane keeps it: the scheme people leave out added (http, as the engine
 * assumes), and anything that must not be stored or exported with the comparison taken out
 * (user:password@, a query, a fragment: a key belongs in Settings). Text that is no address stays
 * as typed, for `paneProblems` to name.
 */
export function paneServerUrl(raw: string): string {
  const text = raw.trim();
  const withScheme = !text || /^[a-z][a-z\d+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  if (!URL.canParse(withScheme)) return text;
  const u = new URL(withScheme);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return text;
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** Only these keys, with these types, make a pane (a layout read back from storage is checked against them). */
export function asPaneSpec(value: unknown): PaneSpec | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const text = (x: unknown): x is string => typeof x === 'string';
  if (!text(v.id) || !text(v.label) || !text(v.model) || typeof v.retrieval !== 'boolean') return null;
  if (v.engine !== 'webllm' && v.engine !== 'transformers' && v.engine !== 'openai') return null;
  const server = v.server as { baseUrl?: unknown } | undefined;
  const spec: PaneSpec = { id: v.id, label: v.label, engine: v.engine, model: v.model, retrieval: v.retrieval };
  if (v.engine === 'openai') spec.server = { baseUrl: text(server?.baseUrl) ? paneServerUrl(server.baseUrl) : '' };
  return spec;
}

/** Whether a server runs on this computer (and so shares its GPU with the local panes). */
function onThisComputer(origin: string): boolean {
  return isLoopback(new URL(origin).hostname);
}

// ---------------------------------------------------------------------------------------------
// Presets

/** The models the presets are built from: the user's choices, not fixed ids. */
export interface PresetModels {
  /** The model the user asks with (Settings' engine and model). */
  base: LocalModel;
  /**
   * The 'training' preset's pretrained-only model (what pretraining alone knows); the base model
   * when not given.
   */
  pretrained?: LocalModel | undefined;
  /**
   * A fine-tuned build of the pretrained model, e.g. the Instruct build beside its pretrained-only
   * build, or a domain-tuned one. Needed by 'training'.
   */
  fineTuned?: LocalModel | undefined;
  /** A model on an OpenAI-compatible server, usually larger than a browser can run. Needed by 'server'. */
  server?: { baseUrl: string; model: string } | undefined;
}

export type PresetId = 'documents' | 'training' | 'server';

export interface Preset {
  id: PresetId;
  title: string;
  /** What the comparison shows, in one sentence. */
  description: string;
  /** The models the preset needs besides the base one. */
  needs: readonly ('fineTuned' | 'server')[];
  /** The panes, in their order on screen. Throws InvalidRequest naming a model the preset needs and was not given. */
  panes(models: PresetModels): PaneSpec[];
}

const local = (id: string, label: string, m: LocalModel, retrieval: boolean): PaneSpec => ({
  id,
  label,
  engine: m.engine,
  model: m.model,
  retrieval,
});

function need<K extends 'fineTuned' | 'server'>(models: PresetModels, key: K, what: string): NonNullable<PresetModels[K]> {
  const m = models[key];
  if (!m) throw new AppError('InvalidRequest', `This comparison needs ${what}: choose one first.`);
  return m as NonNullable<PresetModels[K]>;
}

/**
 * The presets, the default first:
 * - 'documents': today's comparison, unchanged (pane ids 'plain' and 'grounded', as comparisons
 *   have always been stored): the base model alone, then the same model with your documents.
 * - 'training': what pretraining, fine-tuning and retrieval each give. The base model alone (what
 *   pretraining knows), the fine-tuned model alone (what tuning changed), the base model with your
 *   documents (what retrieval adds without training anything).
 * - 'server': a small model in this tab against a large one on a server, both with your documents:
 *   how much of the answer retrieval gives a small model, and what a large one adds.
 */
export const PRESETS: readonly Preset[] = [
  {
    id: 'documents',
    title: 'Model only vs + your documents',
    description: 'The same model answers twice, from what it learned and with passages from your documents.',
    needs: [],
    panes: (m) => [local('plain', 'Model only', m.base, false), local('grounded', 'Model + your documents', m.base, true)],
  },
  {
    id: 'training',
    title: 'Pretraining vs fine-tuning vs retrieval',
    description:
      'The base model alone, a fine-tuned model alone, and the base model with your documents: what training gives, and what retrieval gives without training.',
    needs: ['fineTuned'],
    panes: (m) => {
      const tuned = need(m, 'fineTuned', 'a fine-tuned model');
      const base = m.pretrained ?? m.base;
      return [
        local('base', 'Base model', base, false),
        local('tuned', 'Fine-tuned model', tuned, false),
        local('base-docs', 'Base model + your documents', base, true),
      ];
    },
  },
  {
    id: 'server',
    title: 'Small local vs large server, both with your documents',
    description:
      'A small model in this tab and a large one on a server read the same passages: what size adds once both have the documents.',
    needs: ['server'],
    panes: (m) => {
      const s = need(m, 'server', 'a server model');
      return [
        local('local-docs', 'Local model + your documents', m.base, true),
        {
          id: 'server-docs',
          label: 'Server model + your documents',
          engine: 'openai',
          model: s.model,
          server: { baseUrl: s.baseUrl },
          retrieval: true,
        },
      ];
    },
  },
];

export const DEFAULT_PRESET: PresetId = 'documents';

/**
 * The 'training' preset's example pair per local engine: a pretrained-only model and the same
 * model after instruction tuning, so the panes show exactly what fine-tuning changed. web-llm
 * (0.2.86's list, reviewed 2026-11): Ministral 3 3B Base and Instruct (2512), the one pair in the
 * list that ships a model's pretrained-only build beside its tuned build (2.9 GB of GPU memory
 * each by web-llm's records: on most laptops one replaces the other, a swap the plan announces).
 * Hermes 3 (Llama 3.2 3B) is a fine-tune too, but of the same pretrained model as Llama 3.2 3B
 * Instruct, so it compares two tunings, not pretraining with tuning. transformers.js: none chosen
 * (no such pair has been checked to load on WASM); the user names both.
 */
export const TRAINING_EXAMPLES: Partial<Record<LocalModel['engine'], { pretrained: string; fineTuned: string }>> = {
  webllm: { pretrained: 'Ministral-3-3B-Base-2512-q4f16_1-MLC', fineTuned: 'Ministral-3-3B-Instruct-2512-BF16-q4f16_1-MLC' },
};

/** The panes of a preset for these models. Throws InvalidRequest for an unknown preset or a missing model. */
export function presetPanes(id: PresetId, models: PresetModels): PaneSpec[] {
  const preset = PRESETS.find((p) => p.id === id);
  if (!preset) throw new AppError('InvalidRequest', `There is no comparison preset "${String(id)}".`);
  return preset.panes(models);
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface PaneProblem {
  /** The pane at fault; null for the list as a whole. */
  paneId: string | null;
  message: string;
}

/** How a pane answers, for messages: "Llama-3.2-1B (web-llm), with your documents". */
export function describePane(p: PaneSpec): string {
  const where =
    p.engine === 'openai' ? `on ${p.server ? (serverOrigin(p.server.baseUrl) ?? p.server.baseUrl) : 'a server'}` : `(${p.engine})`;
  return `${p.model} ${where}, ${p.retrieval ? 'with' : 'without'} your documents`;
}

/** Two panes ask the same model (engine, model and server alike), with or without documents. */
export function sameModel(a: PaneSpec, b: PaneSpec): boolean {
  if (a.engine !== b.engine || a.model !== b.model) return false;
  if (a.engine !== 'openai') return true;
  return serverOrigin(a.server?.baseUrl ?? '') === serverOrigin(b.server?.baseUrl ?? '');
}

/** Two panes ask the same model the same way (engine, model, server and retrieval alike). */
function sameQuestion(a: PaneSpec, b: PaneSpec): boolean {
  return a.retrieval === b.retrieval && sameModel(a, b);
}

/**
 * Every reason this pane list cannot run, each naming the pane by its label (empty when it can):
 * 2 to 4 panes; ids and labels present and unique; a model on each; a server (http or https) on
 * exactly the 'openai' panes; no two panes asking the same model the same way (they would show
 * the same answer twice: same seed, same settings); and at least one pane with your documents.
 * That last one is a choice: a comparison is shown and kept around its retrieved passages
 * (citations, trace, evidence scores), and the question this workbench asks is what documents
 * change. Model against model without documents is the 'training' preset's first two panes.
 */
export function paneProblems(panes: readonly PaneSpec[]): PaneProblem[] {
  const out: PaneProblem[] = [];
  if (panes.length < MIN_PANES || panes.length > MAX_PANES) {
    out.push({ paneId: null, message: `A comparison has ${MIN_PANES} to ${MAX_PANES} panes; this one has ${panes.length}.` });
  }
  const name = (p: PaneSpec): string => (p.label.trim() ? `"${p.label.trim()}"` : `Pane ${panes.indexOf(p) + 1}`);
  const ids = new Set<string>();
  const labels = new Map<string, PaneSpec>();
  for (const p of panes) {
    if (!p.id.trim()) out.push({ paneId: p.id, message: `${name(p)} has no id.` });
    else if (ids.has(p.id)) out.push({ paneId: p.id, message: `${name(p)} has the id "${p.id}" of another pane.` });
    ids.add(p.id);
    const label = p.label.trim().toLowerCase();
    if (!label) out.push({ paneId: p.id, message: `${name(p)} has no name.` });
    else if (labels.has(label)) out.push({ paneId: p.id, message: `Two panes are named ${name(p)}: rename one.` });
    else labels.set(label, p);
    if (!p.model.trim()) out.push({ paneId: p.id, message: `${name(p)} has no model: choose one.` });
    if (p.engine === 'openai') {
      if (!p.server) out.push({ paneId: p.id, message: `${name(p)} answers on a server but names none: give its address.` });
      else if (serverOrigin(p.server.baseUrl) === null) {
        out.push({ paneId: p.id, message: `${name(p)}: "${p.server.baseUrl}" is not a server address such as http://localhost:11434/v1.` });
      }
    } else if (p.server) {
      out.push({
        paneId: p.id,
        message: `${name(p)} runs in this tab (${p.engine}) but names a server: choose the server engine, or remove the server.`,
      });
    }
  }
  panes.forEach((p, i) => {
    const twin = panes.slice(0, i).find((q) => sameQuestion(p, q));
    if (twin) {
      out.push({
        paneId: p.id,
        message: `${name(twin)} and ${name(p)} ask the same model the same way (${describePane(p)}), so they would give the same answer: change the model or the documents of one, or remove it.`,
      });
    }
  });
  if (panes.length > 0 && !panes.some((p) => p.retrieval)) {
    out.push({ paneId: null, message: 'No pane answers with your documents: turn them on for at least one pane.' });
  }
  return out;
}

/** Throws InvalidRequest with every problem of the pane list, one sentence each; returns when it can run. */
export function checkPanes(panes: readonly PaneSpec[]): void {
  const problems = paneProblems(panes);
  if (problems.length > 0) throw new AppError('InvalidRequest', problems.map((p) => p.message).join(' '));
}

/** Whether any pane answers with documents, i.e. whether retrieval runs (once, before any pane). */
export function retrievalNeeded(panes: readonly PaneSpec[]): boolean {
  return panes.some((p) => p.retrieval);
}

// ---------------------------------------------------------------------------------------------
// The plan

/** What the planner knows of this machine. */
export interface PlanEnv {
  /**
   * GPU memory a local model needs, MB; null when unknown. web-llm: its record's
   * `vram_required_MB` (ModelChoice.vramMB in src/generate/webllm-models.ts). transformers.js:
   * `transformersNeedMB` (src/generate/memory.ts), 0 on WASM.
   */
  needMB(model: LocalModel): number | null;
  /** What the local models may hold together (`gpuBudget`); null when unknown: one model at a time. */
  budget: MemoryBudget | null;
  /** Local models loaded now, oldest first. */
  loaded: readonly LocalModel[];
  /**
   * How many local models the app can keep loaded at once: one per LLM worker it may start for
   * them (Engines' MAX_LOCAL_ENGINES). Memory decides below this.
   */
  maxLoaded: number;
}

export type LocalStep =
  | { kind: 'load'; model: LocalModel }
  /** `reason`: why, in words the user reads while it happens. */
  | { kind: 'unload'; model: LocalModel; reason: string }
  /** These panes, in this order, on this model (loaded by an earlier step, or before the plan). */
  | { kind: 'answer'; model: LocalModel; paneIds: string[] };

/**
 * Panes on one server, answered one after another: a server answering two at once shares its speed
 * between them, and a pane's tokens per second would no longer be its model's own.
 */
export interface RemoteLane {
  origin: string;
  paneIds: string[];
}

export interface PanePlan {
  /** Panes given the retrieved passages (all the same ones); retrieval runs once, before any pane. */
  retrievalFor: string[];
  /** The local GPU's sequence, in order. */
  steps: LocalStep[];
  /** Server lanes: each starts after retrieval and runs in parallel with `steps` and the other lanes. */
  remote: RemoteLane[];
  /** Models unloaded to make room for another. */
  swaps: number;
  /** What the plan does and why, one sentence each, for the user. */
  notes: string[];
  /** Local models loaded when the plan has run, oldest first (the next question starts with them). */
  loadedAfter: LocalModel[];
}

/**
 * The order to run valid panes in (throws InvalidRequest otherwise, as `checkPanes`):
 * - local panes grouped by model, each group answered back to back without reloading; groups
 *   whose model is loaded now first, then in the order of the panes on screen;
 * - before loading a model, models already loaded are unloaded (those no pane uses first, then
 *   the oldest) until it fits beside what stays: at most `maxLoaded` models, together within the
 *   budget; with no budget known, or a need unknown, a model is loaded alone;
 * - server panes grouped by server origin into lanes, run in parallel with the local sequence.
 */
export function planPanes(panes: readonly PaneSpec[], env: PlanEnv): PanePlan {
  checkPanes(panes);
  const notes: string[] = [];
  const steps: LocalStep[] = [];
  let swaps = 0;

  // Local groups, by model, in the order their first pane appears.
  const groups = new Map<string, { model: LocalModel; panes: PaneSpec[] }>();
  for (const p of panes.filter(isLocal)) {
    const key = modelKey(localModel(p));
    const g = groups.get(key);
    if (g) g.panes.push(p);
    else groups.set(key, { model: localModel(p), panes: [p] });
  }
  const resident: LocalModel[] = [];
  for (const m of env.loaded) if (!resident.some((r) => modelKey(r) === modelKey(m))) resident.push(m);
  const isResident = (m: LocalModel): boolean => resident.some((r) => modelKey(r) === modelKey(m));
  // The loaded model's panes first: answering with it costs no load.
  const order = [...groups.values()].sort((a, b) => Number(isResident(b.model)) - Number(isResident(a.model)));

  const usedBy = (m: LocalModel): PaneSpec[] => groups.get(modelKey(m))?.panes ?? [];
  const name = (m: LocalModel): string => {
    const labels = usedBy(m).map((p) => `"${p.label}"`);
    return labels.length ? `${m.model} (${labels.join(', ')})` : m.model;
  };
  const need = (m: LocalModel): number | null => env.needMB(m);
  const offers = (b: MemoryBudget): string =>
    b.from === 'stated' ? `this GPU offers ${formatMB(b.mb)} for models` : `this GPU is known to offer ${formatMB(b.mb)} for models`;

  /** Why `incoming` cannot join `stay`, in words; null when it can. */
  const misfit = (stay: LocalModel[], incoming: LocalModel): string | null => {
    if (stay.length === 0) return null;
    const all = [...stay, incoming];
    if (all.length > env.maxLoaded) {
      return env.maxLoaded === 1
        ? 'this app holds one local model at a time'
        : `this app holds at most ${env.maxLoaded} local models at a time`;
    }
    const unknown = all.find((m) => need(m) === null);
    if (unknown) return `the memory ${unknown.model} needs is not known, so it is not held beside another model`;
    // Models on WASM take no GPU memory: they fit beside anything, whatever the GPU says.
    if (all.every((m) => need(m) === 0)) return null;
    if (!env.budget) return 'WebGPU does not say how much memory this GPU has, so one model is held at a time';
    const sum = all.reduce((n, m) => n + need(m)!, 0);
    if (sum > env.budget.mb) return `together they need ${formatMB(sum)} and ${offers(env.budget)}`;
    return null;
  };

  for (const g of order) {
    if (!isResident(g.model)) {
      for (let why = misfit(resident, g.model); why !== null; why = misfit(resident, g.model)) {
        // Make room: first a model no pane asks for, else the oldest.
        const i = Math.max(
          0,
          resident.findIndex((m) => usedBy(m).length === 0),
        );
        const [out] = resident.splice(i, 1);
        const reason = `${out!.model} is unloaded to make room for ${g.model.model}: ${why}.`;
        steps.push({ kind: 'unload', model: out!, reason });
        swaps++;
        notes.push(`${name(g.model)} is loaded after ${name(out!)} is unloaded: ${why}.`);
      }
      const mb = need(g.model);
      if (env.budget?.from === 'stated' && mb !== null && mb > env.budget.mb) {
        notes.push(`${name(g.model)} needs ${formatMB(mb)} and ${offers(env.budget)}: it may fail to load.`);
      }
      steps.push({ kind: 'load', model: g.model });
      resident.push(g.model);
    }
    steps.push({ kind: 'answer', model: g.model, paneIds: g.panes.map((p) => p.id) });
  }
  const used = resident.filter((m) => usedBy(m).length > 0);
  if (used.length > 1 && used.every((m) => need(m) === 0)) {
    notes.push(`${used.map(name).join(' and ')} stay loaded together: they run on WASM, in this computer's memory, not the GPU's.`);
  } else if (used.length > 1 && env.budget) {
    const sum = used.reduce((n, m) => n + (need(m) ?? 0), 0);
    notes.push(`${used.map(name).join(' and ')} stay loaded together: they need ${formatMB(sum)} and ${offers(env.budget)}.`);
  }

  const lanes = new Map<string, RemoteLane>();
  for (const p of panes.filter((q) => q.engine === 'openai')) {
    const origin = serverOrigin(p.server!.baseUrl)!;
    const lane = lanes.get(origin);
    if (lane) lane.paneIds.push(p.id);
    else lanes.set(origin, { origin, paneIds: [p.id] });
  }
  const remote = [...lanes.values()];
  const label = (id: string): string => `"${panes.find((p) => p.id === id)!.label}"`;
  for (const lane of remote) {
    const who = lane.paneIds.map(label).join(' and ');
    const alongside = steps.length > 0 ? ' while the local models answer' : '';
    notes.push(
      lane.paneIds.length > 1
        ? `${who} answer on ${lane.origin}${alongside}, one after the other so that neither slows the other.`
        : `${who} answers on ${lane.origin}${alongside}.`,
    );
    if (steps.length > 0 && onThisComputer(lane.origin)) {
      notes.push(`${lane.origin} is on this computer: it shares the GPU with the local models, so both may answer more slowly than alone.`);
    }
  }
  if (remote.length > 1) notes.push(`The ${remote.length} servers answer at the same time.`);

  const retrievalFor = panes.filter((p) => p.retrieval).map((p) => p.id);
  if (retrievalFor.length > 1) {
    notes.unshift(`Passages are retrieved once; ${retrievalFor.map(label).join(', ')} all read the same ones.`);
  }
  return { retrievalFor, steps, remote, swaps, notes, loadedAfter: resident };
}
