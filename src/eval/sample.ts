/**
 * Which stored passages to generate evaluation questions from. Taking the first N chunks would ask
 * only about the opening of the first documents (titles, tables of contents, abstracts), and a
 * uniform draw over all chunks would ask mostly about the longest document; so the draw goes round
 * the documents, one passage of each per round, each document's passages in a shuffled order. With
 * at least as many passages asked as there are documents, every document that has a passage to
 * offer is represented, and none gets a second before every one has had its first.
 *
 * Deterministic: the same documents and seed give the same passages on every machine (mulberry32,
 * src/core/random.ts), so a generated set can be made again, and tests can pin it. DOM-free and
 * pure: the library worker hands it the collection's document list and a filter on chunk texts.
 */

import { mulberry32 } from '../core/random';

export interface SampleDoc {
  id: string;
  /** Chunks of the document; ordinals 0 … chunkCount − 1. */
  chunkCount: number;
}

export interface PassageRef {
  docId: string;
  /** 0-based chunk position in the document. */
  ordinal: number;
}

/** Fisher–Yates, in place, drawing from `next`. */
function shuffle<T>(xs: T[], next: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/**
 * Up to `count` passages spread over `docs`: the documents in a seeded random order (so with
 * fewer passages than documents, which documents are asked about is drawn too, not the first in
 * the list), each document's chunk ordinals in a seeded random order, then round robin: round r
 * takes the r-th kept passage of every document that still has one. The result is in that order
 * (round by round). `keep` filters passages (e.g. too short to ask about): a refused passage is
 * skipped and the document offers its next one, and a document with none left drops out of the
 * rounds. Fewer than `count` come back only when fewer are kept in all.
 *
 * The order of `docs` does not matter (they are sorted by id first); a seed is any 32-bit integer.
 */
export function samplePassageRefs(
  docs: readonly SampleDoc[],
  count: number,
  seed: number,
  keep: (ref: PassageRef) => boolean = () => true,
): PassageRef[] {
  if (!(count > 0)) return [];
  const next = mulberry32(seed);
  const order = shuffle(
    [...docs].filter((d) => d.chunkCount > 0).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    next,
  );
  const queues = order.map((d) => ({
    docId: d.id,
    ordinals: shuffle(
      Array.from({ length: d.chunkCount }, (_, i) => i),
      next,
    ),
    at: 0,
  }));
  const out: PassageRef[] = [];
  let live = queues;
  while (out.length < count && live.length > 0) {
    for (const q of live) {
      if (out.length >= count) break;
      while (q.at < q.ordinals.length) {
        const ref = { docId: q.docId, ordinal: q.ordinals[q.at++]! };
        if (keep(ref)) {
          out.push(ref);
          break;
        }
      }
    }
    live = live.filter((q) => q.at < q.ordinals.length);
  }
  return out;
}
