/**
 * Bounded top-k selection shared by the keyword and dense indexes: a binary min-heap of (score,
 * slot) pairs in typed arrays, so scanning n candidates costs O(n log k) with no allocation per
 * candidate, and the common case (a candidate worse than the current k-th) is one comparison.
 *
 * Order is total and deterministic: higher score first; equal scores go by `tieBreak` (the indexes
 * pass one comparing chunk ids, so the same contents rank the same however they were built), then
 * by the lower slot.
 */

/** Negative when slot `a` should rank before slot `b` on equal scores. */
export type TieBreak = (a: number, b: number) => number;

export class TopK {
  private readonly scores: Float64Array;
  private readonly slots: Int32Array;
  private n = 0;

  constructor(
    readonly k: number,
    private readonly tieBreak: TieBreak | null = null,
  ) {
    this.scores = new Float64Array(Math.max(1, k));
    this.slots = new Int32Array(Math.max(1, k));
  }

  /** Number of items held (≤ k). */
  get size(): number {
    return this.n;
  }

  /** The score a candidate must beat to enter once the heap is full; -Infinity before that. */
  get threshold(): number {
    return this.n < this.k ? -Infinity : this.scores[0]!;
  }

  /** `a` ranks below `b` (is "smaller" in the min-heap): lower score, or equal score and later in tie order. */
  private below(sa: number, ia: number, sb: number, ib: number): boolean {
    if (sa !== sb) return sa < sb;
    return this.after(ia, ib) > 0;
  }

  private after(ia: number, ib: number): number {
    return this.tieBreak?.(ia, ib) || 0 || ia - ib;
  }

  push(score: number, slot: number): void {
    if (this.k <= 0) return;
    const s = this.scores;
    const id = this.slots;
    if (this.n < this.k) {
      // Sift up from the new leaf.
      let i = this.n++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.below(score, slot, s[p]!, id[p]!)) break;
        s[i] = s[p]!;
        id[i] = id[p]!;
        i = p;
      }
      s[i] = score;
      id[i] = slot;
      return;
    }
    if (!this.below(s[0]!, id[0]!, score, slot)) return;
    // Replace the root (the current k-th best) and sift down.
    const n = this.n;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.below(s[r]!, id[r]!, s[l]!, id[l]!)) c = r;
      if (!this.below(s[c]!, id[c]!, score, slot)) break;
      s[i] = s[c]!;
      id[i] = id[c]!;
      i = c;
    }
    s[i] = score;
    id[i] = slot;
  }

  /** The held items, best first. */
  sorted(): Array<{ slot: number; score: number }> {
    const out: Array<{ slot: number; score: number }> = [];
    for (let i = 0; i < this.n; i++) out.push({ slot: this.slots[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || this.after(a.slot, b.slot));
  }
}

/** Code-unit order of two ids (not locale order: it must not change with the user's language). */
export function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
