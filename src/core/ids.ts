/**
 * Chunk ids: how every layer names one chunk (the store keys, both indexes, bundles, the trace).
 *
 * A chunk id is its document's id, ':', and the chunk's 0-based ordinal in that document. The app's
 * document ids are SHA-256 hex content hashes, but the eval CLIs chunk BEIR corpora whose ids are
 * whatever the data set chose and may hold ':' themselves; the ordinal never does, so an id is
 * split at its last ':'. Built and split only here, never by hand.
 */

import { AppError } from './errors';

export interface ChunkKey {
  docId: string;
  /** 0-based position of the chunk within its document. */
  ordinal: number;
}

/** The id of chunk `ordinal` of document `docId`. */
export function chunkId(docId: string, ordinal: number): string {
  return `${docId}:${ordinal}`;
}

/**
 * The document id and ordinal of a chunk id, or null when `id` was not made by `chunkId` (no
 * document id before the last ':', or an ordinal that is not a whole number ≥ 0).
 */
export function tryParseChunkId(id: string): ChunkKey | null {
  const colon = id.lastIndexOf(':');
  const tail = id.slice(colon + 1);
  const ordinal = Number(tail);
  return colon > 0 && /^\d+$/.test(tail) && Number.isSafeInteger(ordinal) ? { docId: id.slice(0, colon), ordinal } : null;
}

/** The document id and ordinal of a chunk id made by `chunkId`; throws `InvalidRequest` for any other string. */
export function parseChunkId(id: string): ChunkKey {
  const key = tryParseChunkId(id);
  if (!key) throw new AppError('InvalidRequest', `“${id}” is not a chunk id (a document id, ':', and a position).`);
  return key;
}
