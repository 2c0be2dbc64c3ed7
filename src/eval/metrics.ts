/**
 * Retrieval quality metrics, computed the way BEIR reports them (pytrec_eval / trec_eval), so our
 * numbers are comparable with published ones:
 *
 * - nDCG@k: gain = the qrels grade (linear, as trec_eval's `ndcg_cut`, not 2^grade − 1), discount
 *   1 / log2(rank + 1) with 1-based ranks; the ideal DCG comes from the query's own qrels sorted by
 *   grade. Graded relevance counts; grade ≤ 0 is "not relevant".
 * - Recall@k: relevant documents (grade ≥ 1) found in the top k / all relevant documents.
 * - MRR@k: 1 / rank of the first relevant document in the top k, 0 when there is none.
 *
 * Averages are over the queries that have qrels (a query with qrels but no results scores 0).
 * DOM-free and dependency-free: the eval CLI and tests share it.
 */

/** query id → (document id → relevance grade). */
export type Qrels = Map<string, Map<string, number>>;
/** query id → document ids, best first. */
export type Run = Map<string, readonly string[]>;

/** Grades below this are not relevant (trec_eval's `relevance_level`, BEIR's default 1). */
const RELEVANT_GRADE = 1;

export function ndcgAt(ranked: readonly string[], rels: ReadonlyMap<string, number>, k = 10): number {
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) {
    const g = rels.get(ranked[i]!) ?? 0;
    if (g > 0) dcg += g / Math.log2(i + 2);
  }
  const ideal = [...rels.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += ideal[i]! / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

export function recallAt(ranked: readonly string[], rels: ReadonlyMap<string, number>, k = 100): number {
  let relevant = 0;
  for (const g of rels.values()) if (g >= RELEVANT_GRADE) relevant++;
  if (relevant === 0) return 0;
  let found = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if ((rels.get(ranked[i]!) ?? 0) >= RELEVANT_GRADE) found++;
  return found / relevant;
}

export function mrrAt(ranked: readonly string[], rels: ReadonlyMap<string, number>, k = 10): number {
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if ((rels.get(ranked[i]!) ?? 0) >= RELEVANT_GRADE) return 1 / (i + 1);
  return 0;
}

export interface Scores {
  'ndcg@10': number;
  'recall@100': number;
  'mrr@10': number;
  /** Queries averaged over (those with qrels). */
  queries: number;
}

/**
 * Mean nDCG@10, Recall@100 and MRR@10 of a run over every query in `qrels`.
 * `ignoreIdenticalIds` drops a result whose document id equals the query id before scoring, as
 * BEIR's evaluator does by default (it matters for corpora whose queries are also documents,
 * e.g. ArguAna and Quora; it changes nothing elsewhere).
 */
export function evaluateRun(run: Run, qrels: Qrels, ignoreIdenticalIds = true): Scores {
  let ndcg = 0;
  let recall = 0;
  let mrr = 0;
  for (const [qid, rels] of qrels) {
    let ranked = run.get(qid) ?? [];
    if (ignoreIdenticalIds) ranked = ranked.filter((d) => d !== qid);
    ndcg += ndcgAt(ranked, rels, 10);
    recall += recallAt(ranked, rels, 100);
    mrr += mrrAt(ranked, rels, 10);
  }
  const n = qrels.size;
  return n === 0
    ? { 'ndcg@10': 0, 'recall@100': 0, 'mrr@10': 0, queries: 0 }
    : { 'ndcg@10': ndcg / n, 'recall@100': recall / n, 'mrr@10': mrr / n, queries: n };
}
