/**
 * The Evaluate view's records and its per-run figures, DOM-free: a question set stored per
 * collection, a run of that set through the with/without comparison, one result per question, and
 * the summary of a run. The store keeps these shapes (src/store/schema.ts), the page's Evaluate
 * state and `rag-eval --llm` make them (session.ts), and the view, the charts and the exports read
 * them. Every figure of a run is defined once, in `summarizeRun`, and the view's help quotes the
 * same formulas.
 */

import type { PaneSpec } from '../compare/panes';
import type { ComparisonResult } from '../compare/run';
import type { PaneRun } from '../compare/run-panes';
import type { SerializedError } from '../core/errors';
import type { ChatModelInfo, GenerationParams } from '../generate/engine';
import type { RetrievalOptions } from '../index/types';
import type { AnswerScore } from './answers';
import type { Grounding } from './grounding';
import type { RagQuestion } from './questions';

/** A question of a set: a question-set line (questions.ts), and for generated ones the passage it was made from. */
export interface EvalQuestion extends RagQuestion {
  /**
   * Generated questions: the passage the model wrote the question from. It is the gold evidence:
   * retrieval hits when it returns this passage (by document and chunk position).
   */
  gold?: { docId: string; docName: string; ordinal: number; text: string };
}

export type QuestionSetOrigin = 'imported' | 'typed' | 'generated';

export interface QuestionSetRecord {
  id: string;
  collectionId: string;
  name: string;
  /** ms since the epoch. */
  createdAt: number;
  updatedAt: number;
  origin: QuestionSetOrigin;
  /** Imported: the file name. */
  file?: string;
  /** Generated: by which model and prompt version, and what the filters dropped. */
  generator?: GeneratorInfo;
  questions: EvalQuestion[];
}

export interface GeneratorInfo {
  model: string;
  promptVersion: number;
  /** Passages sampled (one question asked of each). */
  sampled: number;
  /** Questions dropped, by reason (see generate-questions.ts). */
  dropped: Record<string, number>;
  /** The seed passages were drawn with (each generation draws others; this one draws the same again). */
  seed?: number;
}

/** What a run asks with: the same settings as Ask at the time it started, and the models used. */
export interface RunSettings {
  retrieval: RetrievalOptions;
  params: GenerationParams;
  /** The chat model as loaded when the run started (null until it is loaded). */
  chatModel: ChatModelInfo | null;
  /** The embedding model the collection is searched and the grounding is judged with. */
  embedModel: string;
  promptVersion: number;
  /** Whether the optional judge pass (the local model grading each answer) runs. */
  judge: boolean;
  /**
   * The panes every question is asked with, when not the default two (the chat model without and
   * with your documents): Ask's panes when the run started (src/compare/panes.ts). The with/without
   * figures then compare the first pane without documents with the first pane with them; every
   * pane's answers are scored too (`EvalResultRecord.panes`, `RunSummary.panes`).
   */
  panes?: PaneSpec[];
}

/**
 * 'running' in the store with nobody running it means the page was closed or reloaded mid-run:
 * the view offers Resume, like for 'paused'.
 */
export type RunStatus = 'running' | 'paused' | 'cancelled' | 'done' | 'failed';

export interface EvalRunRecord {
  id: string;
  collectionId: string;
  setId: string;
  /** The set's name when the run started (the set may be renamed or deleted later). */
  setName: string;
  /** A short label of what differs between runs, e.g. "hybrid · top 5 · Llama-3.2-1B". */
  label: string;
  createdAt: number;
  updatedAt: number;
  status: RunStatus;
  total: number;
  /** Questions with a stored result. */
  done: number;
  /** Time spent on the questions done, ms (for the time left). */
  elapsedMs: number;
  settings: RunSettings;
  /** Why the run failed (status 'failed'). */
  error?: SerializedError;
}

