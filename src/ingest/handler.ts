/**
 * The ingest worker's handlers (a plain module, so Node tests drive it through a MessageChannel):
 * parse and chunk a file, then store it in the library worker through the port the page connected,
 * so the parsed text goes worker to worker and the page receives only progress and a summary.
 */

import { AppError } from '../core/errors';
import { portEndpoint, RpcClient, type Handlers } from '../core/rpc';
import type { IngestProtocol, IngestResult, IngestSink, StoredSummary } from './protocol';
import { ingestFile, type IngestedDocument } from './ingest';

function summary(doc: IngestedDocument): StoredSummary {
  const s: StoredSummary = {
    docId: doc.id,
    name: doc.name,
    format: doc.format,
    chars: doc.text.length,
    chunks: doc.chunks.length,
    warnings: doc.warnings,
  };
  if (doc.pageCount !== undefined) s.pages = doc.pageCount;
  return s;
}

export function ingestHandlers(): Handlers<IngestProtocol> {
  let library: RpcClient<IngestSink> | null = null;
  return {
    connectLibrary: (req) => {
      library = new RpcClient<IngestSink>(portEndpoint(req.port));
      return null;
    },
    ingest: async (req, ctx): Promise<IngestResult> => {
      const sink = library;
      if (!sink) throw new AppError('InvalidRequest', 'The document reader is not connected to the library. Reload the page.');
      const parsed = await ingestFile(req.file, {
        name: req.name,
        password: req.password,
        maxBytes: req.maxBytes,
        chunking: req.chunking,
        ocr: req.ocr,
        knownIds: new Set(req.knownIds),
        signal: ctx.signal,
        onProgress: (p) => ctx.emit(p),
      });
      if (parsed.kind === 'duplicate') return parsed;
      const { doc } = parsed;
      // Storing: the page stops the file's parse timer here (a large library write is not a stuck parser).
      ctx.emit({ stage: 'index', unit: 'chunks', loaded: 0, total: doc.chunks.length, done: false, item: doc.name });
      if (req.store === 'replace') {
        const replaced = await sink.call('replace', { doc });
        return { kind: 'stored', status: replaced ? 'replaced' : 'missing', summary: summary(doc) };
      }
      const { status } = await sink.call('add', {
        doc,
        original: req.file,
        ...(req.collectionId !== undefined ? { collectionId: req.collectionId } : {}),
      });
      return { kind: 'stored', status, summary: summary(doc) };
    },
  };
}
