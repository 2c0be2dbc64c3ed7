/**
 * One file, start to finish: size check, content hash (the document id, so the same bytes are
 * never added twice), parse, chunk. Runs in the ingest worker; DOM-free.
 */

import type { OcrOptions } from './ocr';
import { throwIfCancelled } from '../core/errors';
import { sha256Hex } from '../core/hash';
import type { Progress } from '../core/progress';
import { chunkDocument, type ChunkOptions } from './chunker';
import { chunkContext, documentLabel } from './context';
import { documentProfile, type DocumentProfile } from '../index/documents';
import { checkSize, parseFile } from './registry';
import type { Chunk, IndexingStamp, ParsedDocument } from './types';

/**
 * Bump when parsing, chunking, chunk context, document profiles or keyword analysis change what a
 * file becomes: stored documents then show as made by an older version and can be rebuilt. 1: before
 * stamps were recorded (layout headings, context, profiles came with 2).
 */
export const INDEXING_VERSION = 2;

/** The stamp new documents get under these chunk settings. */
export function indexingStamp(chunking: ChunkOptions): IndexingStamp {
  return { chunkTokens: chunking.chunkTokens, overlapTokens: chunking.overlapTokens, version: INDEXING_VERSION };
}

/** Whether a stored document was made as a new drop would be now (a missing stamp is an older version). */
export function sameIndexing(a: IndexingStamp | undefined, b: IndexingStamp): boolean {
  return a !== undefined && a.version === b.version && a.chunkTokens === b.chunkTokens && a.overlapTokens === b.overlapTokens;
}

export interface IngestedDocument extends ParsedDocument {
  /** SHA-256 of the file's bytes, hex: the document id and the de-duplication key. */
  id: string;
  name: string;
  size: number;
  chunks: Chunk[];
  /** What the document says about itself, for document-aware ranking (src/index/documents.ts). */
  profile: DocumentProfile;
  /** How its chunks were made. */
  indexing: IndexingStamp;
  parseMs: number;
}

export interface IngestOptions {
  name: string;
  password?: string | undefined;
  maxBytes: number;
  chunking: ChunkOptions;
  /** Text recognition for scanned pages and images; absent: off. */
  ocr?: OcrOptions | undefined;
  knownIds?: ReadonlySet<string>;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export async function ingestFile(
  file: Blob,
  opts: IngestOptions,
): Promise<{ kind: 'duplicate'; id: string } | { kind: 'parsed'; doc: IngestedDocument }> {
  const started = performance.now();
  checkSize(opts.name, file.size, opts.maxBytes);
  const bytes = new Uint8Array(await file.arrayBuffer());
  throwIfCancelled(opts.signal);
  const id = await sha256Hex(bytes);
  if (opts.knownIds?.has(id)) return { kind: 'duplicate', id };
  const parsed = await parseFile(bytes, {
    name: opts.name,
    maxBytes: opts.maxBytes,
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.ocr ? { ocr: opts.ocr } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  throwIfCancelled(opts.signal);
  const chunks = chunkDocument(parsed, id, opts.chunking);
  const label = documentLabel(opts.name, parsed.title, parsed.runningTitle);
  for (const c of chunks) c.context = chunkContext(label, c.headingPath);
  markOcr(chunks, parsed);
  // The opening is the first page with text (a blank or picture-only cover has none).
  const firstPage = parsed.pages?.find((p) => p.end > p.start);
  const profile = documentProfile(label, parsed.text, { openingEnd: firstPage?.end, headings: parsed.headings });
  return {
    kind: 'parsed',
    doc: {
      ...parsed,
      id,
      name: opts.name,
      size: file.size,
      chunks,
      profile,
      indexing: indexingStamp(opts.chunking),
      parseMs: Math.round(performance.now() - started),
    },
  };
}

/** Marks chunks whose pages were read by OCR with those pages' mean confidence (Chunk.ocr). */
function markOcr(chunks: Chunk[], parsed: ParsedDocument): void {
  const read = new Map((parsed.ocr ?? []).filter((p) => p.indexed).map((p) => [p.page, p.confidence]));
  if (read.size === 0) return;
  for (const c of chunks) {
    const conf = (c.pages ?? []).flatMap((n) => (read.has(n) ? [read.get(n)!] : []));
    if (conf.length > 0) c.ocr = { confidence: conf.reduce((s, x) => s + x, 0) / conf.length };
  }
}