/** How retrieval did on one question. */
export interface RetrievalScore {
  /** 1-based rank of the first passage holding evidence among those retrieved, 0 when none. */
  evidenceRank: number;
  /** 'gold': the passage a generated question was made from; 'rule': the evidence rule (evidence.ts). */
  by: 'gold' | 'rule';
  /** 1-based rank of the first passage from a document the question names, 0 when none (or none named). */
  sourceRank: number;
  /** Documents the question names, as found in the collection (every document when it names none). */
  named: string[];
  /** Passages in the whole collection that hold evidence (0: the collection cannot answer it). */
  evidenceInCollection: number;
  /** The reference says the documents do not hold the answer: no passage can be evidence. */
  declined: boolean;
}

/** The optional judge pass: the local model's own verdict on each answer, never mixed into the other scores. */
export interface JudgeVerdict {
  /** Null: the judge's reply was neither yes nor no. */
  plain: boolean | null;
  grounded: boolean | null;
  /** The judge's replies, as written. */
  raw: { plain: string; grounded: string };
}

export interface EvalResultRecord {
  runId: string;
  /** 0-based position of the question in the set. */
  index: number;
  question: EvalQuestion;
  /** Everything needed to show the question exactly as it ran: passages, prompts, both answers. */
  comparison: ComparisonResult;
  retrieval: RetrievalScore;
  answers: { plain: AnswerScore; grounded: AnswerScore; f1Gain: number; factsGain: -1 | 0 | 1 };
  /** Null when the grounded side produced no answer or no embedding model was available. */
  grounding: Grounding | null;
  judge?: JudgeVerdict;
  /** Runs with panes (`RunSettings.panes`): every pane's run and the score of its answer, in the panes' order. */
  panes?: PaneResult[];
  /** Wall time of this question (retrieval, both answers, scoring), ms. */
  ms: number;
}

/** One pane's answer to a question of a run with panes. */
export interface PaneResult {
  spec: PaneSpec;
  run: PaneRun;
  score: AnswerScore;
}

/** Cut-offs a run's hit rate is shown at (only those up to the run's top k mean anything). */
export const RUN_KS: readonly number[] = [1, 3, 5, 10];

export interface RunSummary {
  /** Questions scored. */
  questions: number;
  /** The run's top k. */
  k: number;
  /** Share of questions with an evidence passage among the first k retrieved, per k in RUN_KS up to the run's k, and at the run's k. */
  hit: Record<number, number>;
  /** Mean of 1 / rank of the first evidence passage among those retrieved (0 when none). */
  mrr: number;
  /** Share of questions naming source documents that got a passage from one of them. */
  sourceHit: number;
  /** Questions that name sources (sourceHit averages over these). */
  withSources: number;
  /** Mean token F1 with the reference. */
  f1: { plain: number; grounded: number };
  /** Share of answers that contain the reference's key facts. */
  facts: { plain: number; grounded: number };
  /** Questions where only the grounded answer holds the key facts (wins), only the plain one (losses), both or neither (ties). */
  wins: number;
  losses: number;
  ties: number;
  /** Questions retrieval missed: no evidence passage retrieved, though the reference does not decline. */
  missed: number;
  /**
   * Share of questions some passage of the whole collection holds evidence for: a miss on a
   * question outside it is the question set's (or parsing's) doing, not retrieval's.
   */
  coverage: number;
  /** Mean share of the grounded answer's judged sentences that are supported, over answers with at least one judged sentence. */
  supported: number;
  citations: number;
  unsupportedCitations: number;
  /** The judge pass, when it ran: share of answers it called correct, over those it gave a verdict on. */
  judge: { plain: number; grounded: number; judged: number } | null;
  /** Runs with panes: each pane's share of answers holding the key facts and mean F1, in the panes' order. */
  panes?: PaneSummary[];
}

export interface PaneSummary {
  id: string;
  label: string;
  model: string;
  retrieval: boolean;
  facts: number;
  f1: number;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);

