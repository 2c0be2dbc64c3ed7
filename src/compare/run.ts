/**
 * One comparison: retrieve passages for the question, then let the same engine answer twice, one
 * after the other (web-llm serialises generations on a model anyway): A "model only" with the plain
 * prompt, B "model + your documents" with the grounded prompt. Both get the very same
 * GenerationParams object (temperature, top-p, max tokens, seed), so retrieval is the only
 * difference. DOM-free: the page's state drives it with the worker clients, tests with in-process
 * engines.
 *
 * Stop (the signal) interrupts the side that is generating; its partial answer is kept, and a side
 * not started yet is not started.
 *
 * Each answer is written by `answerOnce`, which comparisons of more panes (run-panes.ts) share: the
 * prompt, leaving passages out and cutting the first one when the model's window is too short, and
 * the error worded for what the user can still change.
 */

import type { ChatEngine, ChatMessage, GenerationParams, GenerationResult } from '../generate/engine';
import { groundedMessages, plainMessages, PROMPT_VERSION, type PromptPassage } from '../generate/prompts';
import { contextTooLong, type PromptParts } from '../generate/context-window';
import type { RetrievalOptions, SearchMode } from '../index/types';
import { AppError, isAppError, serializeError, type SerializedError } from '../core/errors';
import type { SearchHit, SearchResult } from '../index/types';

export type Side = 'plain' | 'grounded';

export interface CompareRequest {
  question: string;
  retrieval: RetrievalOptions;
  params: GenerationParams;
}

export interface SideRun {
  /** The exact messages sent (the prompt inspector shows them). */
  messages: ChatMessage[];
  /** 'stopped': Stop was pressed before this side started. */
  status: 'done' | 'interrupted' | 'stopped' | 'failed';
  result: GenerationResult | null;
  error?: SerializedError;
  /**
   * Grounded side: how many of the retrieved passages the prompt carried. Fewer than retrieved when
   * the rest did not fit the model's context window with the answer (lowest-ranked left out).
   */
  passagesUsed?: number;
  /**
   * Grounded side: characters of passage [1] the prompt kept, when even that one passage alone
   * did not fit and was cut at its end to fit (absent when nothing was cut).
   */
  firstPassageChars?: number;
}

/**
 * Tokens of room to leave when a passage is cut to fit, beyond what the engine says the prompt is
 * over: the cut is estimated from the prompt's own characters per token, which varies along it.
 */
const CUT_MARGIN_TOKENS = 16;
/** A passage cut below this many characters says too little to ground an answer: fail instead. */
const MIN_PASSAGE_CHARS = 200;
/** Tries at cutting before giving up with the engine's error. */
const MAX_CUTS = 4;

export interface ComparisonResult {
  question: string;
  /** ms since the epoch. */
  startedAt: number;
  params: GenerationParams;
  /**
   * How passages were asked for: the mode (`retrieval.modeUsed` may be a fallback) and how many
   * (fewer may have matched). With `params`, what the question was asked with, so an earlier one
   * can be asked again the same way. Absent from comparisons kept before it was recorded.
   */
  asked?: { mode: SearchMode; k: number };
  promptVersion: number;
  retrieval: SearchResult;
  /** Retrieval's wall time as the page saw it (query embedding included), ms. */
  retrievalMs: number;
  plain: SideRun;
  grounded: SideRun;
}

export interface CompareDeps {
  engine: ChatEngine;
  /** Retrieval as the app does it (query embedding included). */
  search(question: string, retrieval: CompareRequest['retrieval']): Promise<SearchResult>;
}

export interface CompareEvents {
  onRetrieved?(retrieval: SearchResult): void;
  onStart?(side: Side, messages: ChatMessage[]): void;
  onToken?(side: Side, delta: string): void;
  onDone?(side: Side, run: SideRun): void;
}

/** A retrieved hit as the grounded prompt numbers it. */
export function toPromptPassage(h: SearchHit): PromptPassage {
  return { docName: h.docName, pages: h.pages, headingPath: h.headingPath, text: h.text };
}

export async function runComparison(
  req: CompareRequest,
  deps: CompareDeps,
  events: CompareEvents = {},
  signal?: AbortSignal,
): Promise<ComparisonResult> {
  const question = req.question.trim();
  if (question === '') throw new AppError('InvalidRequest', 'Type a question first.');
  const startedAt = Date.now();
  // One frozen object for both sides: neither can drift from the other.
  const params: GenerationParams = Object.freeze({ ...req.params });

  const t = performance.now();
  const retrieval = await deps.search(question, req.retrieval);
  const retrievalMs = performance.now() - t;
  events.onRetrieved?.(retrieval);

  const passages = retrieval.hits.map(toPromptPassage);
  const runs = {} as Record<Side, SideRun>;
  for (const side of ['plain', 'grounded'] as const) {
    runs[side] = await answerOnce(
      { question, passages: side === 'grounded' ? passages : null, params },
      deps.engine,
      { onStart: (m) => events.onStart?.(side, m), onToken: (d) => events.onToken?.(side, d) },
      signal,
    );
    events.onDone?.(side, runs[side]);
  }
  return {
    question,
    startedAt,
    params,
    asked: { mode: req.retrieval.mode, k: req.retrieval.k },
    promptVersion: PROMPT_VERSION,
    retrieval,
    retrievalMs,
    plain: runs.plain,
    grounded: runs.grounded,
  };
}

/** One answer to write: the question, the passages for a grounded prompt (null: the model alone), the frozen params. */
export interface AnswerRequest {
  question: string;
  passages: readonly PromptPassage[] | null;
  params: GenerationParams;
}

