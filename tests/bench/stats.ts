/**
 * Bench helpers shared by every section (Node and the browser bench page alike, so no Node
 * imports): random unit vectors from the seeded generator (src/core/random.ts), medians, timing,
 * recall and the text table.
 */

import { mulberry32 } from '../../src/core/random';

/**
 * `count × dim` row-major unit vectors, uniform on the sphere (Gaussian coordinates, normalised).
 * Uniform random vectors have no cluster structure: the worst case for graph indexes (HNSW), and a
 * neutral one for exact search, whose cost does not depend on the data.
 */
export function randomUnitVectors(count: number, dim: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) {
    const row = out.subarray(r * dim, (r + 1) * dim);
    let norm = 0;
    for (let j = 0; j < dim; j += 2) {
      // Box–Muller: two Gaussians per pair of uniforms (1 - u keeps log away from 0).
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      row[j] = radius * Math.cos(angle);
      if (j + 1 < dim) row[j + 1] = radius * Math.sin(angle);
    }
    for (let j = 0; j < dim; j++) norm += row[j]! * row[j]!;
    const scale = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) row[j]! *= scale;
  }
  return out;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Milliseconds `fn` took, and what it returned. */
export async function timed<T>(fn: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Fraction of `truth` found in `got` (recall@k with k = truth.length). */
export function recall(got: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (truth.length === 0) return 1;
  const want = new Set(Array.from(truth));
  let hit = 0;
  for (let i = 0; i < got.length; i++) if (want.has(got[i]!)) hit++;
  return hit / truth.length;
}

/** Rounds for the JSON line to `digits` significant figures: no float noise, tiny values kept. */
export function round(x: number, digits = 5): number {
  return Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(digits)) : x;
}

/** A number for the table: 3 significant figures, thousands kept whole. */
export function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

/** Left-aligned label columns (the first `labels`), right-aligned numbers, two spaces between columns. */
export function table(head: string[], rows: string[][], labels = 1): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < labels ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
