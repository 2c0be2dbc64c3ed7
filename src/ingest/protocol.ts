/**
 * The ingest worker's protocol: a dropped file in, parsed, chunked and stored in the library out.
 * The parsed document goes from this worker to the library worker through a port the page hands
 * over (`connectLibrary`); the page gets progress and a summary, never the document's text.
 */

import type { Method } from '../core/rpc';
import type { Progress } from '../core/progress';
import type { ChunkOptions } from './chunker';
import type { IngestedDocument } from './ingest';
import type { DocFormat } from './types';
import type { OcrOptions } from './ocr';

export interface IngestRequest {
  /** The dropped file itself: structured-cloned by reference, so the page never reads its bytes. */
  file: Blob;
  name: string;
  /** For an encrypted PDF, when the user typed one. */
  password?: string;
  maxBytes: number;
  chunking: ChunkOptions;
  /** Text recognition for scanned pages and images; absent: off. */
  ocr?: OcrOptions;
  /** Content hashes already in the library: such a file is reported as a duplicate without parsing. */
  knownIds: string[];
  /**
   * 'add': a new document (its file kept as the original). 'replace': the same file chunked again
   * for a stored document (Store.replaceDocument), which keeps its original and loses its vectors.
   */
  store: 'add' | 'replace';
  /**
   * 'add': the collection to store into, the one the file was dropped into, even if the user opens
   * another meanwhile. Omitted: the collection the library has open.
   */
  collectionId?: string;
}

/** What the page learns of a stored document: enough for its row, never its text. */
export interface StoredSummary {
  docId: string;
  name: string;
  format: DocFormat;
  pages?: number;
  chars: number;
  chunks: number;
  warnings: string[];
}

export type IngestResult =
  | { kind: 'duplicate'; id: string }
  /**
   * added / replaced; duplicate: stored meanwhile (another tab, or the same bytes twice in one drop);
   * missing: a replaced document was deleted meanwhile, so nothing was stored.
   */
  | { kind: 'stored'; status: 'added' | 'duplicate' | 'replaced' | 'missing'; summary: StoredSummary };

export type IngestProtocol = {
  /** The library worker's port: parsed documents are stored through it (required before `ingest`). */
  connectLibrary: Method<{ port: MessagePort }, null>;
  ingest: Method<IngestRequest, IngestResult, Progress>;
};

/**
 * What the ingest worker calls on the library worker's port: the library protocol answers these
 * (src/library/protocol.ts checks that it does), declared here so ingest never imports library.
 */
export type IngestSink = {
  add: Method<{ doc: IngestedDocument; original?: Blob; collectionId?: string }, { status: 'added' | 'duplicate' }>;
  replace: Method<{ doc: IngestedDocument }, { id: string } | null>;
};