export interface AnswerHooks {
  /** The prompt about to be sent; again with each shorter prompt tried after a ContextTooLong. */
  onStart?(messages: ChatMessage[]): void;
  onToken?(delta: string): void;
}

/**
 * One answer on one engine, as every comparison writes it (two sides here, N panes in
 * run-panes.ts): the plain or grounded prompt, then, when the engine says the prompt does not fit
 * its model's window, the lowest-ranked passages left out and passage [1] cut, each pane on its own
 * (models differ in windows, so panes given the same passages may keep different numbers of them).
 * Never throws for the engine: a failure is the run's `error`, so one pane failing leaves the
 * others' answers standing.
 */
export async function answerOnce(req: AnswerRequest, engine: ChatEngine, hooks: AnswerHooks = {}, signal?: AbortSignal): Promise<SideRun> {
  const { question, params } = req;
  const grounded = req.passages !== null;
  const passages = req.passages ?? [];
  // Set when passage [1] alone is too long for the model's window: its text is cut to this length.
  let firstChars: number | null = null;
  const shorten = (p: PromptPassage, chars: number): PromptPassage => {
    const cut = p.text.slice(0, chars);
    const atWord = cut.lastIndexOf(' ');
    return { ...p, text: `${atWord > chars * 0.8 ? cut.slice(0, atWord) : cut} …` };
  };
  const prompt = (used: number): ChatMessage[] => {
    if (!grounded) return plainMessages(question);
    const chosen = passages.slice(0, used);
    if (firstChars !== null && chosen[0]) chosen[0] = shorten(chosen[0], firstChars);
    return groundedMessages(question, chosen);
  };
  /** How many passages a prompt holds and about how many of its tokens they take (their share of its characters). */
  const parts = (messages: ChatMessage[], used: number, promptTokens: number): PromptParts => {
    const chars = passages.slice(0, used).reduce((n, p, i) => n + (i === 0 && firstChars !== null ? firstChars : p.text.length), 0);
    const total = messages.reduce((n, m) => n + m.content.length, 0);
    return { passages: used, passageTokens: Math.round((chars / Math.max(1, total)) * promptTokens) };
  };
  let used = passages.length;
  let messages = prompt(used);
  const tag = (run: SideRun): SideRun =>
    grounded ? { ...run, passagesUsed: used, ...(firstChars !== null ? { firstPassageChars: firstChars } : {}) } : run;
  let cuts = 0;
  if (signal?.aborted) return unanswered(req, 'stopped');
  hooks.onStart?.(messages);
  for (;;) {
    try {
      const result = await engine.generate(messages, params, { signal, onToken: (d) => hooks.onToken?.(d) });
      return tag({ messages, status: result.finishReason === 'interrupted' ? 'interrupted' : 'done', result });
    } catch (e) {
      // Engines refuse an over-long prompt before running the model, so trying again with the
      // lowest-ranked passage left out costs one tokenisation. The plain side has nothing to drop,
      // and a grounded prompt keeps at least one passage: without any it would claim that
      // nothing was found, so it fails with the engine's sentence instead.
      if (isAppError(e, 'ContextTooLong') && used > 1) {
        used--;
        messages = prompt(used);
        hooks.onStart?.(messages);
        continue;
      }
      // One passage left and still too long (a huge chunk, or a small window): cut its end by
      // what the engine says the prompt is over, rather than answer without documents.
      if (isAppError(e, 'ContextTooLong') && grounded && used === 1 && cuts < MAX_CUTS) {
        const { promptTokens, maxTokens, contextWindow } = e.data;
        const over = promptTokens + maxTokens - contextWindow;
        const current: number = firstChars ?? passages[0]!.text.length;
        // This tokenizer's characters per token, measured on the prompt just refused.
        const charsPerToken = messages.reduce((n, m) => n + m.content.length, 0) / Math.max(1, promptTokens);
        const cut = Math.ceil((Math.max(0, over) + CUT_MARGIN_TOKENS) * charsPerToken);
        // The estimate runs over when the passage takes more tokens per character than the rest
        // of the prompt (numbers, codes, another script): try the shortest useful passage before
        // giving up on it.
        const next = Math.max(MIN_PASSAGE_CHARS, current - cut);
        if (next < current) {
          cuts++;
          firstChars = next;
          messages = prompt(used);
          hooks.onStart?.(messages);
          continue;
        }
      }
      // Nothing left to drop or cut: the engine could not know what the prompt held, so its
      // advice is written again for what the user can still change.
      const error = isAppError(e, 'ContextTooLong') ? contextTooLong(e.data, parts(messages, used, e.data.promptTokens), e.causeText) : e;
      // One side failing (a lost GPU device, say) still shows the other side's answer.
      return tag({ messages, status: 'failed', result: null, error: serializeError(error) });
    }
  }
}

/**
 * The run of an answer that was never asked for: Stop pressed before it started, or its model
 * could not be loaded (the error). It carries the prompt it would have sent, so the prompt
 * inspector still shows what it was going to be.
 */
export function unanswered(req: AnswerRequest, status: 'stopped' | 'failed', error?: unknown): SideRun {
  const run: SideRun = {
    messages: req.passages === null ? plainMessages(req.question) : groundedMessages(req.question, req.passages),
    status,
    result: null,
    ...(error !== undefined ? { error: serializeError(error) } : {}),
  };
  return req.passages === null ? run : { ...run, passagesUsed: req.passages.length };
}
