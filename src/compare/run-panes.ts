/**
 * A comparison of 2 to 4 panes (panes.ts), run by its plan: retrieval once, then the local GPU's
 * sequence (unload, load, answer: one model at a time on the GPU) and every server lane at the same
 * time, with `Promise.all`. Every pane gets the same frozen GenerationParams (seed, temperature,
 * top-p, max tokens), and every pane with documents the same passages; each answer is written by
 * run.ts's `answerOnce`, so a pane whose model has a shorter window leaves passages out or cuts
 * the first one on its own, and says so (`passagesUsed`, `firstPassageChars`).
 *
 * Failures stay in their pane: a model that will not load fails its panes and the plan goes on
 * with the next model; a server that refuses fails its pane and its lane goes on. Stop (the signal)
 * interrupts every pane answering, keeps their partial answers, and starts nothing more (no load,
 * no unload, no pane). DOM-free: the page drives it with its workers and the server engine, tests
 * with in-process engines.
 */

import { AppError, isAppError } from '../core/errors';
import type { Progress } from '../core/progress';
import type { ChatEngine, ChatMessage, ChatModelInfo, GenerationParams, LoadOptions } from '../generate/engine';
import { PROMPT_VERSION } from '../generate/prompts';
import type { RetrievalOptions, SearchMode, SearchResult } from '../index/types';
import {
  presetPanes,
  sameModel,
  planPanes,
  modelKey,
  type LocalModel,
  type LocalStep,
  type PanePlan,
  type PaneSpec,
  type PlanEnv,
  type RemoteLane,
} from './panes';
import { answerOnce, toPromptPassage, unanswered, type AnswerRequest, type ComparisonResult, type SideRun } from './run';

export interface PanesRequest {
  question: string;
  retrieval: RetrievalOptions;
  params: GenerationParams;
  panes: readonly PaneSpec[];
}

/** An engine holding a pane's model, and what it reports having loaded (null when it does not say). */
export interface LoadedEngine {
  engine: ChatEngine;
  info: ChatModelInfo | null;
}

export interface PanesDeps {
  /** Retrieval as the app does it (query embedding included). */
  search(question: string, retrieval: RetrievalOptions): Promise<SearchResult>;
  /** What the plan is made from: memory needs and budget, what is loaded, how many can be. */
  env: PlanEnv;
  /**
   * Loads a local model and resolves with the engine that now holds it. Also called, before its
   * first pane, for a model the plan found loaded already: it must then resolve at once (the
   * engines memoise their load).
   */
  load(model: LocalModel, opts: LoadOptions): Promise<LoadedEngine>;
  /** Unloads a local model to make room for the next (a swap). */
  unload(model: LocalModel): Promise<void>;
  /**
   * The engine that answers a server pane, ready for its model: the OpenAI-compatible engine, given
   * the API key from Settings (a pane carries none).
   */
  remote(pane: PaneSpec, opts: LoadOptions): Promise<LoadedEngine>;
}

export interface PanesEvents {
  /** Before anything runs: what will happen, and the notes that say why. */
  onPlan?(plan: PanePlan): void;
  onRetrieved?(retrieval: SearchResult): void;
  /** A load or unload of the local sequence begins (`reason` says why an unload happens). */
  onStep?(step: Exclude<LocalStep, { kind: 'answer' }>): void;
  /** Download or compile progress of the model these panes wait for. */
  onProgress?(paneIds: readonly string[], p: Progress): void;
  onStart?(paneId: string, messages: ChatMessage[]): void;
  onToken?(paneId: string, delta: string): void;
  onDone?(paneId: string, run: PaneRun): void;
}

export interface PaneRun extends SideRun {
  paneId: string;
  /** What the engine loaded (web-llm may have taken a model's sibling build); null when it never loaded or does not say. */
  model: ChatModelInfo | null;
}

