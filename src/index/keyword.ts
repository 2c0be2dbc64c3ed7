/**
 * BM25 keyword search over chunks, built from the `KeywordEntry` each chunk got at ingest (see
 * analyze.ts), with incremental add/remove as documents come and go.
 *
 * Why our own typed-array BM25 and not MiniSearch (DESIGN.md's default candidate). Measured on
 * SciFact (5,183 abstracts, 300 test queries; Node 20, 2-core dev machine), MiniSearch 7.2 given
 * the same analysis (its tokenize/processTerm hooks) and the same BM25 (k=1.2, b=0.75, d=0):
 * - quality: nDCG@10 0.658 vs 0.683 here. MiniSearch normalises by a document's number of DISTINCT
 *   terms, not its length, and that costs 2.5 points; it misses the 0.68 bar.
 * - it cannot be built from stored term frequencies: `add()` always tokenises. Feeding it each
 *   entry's terms repeated tf times through a pass-through tokenizer took 1.0 s for 5k entries
 *   (1.45 s from text); `loadJSON` of its own serialised index took 245 ms (5.2 MB of JSON, a second
 *   copy of the index to keep in step in IndexedDB). This index builds from 10k entries in ~150 ms
 *   cold (~100 ms warm), inside the 500 ms page-load budget with room for reading the store.
 * - query: 4.6 ms vs 0.3 ms per SciFact query.
 * MiniSearch's prefix and fuzzy search, which this does not have, are not part of BM25 retrieval.
 *
 * Layout: each chunk gets a slot (0, 1, 2, ...); each term an id, and its posting list (slot, tf) is
 * a run inside two shared typed-array pools. Removal tombstones the slot at once (it can never be
 * returned again) and corrects document frequencies and the average length, so scores equal those
 * of an index built without the chunk; the pools are compacted in one rebuild once tombstones pass
 * a quarter of the slots. Equal scores rank by chunk id, so an index rebuilt from stored entries
 * (in whatever order the store returns them) ranks exactly like the one that grew.
 */

import { analyzeQuery } from './analyze';
import { byId, TopK } from './topk';
import type { KeywordEntry } from './types';

/**
 * BM25 parameters (Robertson/Spärck Jones; the Lucene/Elasticsearch formula with
 * idf = ln(1 + (N − df + 0.5) / (df + 0.5)), which is never negative).
 */
export interface Bm25Params {
  /**
   * Term-frequency saturation: how much the 2nd, 3rd, ... occurrence of a query term in a chunk
   * still adds. 0 = only presence counts; large = nearly linear in tf. Range 0..3; default 1.2
   * (Lucene/Elasticsearch; BEIR's baseline).
   */
  k1: number;
  /**
   * Length normalisation: 0 = a long chunk scores like a short one with the same tf; 1 = tf is
   * fully scaled by chunk length / average length. Range 0..1; default 0.75 (Lucene/Elasticsearch).
   */
  b: number;
}

export const DEFAULT_BM25: Readonly<Bm25Params> = { k1: 1.2, b: 0.75 };

export interface KeywordResult {
  chunkId: string;
  score: number;
}

/**
 * Compaction trigger: rebuild posting lists once tombstoned slots exceed this fraction of all slots.
 * Range 0.05..0.9; default 0.25. Lower = tighter memory and faster scans after deletes, more rebuilds.
 */
const COMPACT_DEAD_FRACTION = 0.25;

/** A growable typed array (capacity doubles), for per-term and per-slot columns. */
function grown<T extends Uint32Array | Uint16Array | Uint8Array>(a: T, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  let cap = Math.max(16, a.length);
  while (cap < need) cap *= 2;
  const b = make(cap);
  b.set(a);
  return b;
}

export class KeywordIndex {
  readonly params: Readonly<Bm25Params>;

  // Terms get dense ids; everything per term lives in typed columns indexed by that id. Posting
  // lists are runs in two shared pools (slot, tf): allocating ~30k small typed arrays per 10k chunks
  // cost more than all the hashing, so a run is a (start, n, cap) window into the pools instead.
  // A run that outgrows its window moves to the pool's end; doubling bounds the holes it leaves to
  // about the size of the live postings, and compaction reclaims them.
  private termId = new Map<string, number>();
  private start = new Uint32Array(0);
  private count = new Uint32Array(0);
  private cap = new Uint32Array(0);
  /** Live chunks containing the term (BM25's df); 0 = the term is gone (until compaction). */
  private df = new Uint32Array(0);
  private poolSlots = new Uint32Array(0);
  private poolTfs = new Uint16Array(0);
  private poolUsed = 0;

