/**
 * Exact vector search: the top-k equals a brute-force ranking (WebAssembly SIMD kernel and JS
 * fallback alike, across capacity growth and odd dimensions), deleted vectors are gone, and vectors
 * from another embedding model are refused with a named error.
 */

import { describe, expect, it } from 'vitest';
import { DenseIndex } from '../../src/index/dense';
import { isAppError } from '../../src/core/errors';
import { mulberry32 } from '../../src/core/random';

function unitVectors(n: number, dim: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const x = r() - 0.5;
      v[i * dim + j] = x;
      s += x * x;
    }
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) v[i * dim + j]! *= inv;
  }
  return v;
}

/** Brute force in float64: ids of the k best rows. */
function bruteForce(ids: string[], vectors: Float32Array, dim: number, q: Float32Array, k: number): string[] {
  const scored = ids.map((id, i) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += q[j]! * vectors[i * dim + j]!;
    return { id, s };
  });
  return scored
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.id);
}

const rowOf = (v: Float32Array, dim: number, i: number): Float32Array => v.subarray(i * dim, (i + 1) * dim);

describe.each([
  { simd: true, label: 'WebAssembly SIMD' },
  { simd: false, label: 'JS fallback' },
])('DenseIndex ($label)', ({ simd }) => {
  it.each([384, 37])('top-k equals brute force (dim %i, added in batches across growth)', (dim) => {
    const n = 1500;
    const vectors = unitVectors(n, dim, dim);
    const ids = Array.from({ length: n }, (_, i) => `c${i}`);
    const index = new DenseIndex('m', dim, { simd });
    if (simd) expect(index.backend).toBe('wasm-simd'); // Node 20 has WebAssembly SIMD
    const queries = unitVectors(20, dim, 99);
    // Searching between batches leaves scratch data where later rows go once the block grows.
    for (let i = 0; i < n; i += 250) {
      index.add(ids.slice(i, i + 250), vectors.subarray(i * dim, (i + 250) * dim), dim, 'm');
      const q = rowOf(queries, dim, 0);
      expect(index.search(q, 5, 'm').map((h) => h.chunkId)).toEqual(bruteForce(ids.slice(0, i + 250), vectors, dim, q, 5));
    }
    expect(index.size).toBe(n);
    for (let qi = 0; qi < 20; qi++) {
      const q = rowOf(queries, dim, qi);
      const got = index.search(q, 10, 'm');
      expect(got.map((h) => h.chunkId)).toEqual(bruteForce(ids, vectors, dim, q, 10));
      const expected = got.map((h) => {
        const i = Number(h.chunkId.slice(1));
        let s = 0;
        for (let j = 0; j < dim; j++) s += q[j]! * vectors[i * dim + j]!;
        return s;
      });
      got.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!, 5));
    }
    // A stored vector is its own best match, with cosine 1.
    const self = index.search(rowOf(vectors, dim, 123), 1, 'm')[0]!;
    expect(self.chunkId).toBe('c123');
    expect(self.score).toBeCloseTo(1, 5);
  });

  it('remove() really removes, and the rest still rank as brute force says', () => {
    const dim = 64;
    const n = 400;
    const vectors = unitVectors(n, dim, 5);
    const ids = Array.from({ length: n }, (_, i) => `c${i}`);
    const index = new DenseIndex('m', dim, { simd });
    index.add(ids, vectors, dim, 'm');
    const gone = new Set(ids.filter((_, i) => i % 3 === 0));
    expect(index.remove([...gone, 'unknown'])).toBe(gone.size);
    expect(index.size).toBe(n - gone.size);
    expect(index.has('c0')).toBe(false);
    // Searching with a removed vector does not find it.
    expect(index.search(rowOf(vectors, dim, 0), 5, 'm').map((h) => h.chunkId)).not.toContain('c0');
    const keptIdx = ids.map((_, i) => i).filter((i) => i % 3 !== 0);
    const keptVectors = new Float32Array(keptIdx.flatMap((i) => [...rowOf(vectors, dim, i)]));
    const keptIds = keptIdx.map((i) => ids[i]!);
    const q = unitVectors(1, dim, 77);
    expect(index.search(q, 15, 'm').map((h) => h.chunkId)).toEqual(bruteForce(keptIds, keptVectors, dim, q, 15));
    // Re-adding brings it back.
    index.add(['c0'], rowOf(vectors, dim, 0), dim, 'm');
    expect(index.search(rowOf(vectors, dim, 0), 1, 'm')[0]!.chunkId).toBe('c0');
    expect(index.remove(ids)).toBe(keptIds.length + 1);
    expect(index.size).toBe(0);
    expect(index.search(q, 5, 'm')).toEqual([]);
  });
});

describe('DenseIndex refuses to mix embedding models', () => {
  const index = new DenseIndex('Xenova/bge-small-en-v1.5', 4);
  index.add(['a'], new Float32Array([1, 0, 0, 0]), 4, 'Xenova/bge-small-en-v1.5');

  const mismatch = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(isAppError(e, 'EmbeddingModelMismatch')).toBe(true);
      return (e as Error).message;
    }
    throw new Error('expected EmbeddingModelMismatch');
  };

  it('refuses vectors of another dimension or another model', () => {
    expect(mismatch(() => index.add(['b'], new Float32Array(8), 8, 'Xenova/bge-small-en-v1.5'))).toMatch(/8 dimensions.*4 dimensions/);
    expect(mismatch(() => index.add(['b'], new Float32Array(4), 4, 'Xenova/all-MiniLM-L6-v2'))).toMatch(/all-MiniLM-L6-v2.*bge-small/);
    expect(index.size).toBe(1);
  });

  it('refuses a query from another model, or of the wrong length', () => {
    expect(mismatch(() => index.search(new Float32Array([1, 0, 0, 0]), 1, 'Xenova/all-MiniLM-L6-v2'))).toMatch(
      /question was embedded with/,
    );
    expect(mismatch(() => index.search(new Float32Array(3), 1))).toMatch(/3 dimensions/);
    expect(index.search(new Float32Array([1, 0, 0, 0]), 1, 'Xenova/bge-small-en-v1.5')).toEqual([{ chunkId: 'a', score: 1 }]);
  });
});