export interface PanesResult {
  question: string;
  /** ms since the epoch. */
  startedAt: number;
  /** The one object every pane was asked with. */
  params: GenerationParams;
  asked: { mode: SearchMode; k: number };
  promptVersion: number;
  /** The passages every pane with documents was given. */
  retrieval: SearchResult;
  /** Retrieval's wall time as the page saw it (query embedding included), ms. */
  retrievalMs: number;
  panes: PaneSpec[];
  /** One per pane, in the panes' order (not the order they ran in). */
  runs: PaneRun[];
  plan: PanePlan;
}

export async function runPanes(req: PanesRequest, deps: PanesDeps, events: PanesEvents = {}, signal?: AbortSignal): Promise<PanesResult> {
  const question = req.question.trim();
  if (question === '') throw new AppError('InvalidRequest', 'Type a question first.');
  // Throws InvalidRequest, naming each problem, for a pane list that cannot run.
  const plan = planPanes(req.panes, deps.env);
  events.onPlan?.(plan);
  const startedAt = Date.now();
  // One frozen object for every pane: none can drift from the others.
  const params: GenerationParams = Object.freeze({ ...req.params });

  // Every pane with documents needs retrieval, and the pane list has at least one (paneProblems).
  const t = performance.now();
  const retrieval = await deps.search(question, req.retrieval);
  const retrievalMs = performance.now() - t;
  events.onRetrieved?.(retrieval);
  const passages = Object.freeze(retrieval.hits.map(toPromptPassage));

  const byId = new Map(req.panes.map((p) => [p.id, p]));
  const runs = new Map<string, PaneRun>();
  const ask = (pane: PaneSpec): AnswerRequest => ({ question, passages: pane.retrieval ? passages : null, params });
  const finish = (pane: PaneSpec, run: SideRun, model: ChatModelInfo | null): void => {
    const out: PaneRun = { ...run, paneId: pane.id, model };
    runs.set(pane.id, out);
    events.onDone?.(pane.id, out);
  };
  /** A pane that never got an engine: stopped when Stop was pressed (a cancelled load included), else failed with why. */
  const fail = (pane: PaneSpec, error: unknown): void => {
    const stopped = signal?.aborted || isAppError(error, 'Cancelled');
    finish(pane, stopped ? unanswered(ask(pane), 'stopped') : unanswered(ask(pane), 'failed', error), null);
  };
  const answer = async (pane: PaneSpec, loaded: LoadedEngine): Promise<void> => {
    const run = await answerOnce(
      ask(pane),
      loaded.engine,
      { onStart: (m) => events.onStart?.(pane.id, m), onToken: (d) => events.onToken?.(pane.id, d) },
      signal,
    );
    finish(pane, run, loaded.info);
  };
  const loadOptions = (paneIds: readonly string[]): LoadOptions => ({ signal, onProgress: (p) => events.onProgress?.(paneIds, p) });

  async function localSequence(): Promise<void> {
    // Engines by model key: a load's engine or its error, until the model is unloaded.
    const engines = new Map<string, Promise<LoadedEngine>>();
    const waiting = (m: LocalModel): string[] =>
      plan.steps.flatMap((s) => (s.kind === 'answer' && modelKey(s.model) === modelKey(m) ? s.paneIds : []));
    const attach = (m: LocalModel): Promise<LoadedEngine> => {
      const p = deps.load(m, loadOptions(waiting(m)));
      // Rejections are handled where the engine is awaited; this only keeps them from counting as unhandled.
      p.catch(() => undefined);
      engines.set(modelKey(m), p);
      return p;
    };
    for (const step of plan.steps) {
      if (step.kind === 'unload') {
        if (signal?.aborted) continue;
        events.onStep?.(step);
        engines.delete(modelKey(step.model));
        // An unload that fails leaves memory taken: the next load then says so in its own error.
        await deps.unload(step.model).catch(() => undefined);
      } else if (step.kind === 'load') {
        if (signal?.aborted) continue;
        events.onStep?.(step);
        await attach(step.model).catch(() => undefined);
      } else {
        for (const id of step.paneIds) {
          const pane = byId.get(id)!;
          if (signal?.aborted) {
            finish(pane, unanswered(ask(pane), 'stopped'), null);
            continue;
          }
          // A model the plan found loaded has no load step: its engine is asked for here.
          const loading = engines.get(modelKey(step.model)) ?? attach(step.model);
          let loaded: LoadedEngine;
          try {
            loaded = await loading;
          } catch (e) {
            fail(pane, e);
            continue;
          }
          await answer(pane, loaded);
        }
      }
    }
  }

  async function serverLane(lane: RemoteLane): Promise<void> {
    for (const id of lane.paneIds) {
      const pane = byId.get(id)!;
      if (signal?.aborted) {
        finish(pane, unanswered(ask(pane), 'stopped'), null);
        continue;
      }
      let loaded: LoadedEngine;
      try {
        loaded = await deps.remote(pane, loadOptions([pane.id]));
      } catch (e) {
        fail(pane, e);
        continue;
      }
      await answer(pane, loaded);
    }
  }

  // Every lane ends before the run does, even when one throws: a server lane must not go on
  // streaming into panes whose comparison has already failed.
  const lanes = await Promise.allSettled([localSequence(), ...plan.remote.map(serverLane)]);
  const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failed) throw failed.reason;
  return {
    question,
    startedAt,
    params,
    asked: { mode: req.retrieval.mode, k: req.retrieval.k },
    promptVersion: PROMPT_VERSION,
    retrieval,
    retrievalMs,
    panes: req.panes.map((p) => ({ ...p })),
    runs: req.panes.map((p) => runs.get(p.id)!),
    plan,
  };
}