  /** slot → entry (null once removed); the entry keeps its terms for df bookkeeping on removal. */
  private entries: Array<KeywordEntry | null> = [];
  private lengths = new Uint32Array(0);
  /** slot → 1 once removed: checked in the scoring loop, where a typed array beats `entries[slot]`. */
  private dead = new Uint8Array(0);
  private slotOf = new Map<string, number>();
  private live = 0;
  private totalLength = 0;
  /** Score accumulator per slot, reused across searches (reset only where touched). */
  private acc = new Float64Array(0);

  constructor(params: Partial<Bm25Params> = {}) {
    this.params = { ...DEFAULT_BM25, ...params };
  }

  /** Builds an index from stored entries (page load): no text is analysed again. */
  static fromEntries(entries: Iterable<KeywordEntry>, params: Partial<Bm25Params> = {}): KeywordIndex {
    const index = new KeywordIndex(params);
    index.add(entries);
    return index;
  }

  /** Chunks currently searchable. */
  get size(): number {
    return this.live;
  }

  has(chunkId: string): boolean {
    return this.slotOf.has(chunkId);
  }

  /** A chunk's distinct analysed terms (from its stored entry), or undefined when it is not indexed. */
  termsOf(chunkId: string): readonly string[] | undefined {
    const slot = this.slotOf.get(chunkId);
    return slot === undefined ? undefined : this.entries[slot]?.terms;
  }

  /** Adds chunks; an entry whose chunkId is already indexed replaces the old one. */
  add(entries: Iterable<KeywordEntry>): void {
    let list = Array.isArray(entries) ? (entries as KeywordEntry[]) : [...entries];
    const replaced = list.filter((e) => this.slotOf.has(e.chunkId)).map((e) => e.chunkId);
    if (replaced.length > 0) this.remove(replaced);
    // The same chunk twice in one batch: the last one wins, as if added one after the other.
    if (new Set(list.map((e) => e.chunkId)).size < list.length) list = [...new Map(list.map((e) => [e.chunkId, e])).values()];
    this.bulkAdd(list);
  }

  /**
   * Two passes so that page load (10k+ entries at once) costs one hash lookup per (chunk, term) and
   * no per-term allocation: pass 1 maps terms to ids and counts what each posting list will
   * receive, then each list that lacks room moves to the end of the pool with at least double its
   * capacity (exact size on first build; doubling keeps one-at-a-time adds amortised O(1)), and
   * pass 2 writes slots and tfs straight into place.
   */
  private bulkAdd(list: readonly KeywordEntry[]): void {
    let pairs = 0;
    for (const e of list) pairs += e.terms.length;
    const target = new Uint32Array(pairs);
    let pending = new Uint32Array(this.termId.size + 1024);
    const touched: number[] = [];
    let j = 0;
    for (const e of list) {
      for (const term of e.terms) {
        let t = this.termId.get(term);
        if (t === undefined) {
          t = this.termId.size;
          this.termId.set(term, t);
          if (t >= pending.length) pending = grown(pending, t + 1, (n) => new Uint32Array(n));
        }
        if (pending[t]++ === 0) touched.push(t);
        target[j++] = t;
      }
    }
    const terms = this.termId.size;
    this.start = grown(this.start, terms, (n) => new Uint32Array(n));
    this.count = grown(this.count, terms, (n) => new Uint32Array(n));
    this.cap = grown(this.cap, terms, (n) => new Uint32Array(n));
    this.df = grown(this.df, terms, (n) => new Uint32Array(n));
    let extra = 0;
    for (const t of touched) {
      const need = this.count[t]! + pending[t]!;
      if (need > this.cap[t]!) extra += this.cap[t] === 0 ? need : Math.max(need, 2 * this.cap[t]!);
    }
    this.poolSlots = grown(this.poolSlots, this.poolUsed + extra, (n) => new Uint32Array(n));
    this.poolTfs = grown(this.poolTfs, this.poolUsed + extra, (n) => new Uint16Array(n));
    for (const t of touched) {
      const n = this.count[t]!;
      const need = n + pending[t]!;
      if (need > this.cap[t]!) {
        const cap = this.cap[t] === 0 ? need : Math.max(need, 2 * this.cap[t]!);
        const from = this.start[t]!;
        const to = this.poolUsed;
        this.poolSlots.copyWithin(to, from, from + n);
        this.poolTfs.copyWithin(to, from, from + n);
        this.start[t] = to;
        this.cap[t] = cap;
        this.poolUsed += cap;
      }
      this.df[t] += pending[t]!;
    }
    this.lengths = grown(this.lengths, this.entries.length + list.length, (n) => new Uint32Array(n));
    this.dead = grown(this.dead, this.entries.length + list.length, (n) => new Uint8Array(n));
    const { start, count, poolSlots, poolTfs, lengths } = this;
    j = 0;
    for (const e of list) {
      const slot = this.entries.length;
      this.entries.push(e);
      this.slotOf.set(e.chunkId, slot);
      lengths[slot] = e.length;
      this.totalLength += e.length;
      const tf = e.tf;
      for (let i = 0; i < tf.length; i++) {
        const t = target[j++]!;
        const at = start[t]! + count[t]!++;
        poolSlots[at] = slot;
        poolTfs[at] = tf[i]!;
      }
    }
    this.live += list.length;
  }

