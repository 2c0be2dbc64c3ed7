/**
 * The one seeded pseudo-random generator: mulberry32 (Tommy Ettinger's 32-bit generator, public
 * domain). Tiny and fast, and it uses only 32-bit integer operations, so the same seed gives the
 * same numbers on every JavaScript engine and machine: benchmark vectors, synthetic test data and
 * the fixture models' weights are reproducible everywhere. Not for anything secret (use
 * crypto.getRandomValues).
 */

/** A mulberry32 stream; `state` is all of it, so a generator can be forked from where it stands. */
export class Mulberry32 {
  protected state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** A function returning the stream's next uniform float in [0, 1) on each call. */
export function mulberry32(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}
