/**
 * Reciprocal-rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): merges ranked lists whose scores
 * are not comparable (BM25 is unbounded, cosine lives in [-1, 1]) using ranks only:
 *
 *   fused(d) = Σ_lists  weight_list / (k + rank_list(d))        rank is 1-based; absent = no term
 *
 * Ties (equal fused score) go to the chunk with the better best rank in any list, then to the one
 * seen first (lists in the order given, so the first list wins): stable, whatever the input.
 */

export interface FusionParams {
  /**
   * Rank damping. Small k lets the very top of each list dominate; large k flattens the
   * difference between rank 1 and rank 20, rewarding chunks that several lists agree on.
   * Range 1..1000; default 60 (the paper's value, used by Elasticsearch, OpenSearch, Vespa).
   */
  k: number;
  /**
   * Weight per list, in the order the lists are given (for retrieve(): [keyword, dense]).
   * 0 ignores a list; 2 counts it twice as much. Range 0..10 each; default 1 for every list.
   */
  weights: readonly number[];
}

export const DEFAULT_RRF_K = 60;

export interface Ranked {
  chunkId: string;
}

export interface Fused {
  chunkId: string;
  /** The RRF score. */
  score: number;
  /** 1-based rank of the chunk in each input list, or 0 where it is absent (same order as the lists). */
  ranks: number[];
}

/** Fuses ranked lists (best first); returns every chunk found in any list, best first. */
export function reciprocalRankFusion(lists: ReadonlyArray<readonly Ranked[]>, params: Partial<FusionParams> = {}): Fused[] {
  const k = params.k ?? DEFAULT_RRF_K;
  const weights = params.weights ?? [];
  const byId = new Map<string, Fused & { best: number; order: number }>();
  lists.forEach((list, li) => {
    const w = weights[li] ?? 1;
    list.forEach((item, i) => {
      const rank = i + 1;
      let f = byId.get(item.chunkId);
      if (!f) {
        f = { chunkId: item.chunkId, score: 0, ranks: new Array<number>(lists.length).fill(0), best: rank, order: byId.size };
        byId.set(item.chunkId, f);
      }
      // A chunk listed twice in one list counts once, at its better rank.
      if (f.ranks[li] !== 0) return;
      f.ranks[li] = rank;
      f.score += w / (k + rank);
      f.best = Math.min(f.best, rank);
    });
  });
  return [...byId.values()]
    .sort((a, b) => b.score - a.score || a.best - b.best || a.order - b.order)
    .map(({ chunkId, score, ranks }) => ({ chunkId, score, ranks }));
}
