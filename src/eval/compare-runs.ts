/**
 * Runs of one question set side by side, DOM-free: what the Evaluate view's run comparison shows in
 * its table and charts, from the stored runs and results. Every figure comes from `summarizeRun`
 * (runs.ts) or is a stored per-question score, so the charts can never disagree with the table.
 * Questions are matched across runs by their position in the set.
 */

import { summarizeRun, type EvalResultRecord, type EvalRunRecord, type RunSummary } from './runs';

export interface RunWithResults {
  run: EvalRunRecord;
  results: readonly EvalResultRecord[];
}

export type Side = 'without' | 'with';
export type Outcome = 'win' | 'loss' | 'tie';
export type AnswerMeasure = 'facts' | 'f1';

export interface ComparedRun {
  run: EvalRunRecord;
  /** The run's label, made unique among the runs compared ("Run 2" when it has none): charts key on it. */
  name: string;
  summary: RunSummary;
}

export interface RunComparison {
  runs: ComparedRun[];
  /** Per run: share of answers holding the key facts and mean token F1, without and with documents. */
  answers: Array<{ run: string; measure: AnswerMeasure; side: Side; value: number }>;
  /** Every hit@k cut-off shown by any run, ascending. */
  ks: number[];
  /** Per run and cut-off: hit rate, or null past the run's own top k (it retrieved no more). */
  hits: Array<{ run: string; k: number; value: number | null; runK: number }>;
  /** Questions any run has a result for, in the set's order (`n` is 1-based). */
  questions: Array<{ n: number; id: string; question: string }>;
  /** Per run and question it has a result for: did retrieval win, lose or tie on key facts? */
  outcomes: Array<{ run: string; n: number; outcome: Outcome }>;
  /** Questions some run missed (no evidence retrieved, the reference not declining), with each run's evidence rank. */
  missed: Array<{ n: number; question: string; ranks: Array<{ run: string; rank: number | null; missed: boolean }> }>;
}

/** What retrieval changed on a question, by key facts (factsGain). */
export const outcomeOf = (r: EvalResultRecord): Outcome => (r.answers.factsGain > 0 ? 'win' : r.answers.factsGain < 0 ? 'loss' : 'tie');

/** Retrieval missed: no evidence passage retrieved, though the reference does not decline (summarizeRun's `missed`). */
export const missedBy = (r: EvalResultRecord): boolean => r.retrieval.evidenceRank === 0 && !r.retrieval.declined;

/** Unique names: a run's label, numbered from the second time a label repeats. */
function names(runs: readonly RunWithResults[]): string[] {
  const seen = new Map<string, number>();
  return runs.map(({ run }, i) => {
    const base = run.label.trim() || `Run ${i + 1}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
}

export function compareRuns(input: readonly RunWithResults[]): RunComparison {
  const labels = names(input);
  const runs = input.map(({ run, results }, i): ComparedRun => ({
    run,
    name: labels[i]!,
    summary: summarizeRun(results, run.settings.retrieval.k),
  }));

  const answers = runs.flatMap(({ name, summary: s }) => [
    { run: name, measure: 'facts' as const, side: 'without' as const, value: s.facts.plain },
    { run: name, measure: 'facts' as const, side: 'with' as const, value: s.facts.grounded },
    { run: name, measure: 'f1' as const, side: 'without' as const, value: s.f1.plain },
    { run: name, measure: 'f1' as const, side: 'with' as const, value: s.f1.grounded },
  ]);

  const ks = [...new Set(runs.flatMap((r) => Object.keys(r.summary.hit).map(Number)))].sort((a, b) => a - b);
  // A cut-off another run shows but this one's summary has not (top 8 beside top 10): summarizeRun at that cut-off.
  const hits = runs.flatMap(({ name, summary: s }, i) =>
    ks.map((k) => ({ run: name, k, value: k <= s.k ? (s.hit[k] ?? summarizeRun(input[i]!.results, k).hit[k]!) : null, runK: s.k })),
  );

  const byIndex = new Map<number, EvalResultRecord>();
  for (const { results } of input) for (const r of results) if (!byIndex.has(r.index)) byIndex.set(r.index, r);
  const questions = [...byIndex.values()]
    .sort((a, b) => a.index - b.index)
    .map((r) => ({ n: r.index + 1, id: r.question.id, question: r.question.question }));

  const outcomes = input.flatMap(({ results }, i) =>
    [...results].sort((a, b) => a.index - b.index).map((r) => ({ run: labels[i]!, n: r.index + 1, outcome: outcomeOf(r) })),
  );

  const perRun = input.map(({ results }) => new Map(results.map((r) => [r.index, r])));
  const missed = questions
    .filter((q) => perRun.some((m) => m.get(q.n - 1) && missedBy(m.get(q.n - 1)!)))
    .map((q) => ({
      n: q.n,
      question: q.question,
      ranks: perRun.map((m, i) => {
        const r = m.get(q.n - 1);
        return { run: labels[i]!, rank: r ? r.retrieval.evidenceRank : null, missed: r ? missedBy(r) : false };
      }),
    }));

  return { runs, answers, ks, hits, questions, outcomes, missed };
}