/** The figures of a run, from its results (any order). */
export function summarizeRun(results: readonly EvalResultRecord[], k: number): RunSummary {
  const hit: Record<number, number> = {};
  for (const c of [...RUN_KS.filter((x) => x < k), k])
    hit[c] = mean(results.map((r) => (r.retrieval.evidenceRank > 0 && r.retrieval.evidenceRank <= c ? 1 : 0)));
  const withSources = results.filter((r) => r.retrieval.named.length > 0 && r.question.sources.length > 0);
  const grounded = results.filter((r) => r.grounding !== null);
  const judged = results.filter((r) => r.judge);
  const verdicts = judged.flatMap((r) => [r.judge!.plain, r.judge!.grounded]).filter((v) => v !== null);
  return {
    questions: results.length,
    k,
    hit,
    mrr: mean(results.map((r) => (r.retrieval.evidenceRank > 0 ? 1 / r.retrieval.evidenceRank : 0))),
    sourceHit: mean(withSources.map((r) => (r.retrieval.sourceRank > 0 ? 1 : 0))),
    withSources: withSources.length,
    f1: { plain: mean(results.map((r) => r.answers.plain.f1)), grounded: mean(results.map((r) => r.answers.grounded.f1)) },
    facts: {
      plain: mean(results.map((r) => (r.answers.plain.facts.contains ? 1 : 0))),
      grounded: mean(results.map((r) => (r.answers.grounded.facts.contains ? 1 : 0))),
    },
    wins: results.filter((r) => r.answers.factsGain > 0).length,
    losses: results.filter((r) => r.answers.factsGain < 0).length,
    ties: results.filter((r) => r.answers.factsGain === 0).length,
    missed: results.filter((r) => r.retrieval.evidenceRank === 0 && !r.retrieval.declined).length,
    coverage: mean(results.map((r) => (r.retrieval.evidenceInCollection > 0 ? 1 : 0))),
    supported: mean(grounded.flatMap((r) => (r.grounding!.supportedShare === null ? [] : [r.grounding!.supportedShare]))),
    citations: grounded.reduce((n, r) => n + r.grounding!.citations, 0),
    unsupportedCitations: grounded.reduce((n, r) => n + r.grounding!.unsupportedCitations, 0),
    judge:
      judged.length === 0
        ? null
        : {
            plain: mean(judged.filter((r) => r.judge!.plain !== null).map((r) => (r.judge!.plain ? 1 : 0))),
            grounded: mean(judged.filter((r) => r.judge!.grounded !== null).map((r) => (r.judge!.grounded ? 1 : 0))),
            judged: verdicts.length,
          },
    ...(results[0]?.panes ? { panes: summarizePanes(results) } : {}),
  };
}

/** Each pane's figures over the results that have it (a run's panes are fixed when it starts). */
function summarizePanes(results: readonly EvalResultRecord[]): PaneSummary[] {
  return (results[0]?.panes ?? []).map(({ spec }) => {
    const mine = results.flatMap((r) => r.panes?.filter((p) => p.spec.id === spec.id) ?? []);
    return {
      id: spec.id,
      label: spec.label,
      model: spec.model,
      retrieval: spec.retrieval,
      facts: mean(mine.map((p) => (p.score.facts.contains ? 1 : 0))),
      f1: mean(mine.map((p) => p.score.f1)),
    };
  });
}

/** "hybrid · top 5 · rerank · Llama-3.2-1B": what tells runs of one set apart. */
export function runLabel(s: RunSettings): string {
  const parts: string[] = [s.retrieval.mode, `top ${s.retrieval.k}`];
  if (s.retrieval.rerank) parts.push('rerank');
  if (s.params.temperature > 0) parts.push(`temp ${s.params.temperature}`);
  if (s.panes) parts.push(`${s.panes.length} panes`);
  else if (s.chatModel) parts.push(s.chatModel.model.replace(/^.*\//, ''));
  return parts.join(' · ');
}

/** Time left of a run, ms, from the mean time of the questions done (null before the first). */
export function timeLeftMs(run: Pick<EvalRunRecord, 'done' | 'total' | 'elapsedMs'>): number | null {
  return run.done === 0 ? null : (run.elapsedMs / run.done) * (run.total - run.done);
}
