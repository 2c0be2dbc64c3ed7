/**
 * Runs a drop's files through a few ingest workers, so one slow or broken file never holds up the
 * rest: each file gets a time limit, and a worker whose file overran it is terminated and replaced
 * (a parser stuck in a loop cannot be interrupted any other way). Cancel stops everything at once
 * the same way. Workers are spawned through an injected function (which also connects each to the
 * library worker it stores into), so Node tests can run the pool.
 *
 * The time limit covers reading the file (parse and chunk); once the worker says it is storing the
 * result (an `index` progress report), the limit no longer applies: a large library write is not a
 * stuck parser, and abandoning it half-way would report a failure for a document that gets stored.
 */

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
}

export interface PoolOptions {
  /** Workers parsing at once. Default 2: PDFs are CPU-bound and the page needs a core too. */
  concurrency: number;
  /** Per-file limit, ms (Settings → ingest.parseTimeoutSeconds). */
  timeoutMs: number;
  maxBytes: number;
  chunking: ChunkOptions;
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

export class IngestPool {
  private readonly slots: Array<Supervised<WorkerIngester> | null> = [];

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
    const stopped = new Promise<never>((_, reject) => {
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
      onAbort = () => reject(new AppError('Cancelled', 'Cancelled.'));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    const work = worker.client.ingest(
      {
        file: job.file,
        name: job.name,
        ...(job.password !== undefined ? { password: job.password } : {}),
        maxBytes: opts.maxBytes,
        chunking: opts.chunking,
        knownIds: opts.knownIds(),
        store: opts.store,
      },
      {
        onEvent: (p) => {
          if (p.stage === 'index') clearTimeout(timer);
          events.progress(job, p);
        },
      },
    );
    work.catch(() => undefined); // settled below, or abandoned with its worker
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
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  dispose(): void {
    for (const w of this.slots) w?.terminate();
    this.slots.length = 0;
  }
}
