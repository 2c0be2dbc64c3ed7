/**
 * Exact dense (vector) search: cosine similarity of unit vectors, i.e. their dot product, over every
 * stored chunk, top-k by a bounded heap. Exact rather than approximate (HNSW, IVF) because a
 * browser tab holds at most ~10^5 chunks, where a full scan is already fast enough and never misses.
 *
 * Storage is one contiguous block, row-major, rows zero-padded to a multiple of 16 floats, followed
 * by a scratch area for the query and the scores; capacity doubles as rows arrive, and removal moves
 * the last row into the hole, so rows stay contiguous and the scan has no tombstones to skip. Where
 * WebAssembly SIMD exists the block is a WebAssembly.Memory scanned by the kernel in simd.ts;
 * elsewhere it is a plain Float32Array scanned by an unrolled JS loop. Same results either way
 * (up to float rounding in the last bits).
 *
 * Every index holds the vectors of ONE embedding model: vectors carry a model id and a dimension,
 * and adding or querying with another model's vectors is refused with `EmbeddingModelMismatch`,
 * because cosine between two models' spaces is meaningless and would silently rank garbage.
 */

import { AppError } from '../core/errors';
import { dotsKernel, SIMD_LANES_PER_STEP, type DotsKernel } from './simd';
import { byId, TopK } from './topk';

export interface DenseResult {
  chunkId: string;
  /** Cosine similarity (dot product of unit vectors), in [-1, 1]. */
  score: number;
}

export interface DenseIndexOptions {
  /**
   * Use the WebAssembly SIMD kernel when the runtime has it. Default true; false forces the JS
   * loop (tests compare the two; it measured ~6× slower).
   */
  simd?: boolean;
}

/** Rows reserved by the first add. Range 1..1e6; default 256. Doubling takes it from there. */
const INITIAL_ROWS = 256;
const BYTES = 4;
const PAGE = 65536;

export class DenseIndex {
  /** Floats per stored row: `dim` rounded up to the kernel's step (zero padding). */
  private readonly stride: number;
  private readonly memory: WebAssembly.Memory | null = null;
  private readonly kernel: DotsKernel | null = null;
  /** View of the whole block: rows [0, cap·stride), then query (stride), then scores (cap). */
  private buf = new Float32Array(0);
  private cap = 0;
  private ids: string[] = [];
  private slotOf = new Map<string, number>();

  constructor(
    /** The embedding model every vector in this index comes from (its id, e.g. 'Xenova/bge-small-en-v1.5'). */
    readonly model: string,
    /** Vector length of that model. */
    readonly dim: number,
    opts: DenseIndexOptions = {},
  ) {
    if (!Number.isInteger(dim) || dim <= 0)
      throw new AppError('InvalidRequest', `A dense index needs a positive vector length, not ${dim}.`);
    this.stride = Math.ceil(dim / SIMD_LANES_PER_STEP) * SIMD_LANES_PER_STEP;
    if (opts.simd !== false && typeof WebAssembly === 'object') {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const kernel = dotsKernel(memory);
      if (kernel) {
        this.memory = memory;
        this.kernel = kernel;
      }
    }
  }

  /** Which inner loop scans the vectors: the WebAssembly SIMD kernel or the JS fallback. */
  get backend(): 'wasm-simd' | 'js' {
    return this.kernel ? 'wasm-simd' : 'js';
  }

  /** Vectors currently searchable. */
  get size(): number {
    return this.ids.length;
  }

  has(chunkId: string): boolean {
    return this.slotOf.has(chunkId);
  }

  private check(what: 'vectors' | 'query', dim: number, model: string | undefined): void {
    if (dim === this.dim && (model === undefined || model === this.model)) return;
    const theirs = `${model ?? 'an unnamed model'} (${dim} dimensions)`;
    const ours = `${this.model} (${this.dim} dimensions)`;
    throw new AppError(
      'EmbeddingModelMismatch',
      what === 'query'
        ? `The question was embedded with ${theirs}, but the library's vectors come from ${ours}. Search with ${this.model}, or re-embed the library with the new model.`
        : `These vectors come from ${theirs}, but this library's vectors come from ${ours}; one library cannot mix embedding models. Re-embed the library with one model.`,
      { indexModel: this.model, indexDim: this.dim, model: model ?? null, dim },
    );
  }