  /** Removes chunks (unknown ids are ignored); returns how many were removed. */
  remove(chunkIds: Iterable<string>): number {
    let removed = 0;
    for (const id of chunkIds) {
      const slot = this.slotOf.get(id);
      if (slot === undefined) continue;
      const e = this.entries[slot]!;
      this.entries[slot] = null;
      this.slotOf.delete(id);
      this.live--;
      this.totalLength -= e.length;
      this.dead[slot] = 1;
      for (const term of e.terms) this.df[this.termId.get(term)!]--;
      removed++;
    }
    const dead = this.entries.length - this.live;
    if (dead > 0 && dead >= COMPACT_DEAD_FRACTION * this.entries.length) this.compact();
    return removed;
  }

  /** Rebuilds slots and postings from the live entries, in their original order. */
  private compact(): void {
    const live = this.entries.filter((e): e is KeywordEntry => e !== null);
    this.termId = new Map();
    this.start = new Uint32Array(0);
    this.count = new Uint32Array(0);
    this.cap = new Uint32Array(0);
    this.df = new Uint32Array(0);
    this.poolSlots = new Uint32Array(0);
    this.poolTfs = new Uint16Array(0);
    this.poolUsed = 0;
    this.entries = [];
    this.lengths = new Uint32Array(0);
    this.dead = new Uint8Array(0);
    this.slotOf = new Map();
    this.live = 0;
    this.totalLength = 0;
    this.bulkAdd(live);
  }

  /** The best `k` chunks for a query text, analysed as chunks were at ingest, less its question words (analyzeQuery). */
  search(query: string, k: number): KeywordResult[] {
    return this.searchTerms(analyzeQuery(query), k);
  }

  /**
   * The best `k` chunks for analysed query terms. A term repeated in the query counts once per
   * occurrence, as in Lucene's boolean query. Terms no chunk contains are skipped.
   */
  searchTerms(terms: readonly string[], k: number): KeywordResult[] {
    if (k <= 0 || this.live === 0) return [];
    const { k1, b } = this.params;
    const n = this.live;
    const avgdl = this.totalLength / n || 1;
    const slotCount = this.entries.length;
    if (this.acc.length < slotCount) this.acc = new Float64Array(Math.max(slotCount, this.acc.length * 2));
    const acc = this.acc;
    const { entries, lengths, dead, poolSlots, poolTfs } = this;
    // The length part of BM25's denominator, k1 · (1 − b + b · len / avgdl), split so the loop
    // does one multiply-add per posting.
    const kb = k1 * (1 - b);
    const kl = (k1 * b) / avgdl;
    const touched: number[] = [];
    for (const term of terms) {
      const t = this.termId.get(term);
      if (t === undefined) continue;
      const df = this.df[t]!;
      if (df === 0) continue;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      const end = this.start[t]! + this.count[t]!;
      for (let i = this.start[t]!; i < end; i++) {
        const slot = poolSlots[i]!;
        if (dead[slot] === 1) continue;
        const f = poolTfs[i]!;
        const s = (idf * f * (k1 + 1)) / (f + kb + kl * lengths[slot]!);
        if (acc[slot] === 0) touched.push(slot);
        acc[slot] += s;
      }
    }
    const top = new TopK(k, (x, y) => byId(entries[x]!.chunkId, entries[y]!.chunkId));
    for (const slot of touched) {
      top.push(acc[slot]!, slot);
      acc[slot] = 0;
    }
    return top.sorted().map(({ slot, score }) => ({ chunkId: entries[slot]!.chunkId, score }));
  }
}
