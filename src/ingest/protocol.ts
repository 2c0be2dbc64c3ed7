/** The ingest worker's protocol: a dropped file in, a parsed and chunked document (or a named error) out. */

import type { Method } from '../core/rpc';
import type { Progress } from '../core/progress';
import type { ChunkOptions } from './chunker';
import type { IngestedDocument } from './ingest';

export interface IngestRequest {
  /** The dropped file itself: structured-cloned by reference, so the page never reads its bytes. */
  file: Blob;
  name: string;
  /** For an encrypted PDF, when the user typed one. */
  password?: string;
  maxBytes: number;
  chunking: ChunkOptions;
  /** Content hashes already in the library: such a file is reported as a duplicate without parsing. */
  knownIds: string[];
}

export type IngestResult = { kind: 'duplicate'; id: string } | { kind: 'parsed'; doc: IngestedDocument };

export type IngestProtocol = {
  ingest: Method<IngestRequest, IngestResult, Progress>;
};