/**
 * A kept comparison's panes and their runs: as stored, or, for a record kept before panes
 * existed, the 'documents' preset's two panes on the model that answered both.
 */
export function recordPanes(r: {
  panes?: PaneSpec[] | undefined;
  runs?: PaneRun[] | undefined;
  plain?: SideRun | undefined;
  grounded?: SideRun | undefined;
  model: ChatModelInfo | null;
}): { panes: PaneSpec[]; runs: PaneRun[] } {
  if (r.panes && r.runs && r.panes.length === r.runs.length) return { panes: r.panes, runs: r.runs };
  const engine = r.model?.engine === 'webllm' ? 'webllm' : 'transformers';
  const panes = presetPanes('documents', { base: { engine, model: r.model?.model ?? 'the model' } });
  const runs: PaneRun[] = [];
  for (const [pane, side] of [
    [panes[0]!, r.plain],
    [panes[1]!, r.grounded],
  ] as const) {
    if (side) runs.push({ ...side, paneId: pane.id, model: r.model });
  }
  return runs.length === 2 ? { panes, runs } : { panes: [], runs: [] };
}

/**
 * A pane result as a with/without comparison (the Evaluate view's with/without figures): the first
 * pane with documents against a pane without them asking the same model, else the first pane
 * without them; null when the panes lack either.
 */
export function pairOf(r: PanesResult): ComparisonResult | null {
  const runs = r.runs;
  const j = r.panes.findIndex((p) => p.retrieval);
  const same = (p: PaneSpec): boolean => j >= 0 && !p.retrieval && sameModel(p, r.panes[j]!);
  const i = r.panes.some(same) ? r.panes.findIndex(same) : r.panes.findIndex((p) => !p.retrieval);
  if (i < 0 || j < 0 || !runs[i] || !runs[j]) return null;
  const side = (x: PaneRun): SideRun => {
    const { paneId: _id, model: _model, ...run } = x;
    return run;
  };
  const { plan: _plan, panes: _panes, runs: _runs, ...rest } = r;
  return { ...rest, plain: side(runs[i]!), grounded: side(runs[j]!) };
}
