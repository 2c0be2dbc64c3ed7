/**
 * Which documents still need vectors of the open model: a pure function of the document list, so
 * the page derives it from the snapshot it already holds (no second round trip on every open) and
 * the library and the CLIs use the very same rule.
 */

import type { LibraryDoc, PendingEmbedding } from './protocol';

/**
 * Documents without vectors of the open model, in list order (oldest first): new ones, ones a
 * reload interrupted, or all of them after the embedding model changed. Counts only; the library
 * worker reads the texts when their turn comes.
 */
export function pendingEmbeddings(docs: Iterable<LibraryDoc>): PendingEmbedding[] {
  const out: PendingEmbedding[] = [];
  for (const d of docs) {
    if (d.embedded || d.chunkCount === 0) continue;
    out.push({ docId: d.id, name: d.name, chunks: d.chunkCount, otherModels: d.otherModels });
  }
  return out;
}
