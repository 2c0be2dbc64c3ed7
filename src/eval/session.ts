/**
 * A run of a question set: every question through the with/without comparison (compare/run.ts,
 * exactly as Ask runs it), scored, and handed to `save` one question at a time, so a run survives
 * a reload and resumes where it stopped. DOM-free: the page's Evaluate state drives it with the
 * worker clients, `rag-eval --llm` with in-process parts, the tests with both.
 *
 * Stopping (the signal, for Pause or Cancel) throws `Cancelled` and drops the question under way:
 * its comparison was cut short, so keeping it would score a half answer. Resuming runs it again.
 */

import type { ComparisonResult, SideRun } from '../compare/run';
import { pairOf, type PanesResult } from '../compare/run-panes';
import { AppError, cancelled, isAppError } from '../core/errors';
import type { ChatMessage } from '../generate/engine';
import { judgeMessages, judgeVerdict } from '../generate/prompts';
import type { SearchHit } from '../index/types';
import { scoreAnswer, scoreComparison } from './answers';
import { groundAnswer, sentencesOf, type Grounding } from './grounding';
import type { EvalQuestion, EvalResultRecord, EvalRunRecord, JudgeVerdict, PaneResult, QuestionSetRecord, RetrievalScore } from './runs';

/**
 * Tokens the judge may reply with: "CORRECT" or "INCORRECT" and a little slack for models that
 * start with a space or a quote. Default 16.
 */
export const JUDGE_MAX_TOKENS = 16;

export interface SessionDeps {
  /**
   * One comparison, as Ask runs it, with the run's settings: the default two sides, or, for a run
   * with panes, every pane (run-panes.ts).
   */
  compare(question: string, signal: AbortSignal): Promise<ComparisonResult | PanesResult>;
  /**
   * Retrieval scored by the evidence rule (evidence.ts) for question `index` of the set. Questions
   * with a gold passage are scored here, without it.
   */
  scoreRetrieval(question: EvalQuestion, index: number, hits: readonly SearchHit[]): Promise<Omit<RetrievalScore, 'by'>>;
  /** Embeds texts with the collection's embedding model (for grounding); absent: grounding is not judged. */
  embed?(texts: string[], signal: AbortSignal): Promise<Float32Array[]>;
  /** Generates a reply of at most JUDGE_MAX_TOKENS (the judge pass); absent, or the run's settings say no: no judge pass. */
  generate?(messages: ChatMessage[], signal: AbortSignal): Promise<string>;
  /** Stores one question's result with the run as it now stands (done count, time). */
  save(result: EvalResultRecord, run: EvalRunRecord): Promise<unknown>;
}

export interface SessionEvents {
  /** A question starts (0-based index in the set). */
  onQuestion?(index: number): void;
  onResult?(result: EvalResultRecord, run: EvalRunRecord): void;
}

/** Retrieval scored against a generated question's own passage. */
export function goldScore(q: EvalQuestion & { gold: NonNullable<EvalQuestion['gold']> }, hits: readonly SearchHit[]): RetrievalScore {
  const { docId, docName, ordinal } = q.gold;
  return {
    by: 'gold',
    evidenceRank: hits.findIndex((h) => h.docId === docId && h.ordinal === ordinal) + 1,
    sourceRank: hits.findIndex((h) => h.docId === docId) + 1,
    named: [docName],
    evidenceInCollection: 1,
    declined: false,
  };
}

/** Citation markers out of a sentence before it is embedded: "[2]" says nothing about its meaning. */
const withoutMarkers = (s: string): string => s.replace(/\[[\d,\s–-]+\]/g, ' ').trim();

/** The grounded answer's sentences marked against the passages its prompt carried. */
export async function groundingOf(
  comparison: Pick<ComparisonResult, 'question' | 'retrieval'> & { grounded: Pick<SideRun, 'result' | 'passagesUsed'> },
  embed: (texts: string[], signal: AbortSignal) => Promise<Float32Array[]>,
  signal: AbortSignal,
): Promise<Grounding | null> {
  const answer = comparison.grounded.result?.text ?? '';
  const sentences = sentencesOf(answer);
  const passages = comparison.retrieval.hits
    .slice(0, comparison.grounded.passagesUsed ?? comparison.retrieval.hits.length)
    .map((h) => h.text);
  if (sentences.length === 0) return null;
  const vectors = await embed([...sentences.map(withoutMarkers), ...passages], signal);
  return groundAnswer(sentences, vectors.slice(0, sentences.length), passages, vectors.slice(sentences.length), comparison.question);
}

