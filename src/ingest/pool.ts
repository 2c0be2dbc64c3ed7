/**
 * Runs a drop's files through a few ingest workers, so one slow or broken file never holds up the
 * rest: each file gets a time limit, and a worker whose file overran it is terminated and replaced
 * (a parser stuck in a loop cannot be interrupted any other way). Cancel stops everything at once
 * the same way. Workers are spawned through an injected function (which also connects each to the
 * library worker it stores into), so Node tests can run the pool.
 *
 * The time limit and Cancel cover reading the file (parse and chunk). Once the worker says it is
 * storing the result (an `index` progress report), the file is let finish: the write is already on
 * its way to the library worker, so abandoning it would report a failure for a document that gets
 * stored (and never queue it for embedding). When the library worker itself is gone, `fail` ends
 * every file in hand, storing or not, with that error.
 */

import type { OcrOptions } from './ocr';
import { AppError, serializeError, type SerializedError } from '../core/errors';
import type { Progress } from '../core/progress';
import type { Supervised } from '../core/rpc';
import type { IngestResult } from './protocol';
import type { ChunkOptions } from './chunker';
import type { WorkerIngester } from './client';

export interface PoolJob {
  key: string;
  file: Blob;
  name: string;
  password?: string;
  /** The collection it was dropped into (see IngestRequest). */
  collectionId?: string;
  /** Stops this file only (its worker is replaced); the rest of the drop goes on. */
  signal?: AbortSignal;
}

export interface PoolOptions {
  /** Workers parsing at once. Default 2: PDFs are CPU-bound and the page needs a core too. */
  concurrency: number;
  /** Per-file limit, ms (Settings → ingest.parseTimeoutSeconds). */
  timeoutMs: number;
  maxBytes: number;
  chunking: ChunkOptions;
  /** Text recognition for scanned pages and images; absent: off. */
  ocr?: OcrOptions | undefined;
  /** Ids already in the library, read when each file starts (earlier files of the same drop count). */
  knownIds: () => string[];
  /** New documents ('add') or stored ones chunked again ('replace'); see IngestRequest. */
  store: 'add' | 'replace';
}

export interface PoolEvents {
  start(job: PoolJob): void;
  progress(job: PoolJob, p: Progress): void;
  done(job: PoolJob, result: IngestResult): void;
  fail(job: PoolJob, error: SerializedError): void;
}

/** How long one OCR page may go without progress before the file is given up: OCR's own page limit, and a margin. */
function ocrWatchMs(opts: PoolOptions): number {
  return Math.max(opts.timeoutMs, (opts.ocr?.pageTimeoutMs ?? 0) + 10_000);
}

export class IngestPool {
  private readonly slots: Array<Supervised<WorkerIngester> | null> = [];
  /** Ends the files in hand at once (see `fail`). */
  private readonly stops = new Set<(error: AppError) => void>();

  constructor(private readonly spawn: () => Supervised<WorkerIngester>) {}

  async run(jobs: PoolJob[], opts: PoolOptions, events: PoolEvents, signal?: AbortSignal): Promise<void> {
    const queue = [...jobs];
    const lanes = Math.max(1, Math.min(opts.concurrency, queue.length));
    const lane = async (slot: number): Promise<void> => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (signal?.aborted) {
          events.fail(job, { name: 'Cancelled', message: 'Cancelled before it started.' });
          continue;
        }
        await this.runOne(slot, job, opts, events, signal);
      }
    };
    await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
  }

  private async runOne(slot: number, job: PoolJob, opts: PoolOptions, events: PoolEvents, signal: AbortSignal | undefined): Promise<void> {
    const worker = (this.slots[slot] ??= this.spawn());
    events.start(job);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    let storing = false;
    let stop: ((error: AppError) => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      stop = reject;
      timer = setTimeout(() => {
        const seconds = Math.round(opts.timeoutMs / 1000);
        reject(
          new AppError(
            'ParseTimeout',
            `“${job.name}” was still being read after ${seconds} s and was skipped. The file may be damaged or unusually complex; the other files were not affected.`,
            { file: job.name, seconds },
          ),
        );
      }, opts.timeoutMs);
      onAbort = () => {
        if (!storing) {
          const alone = job.signal?.aborted && !signal?.aborted;
          reject(new AppError('Cancelled', alone ? 'Stopped while it was being read; the other files went on.' : 'Cancelled.'));
        }
      };
      if (signal?.aborted || job.signal?.aborted) onAbort();
      else {
        signal?.addEventListener('abort', onAbort, { once: true });
        job.signal?.addEventListener('abort', onAbort, { once: true });
      }
    });
    const work = worker.client.ingest(
      {
        file: job.file,
        name: job.name,
        ...(job.password !== undefined ? { password: job.password } : {}),
        ...(job.collectionId !== undefined ? { collectionId: job.collectionId } : {}),
        maxBytes: opts.maxBytes,
        chunking: opts.chunking,
        ...(opts.ocr ? { ocr: opts.ocr } : {}),
        knownIds: opts.knownIds(),
        store: opts.store,
      },
      {
        onEvent: (p) => {
          if (p.stage === 'index') {
            storing = true;
            clearTimeout(timer);
          } else if (p.stage === 'ocr') {
            // A scan takes a second or more per page: the file's limit becomes a limit per page
            // read (OCR has its own, inside the worker; this one catches a worker stuck outside it).
            clearTimeout(timer);
            timer = setTimeout(
              () =>
                stop?.(
                  new AppError(
                    'ParseTimeout',
                    `“${job.name}” was still being read by OCR after ${Math.round(ocrWatchMs(opts) / 1000)} s on one page and was skipped; the other files were not affected.`,
                    { file: job.name, seconds: Math.round(ocrWatchMs(opts) / 1000) },
                  ),
                ),
              ocrWatchMs(opts),
            );
          }
          events.progress(job, p);
        },
      },
    );
    work.catch(() => undefined); // settled below, or abandoned with its worker
    this.stops.add(stop!);
    try {
      events.done(job, await Promise.race([work, stopped]));
    } catch (e) {
      const error = serializeError(e);
      // The worker is stuck (timeout), unwanted (cancel) or dead (crash): replace it.
      if (error.name === 'ParseTimeout' || error.name === 'Cancelled' || error.name === 'WorkerCrashed') {
        worker.terminate();
        if (this.slots[slot] === worker) this.slots[slot] = null;
      }
      events.fail(job, error);
    } finally {
      this.stops.delete(stop!);
      clearTimeout(timer);
      if (onAbort) {
        signal?.removeEventListener('abort', onAbort);
        job.signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  /**
   * The library worker the ingest workers store into is gone: every file in hand fails with
   * `error` and every worker is replaced (the next ones connect to its successor).
   */
  fail(error: AppError): void {
    for (const stop of this.stops) stop(error);
    this.dispose();
  }

  dispose(): void {
    for (const w of this.slots) w?.terminate();
    this.slots.length = 0;
  }
}
