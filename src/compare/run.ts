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
 */

import type { ChatEngine, ChatMessage, GenerationParams, GenerationResult } from '../generate/engine';
import { groundedMessages, plainMessages, PROMPT_VERSION, type PromptPassage } from '../generate/prompts';
import type { SearchMode } from '../index/types';
import { AppError, isAppError, serializeError, type SerializedError } from '../protocol/errors';
import type { SearchHit, SearchResult } from '../protocol/library';

export type Side = 'plain' | 'grounded';

export interface CompareRequest {
  question: string;
  retrieval: { mode: SearchMode; k: number; rrfK?: number };
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
}

export interface ComparisonResult {
  question: string;
  /** ms since the epoch. */
  startedAt: number;
  params: GenerationParams;
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
  const prompt = (side: Side, used: number): ChatMessage[] =>
    side === 'plain' ? plainMessages(question) : groundedMessages(question, passages.slice(0, used));
  const runs = {} as Record<Side, SideRun>;
  for (const side of ['plain', 'grounded'] as const) {
    let used = side === 'grounded' ? passages.length : 0;
    let messages = prompt(side, used);
    const tag = (run: SideRun): SideRun => (side === 'grounded' ? { ...run, passagesUsed: used } : run);
    if (signal?.aborted) {
      runs[side] = tag({ messages, status: 'stopped', result: null });
      events.onDone?.(side, runs[side]);
      continue;
    }
    events.onStart?.(side, messages);
    for (;;) {
      try {
        const result = await deps.engine.generate(messages, params, { signal, onToken: (d) => events.onToken?.(side, d) });
        runs[side] = tag({ messages, status: result.finishReason === 'interrupted' ? 'interrupted' : 'done', result });
      } catch (e) {
        // Engines refuse an over-long prompt before running the model, so trying again with the
        // lowest-ranked passage left out costs one tokenisation. The plain side has nothing to drop,
        // and a grounded prompt keeps at least one passage: without any it would claim that
        // nothing was found, so it fails with the engine's sentence instead.
        if (isAppError(e, 'ContextTooLong') && used > 1) {
          used--;
          messages = prompt(side, used);
          events.onStart?.(side, messages);
          continue;
        }
        // One side failing (a lost GPU device, say) still shows the other side's answer.
        runs[side] = tag({ messages, status: 'failed', result: null, error: serializeError(e) });
      }
      break;
    }
    events.onDone?.(side, runs[side]);
  }
  return { question, startedAt, params, promptVersion: PROMPT_VERSION, retrieval, retrievalMs, plain: runs.plain, grounded: runs.grounded };
}
