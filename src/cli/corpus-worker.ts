/**
 * One corpus-report worker thread: parses the files it is sent with the app's own registry and
 * reports each outcome. A file that hangs is handled by the parent, which terminates this thread.
 */

import { parentPort } from 'node:worker_threads';
import { loadPdfjs } from '../ingest/parsers/pdf';
import { configureOcrForNode, configurePdfForNode } from './node-env';
import type { OcrOptions } from '../ingest/ocr';
import { parseFile } from '../ingest/registry';
import { AppError, errorText } from '../core/errors';

export interface CorpusJob {
  id: number;
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
  maxBytes: number;
  /** Text recognition for scanned pages and images, as in the app (absent: off). */
  ocr?: OcrOptions;
}

/** What OCR did to a file: pages read (indexed or left out), their time and mean confidence. */
export interface CorpusOcr {
  pages: number;
  leftOut: number;
  ms: number;
  confidence: number;
}

export type CorpusOutcome =
  | { id: number; kind: 'parsed'; pages: number; chars: number; warnings: number; ms: number; ocr?: CorpusOcr }
  | { id: number; kind: 'error'; error: string; message: string; ms: number }
  | { id: number; kind: 'crash'; message: string; stack: string; ms: number };

configurePdfForNode();
configureOcrForNode();

const port = parentPort;
if (!port) throw new Error('corpus-worker.ts runs as a worker thread of src/cli/corpus.ts');

port.on('message', (job: CorpusJob) => {
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  parseFile(job.bytes, { name: job.name, maxBytes: job.maxBytes, ...(job.ocr ? { ocr: job.ocr } : {}) }).then(
    (doc) =>
      port.postMessage({
        id: job.id,
        kind: 'parsed',
        pages: doc.pageCount ?? 0,
        chars: doc.text.length,
        warnings: doc.warnings.length,
        ms: ms(),
        ...(doc.ocr?.length
          ? {
              ocr: {
                pages: doc.ocr.length,
                leftOut: doc.ocr.filter((p) => !p.indexed).length,
                ms: Math.round(doc.ocr.reduce((s, p) => s + p.ms, 0)),
                confidence: doc.ocr.reduce((s, p) => s + p.confidence, 0) / doc.ocr.length,
              },
            }
          : {}),
      }),
    (e: unknown) =>
      port.postMessage(
        e instanceof AppError
          ? { id: job.id, kind: 'error', error: e.name, message: e.message, ms: ms() }
          : { id: job.id, kind: 'crash', message: errorText(e), stack: e instanceof Error ? (e.stack ?? '') : '', ms: ms() },
      ),
  );
});
// Load pdf.js before taking work, so its one-time start-up is not billed to the first PDF.
void loadPdfjs().then(() => port.postMessage({ ready: true }));
