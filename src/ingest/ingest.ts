/**
 * One file, start to finish: size check, content hash (the document id, so the same bytes are
 * never added twice), parse, chunk. Runs in the ingest worker; DOM-free.
 */

import { AppError, throwIfCancelled } from '../protocol/errors';
import type { Progress } from '../protocol/progress';
import { chunkDocument, type ChunkOptions } from './chunker';
import { chunkContext, documentLabel } from './context';
import { documentProfile, type DocumentProfile } from '../index/documents';
import { parseFile } from './registry';
import { formatBytes } from './sizes';
import type { Chunk, ParsedDocument } from './types';

export interface IngestedDocument extends ParsedDocument {
  /** SHA-256 of the file's bytes, hex: the document id and the de-duplication key. */
  id: string;
  name: string;
  size: number;
  chunks: Chunk[];
  /** What the document says about itself, for document-aware ranking (src/index/documents.ts). */
  profile: DocumentProfile;
  parseMs: number;
}

export async function contentId(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface IngestOptions {
  name: string;
  password?: string | undefined;
  maxBytes: number;
  chunking: ChunkOptions;
  knownIds?: ReadonlySet<string>;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export async function ingestFile(
  file: Blob,
  opts: IngestOptions,
): Promise<{ kind: 'duplicate'; id: string } | { kind: 'parsed'; doc: IngestedDocument }> {
  const started = performance.now();
  if (file.size > opts.maxBytes) {
    throw new AppError(
      'FileTooLarge',
      `“${opts.name}” is ${formatBytes(file.size)}, over the ${formatBytes(opts.maxBytes)} limit. Split it, or raise the limit in Settings → Documents.`,
      { file: opts.name, size: file.size, limit: opts.maxBytes },
    );
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  throwIfCancelled(opts.signal);
  const id = await contentId(bytes);
  if (opts.knownIds?.has(id)) return { kind: 'duplicate', id };
  const parsed = await parseFile(bytes, {
    name: opts.name,
    maxBytes: opts.maxBytes,
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  throwIfCancelled(opts.signal);
  const chunks = chunkDocument(parsed, id, opts.chunking);
  const label = documentLabel(opts.name, parsed.title, parsed.runningTitle);
  for (const c of chunks) c.context = chunkContext(label, c.headingPath);
  const profile = documentProfile(label, parsed.text, { openingEnd: parsed.pages?.[0]?.end, headings: parsed.headings });
  return {
    kind: 'parsed',
    doc: { ...parsed, id, name: opts.name, size: file.size, chunks, profile, parseMs: Math.round(performance.now() - started) },
  };
}