/**
 * Runs the questions of `set` that have no result yet (`done` holds the indexes that have one)
 * and returns the run, 'done'. The caller stores the returned run and marks a stopped one
 * 'paused' or 'cancelled'.
 */
export async function runEvaluation(
  start: EvalRunRecord,
  set: Pick<QuestionSetRecord, 'questions'>,
  done: ReadonlySet<number>,
  deps: SessionDeps,
  events: SessionEvents = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<EvalRunRecord> {
  let run: EvalRunRecord = { ...start, status: 'running', total: set.questions.length, done: done.size };
  for (const [index, q] of set.questions.entries()) {
    if (done.has(index)) continue;
    if (signal.aborted) throw cancelled();
    events.onQuestion?.(index);
    const t = performance.now();
    const asked = await deps.compare(q.question, signal);
    // A comparison cut short by Stop is half an answer: not scored, not kept.
    if (signal.aborted) throw cancelled();
    const comparison = 'plan' in asked ? pairOf(asked) : asked;
    if (!comparison)
      throw new AppError('InvalidRequest', 'A run compares answers without and with your documents: its panes need one of each.');
    // Runs with panes: every pane's answer scored the same way as the two compared.
    const panes: PaneResult[] | undefined =
      'plan' in asked
        ? asked.panes.map((spec, i) => ({
            spec,
            run: asked.runs[i]!,
            score: scoreAnswer(asked.runs[i]!.result?.text ?? '', q.answer, q.question),
          }))
        : undefined;
    const hits = comparison.retrieval.hits;
    const retrieval: RetrievalScore = q.gold
      ? goldScore({ ...q, gold: q.gold }, hits)
      : { by: 'rule', ...(await deps.scoreRetrieval(q, index, hits)) };
    const plainText = comparison.plain.result?.text ?? '';
    const groundedText = comparison.grounded.result?.text ?? '';
    const answers = scoreComparison(plainText, groundedText, q.answer, q.question);
    let grounding: Grounding | null = null;
    // Grounding is judged when the embedding model can be had; a failure there (no vectors yet, a
    // lost GPU) leaves it unjudged rather than failing a question whose answers are scored.
    if (deps.embed)
      grounding = await groundingOf(comparison, deps.embed, signal).catch((e: unknown) => {
        if (signal.aborted) throw cancelled();
        void e;
        return null;
      });
    let judge: JudgeVerdict | undefined;
    if (run.settings.judge && deps.generate) {
      const generate = deps.generate;
      // An answer too long for the model's window with the judge prompt gets no verdict; the
      // run goes on (the judge is optional and never part of the scores).
      const ask = (answer: string): Promise<string> =>
        generate(judgeMessages(q.question, q.answer, answer), signal).catch((e: unknown) => {
          if (isAppError(e, 'ContextTooLong')) return '';
          throw e;
        });
      const plain = await ask(plainText);
      const grounded = await ask(groundedText);
      if (signal.aborted) throw cancelled();
      judge = { plain: judgeVerdict(plain), grounded: judgeVerdict(grounded), raw: { plain, grounded } };
    }
    const ms = performance.now() - t;
    const result: EvalResultRecord = {
      runId: run.id,
      index,
      question: q,
      comparison,
      retrieval,
      answers,
      grounding,
      ms,
      ...(judge ? { judge } : {}),
      ...(panes ? { panes } : {}),
    };
    run = { ...run, done: run.done + 1, elapsedMs: run.elapsedMs + ms, updatedAt: Date.now() };
    await deps.save(result, run);
    events.onResult?.(result, run);
  }
  return { ...run, status: 'done', updatedAt: Date.now() };
}
