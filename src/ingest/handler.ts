/** The ingest worker's handlers (a plain module, so Node tests drive it through a MessageChannel). */

import type { Handlers } from '../core/rpc';
import type { IngestProtocol } from './protocol';
import { ingestFile } from './ingest';

export function ingestHandlers(): Handlers<IngestProtocol> {
  return {
    ingest: (req, ctx) =>
      ingestFile(req.file, {
        name: req.name,
        password: req.password,
        maxBytes: req.maxBytes,
        chunking: req.chunking,
        knownIds: new Set(req.knownIds),
        signal: ctx.signal,
        onProgress: (p) => ctx.emit(p),
      }),
  };
}