  /**
   * Adds `ids.length` vectors, row-major in `vectors` (length ids.length × dim), all from `model`
   * (checked when given). An id already present is overwritten in place.
   */
  add(ids: readonly string[], vectors: Float32Array, dim: number, model?: string): void {
    this.check('vectors', dim, model);
    if (vectors.length !== ids.length * dim) {
      throw new AppError('InvalidRequest', `Expected ${ids.length} × ${dim} = ${ids.length * dim} numbers, got ${vectors.length}.`);
    }
    this.reserve(this.ids.length + ids.length);
    const { buf, stride } = this;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      let slot = this.slotOf.get(id);
      if (slot === undefined) {
        slot = this.ids.length;
        this.ids.push(id);
        this.slotOf.set(id, slot);
      }
      buf.set(vectors.subarray(i * dim, (i + 1) * dim), slot * stride);
      // The kernel reads padding too. The query's padding is zeroed at each search, which already
      // cancels it, but a grown block may hold old scratch there, and 0 × NaN is not 0.
      if (stride > dim) buf.fill(0, slot * stride + dim, (slot + 1) * stride);
    }
  }

  /** Removes vectors (unknown ids are ignored); returns how many were removed. */
  remove(chunkIds: Iterable<string>): number {
    let removed = 0;
    const { buf, stride } = this;
    for (const id of chunkIds) {
      const slot = this.slotOf.get(id);
      if (slot === undefined) continue;
      const last = this.ids.length - 1;
      if (slot !== last) {
        buf.copyWithin(slot * stride, last * stride, (last + 1) * stride);
        const moved = this.ids[last]!;
        this.ids[slot] = moved;
        this.slotOf.set(moved, slot);
      }
      this.ids.pop();
      this.slotOf.delete(id);
      removed++;
    }
    return removed;
  }

  /** Float offsets of the scratch areas for the current capacity. */
  private get queryAt(): number {
    return this.cap * this.stride;
  }
  private get scoresAt(): number {
    return this.cap * this.stride + this.stride;
  }

  private reserve(rows: number): void {
    if (rows <= this.cap) return;
    let cap = Math.max(this.cap, INITIAL_ROWS);
    while (cap < rows) cap *= 2;
    const floats = cap * this.stride + this.stride + cap;
    if (this.memory) {
      const pages = Math.ceil((floats * BYTES) / PAGE) - this.memory.buffer.byteLength / PAGE;
      if (pages > 0) this.memory.grow(pages); // rows stay where they were, at the start of the block
      this.buf = new Float32Array(this.memory.buffer);
    } else {
      const next = new Float32Array(floats);
      next.set(this.buf.subarray(0, this.ids.length * this.stride));
      this.buf = next;
    }
    this.cap = cap;
  }

  /**
   * The `k` vectors most similar to `query` (a unit vector from `model`, checked when given; the
   * retriever always passes it). Equal scores rank by chunk id.
   */
  search(query: Float32Array, k: number, model?: string): DenseResult[] {
    this.check('query', query.length, model);
    const n = this.ids.length;
    if (k <= 0 || n === 0) return [];
    const { buf, stride, dim } = this;
    const q = this.queryAt;
    const out = this.scoresAt;
    buf.fill(0, q + dim, q + stride);
    buf.set(query, q);
    if (this.kernel) this.kernel(q * BYTES, 0, n, stride * BYTES, out * BYTES);
    else jsDots(query, buf, n, dim, stride, out);
    const ids = this.ids;
    const top = new TopK(k, (x, y) => byId(ids[x]!, ids[y]!));
    for (let i = 0; i < n; i++) {
      const s = buf[out + i]!;
      if (s >= top.threshold) top.push(s, i);
    }
    return top.sorted().map(({ slot, score }) => ({ chunkId: ids[slot]!, score }));
  }
}

/**
 * The fallback scan: four independent accumulators (so the adds pipeline instead of waiting on
 * each other) measured ~2.5× faster than the naive loop; unrolling to 8 gained nothing more.
 */
function jsDots(q: Float32Array, buf: Float32Array, n: number, dim: number, stride: number, out: number): void {
  const d4 = dim - (dim % 4);
  for (let r = 0; r < n; r++) {
    const base = r * stride;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < d4; j += 4) {
      const x = base + j;
      s0 += q[j]! * buf[x]!;
      s1 += q[j + 1]! * buf[x + 1]!;
      s2 += q[j + 2]! * buf[x + 2]!;
      s3 += q[j + 3]! * buf[x + 3]!;
    }
    for (let j = d4; j < dim; j++) s0 += q[j]! * buf[base + j]!;
    buf[out + r] = s0 + s1 + s2 + s3;
  }
}
