/**
 * The only place the app constructs Worker objects. A worker that crashes (an uncaught error, an
 * out-of-memory kill) fails every pending call with `WorkerCrashed` instead of leaving the UI
 * waiting forever, and tells its owner, which then spawns a fresh one.
 *
 * The page state receives these spawners as one `Spawners` object, so Node tests hand in workers
 * made of the real handlers behind real MessageChannels (tests/unit/page-workers.ts).
 */

import { AppError } from '../core/errors';
import type { RpcClient, Protocol, Supervised } from '../core/rpc';
import { WorkerEmbedder } from '../embed/client';
import { WorkerChatEngine } from '../generate/client';
import { WorkerIngester } from '../ingest/client';
import { WorkerLibrary } from '../library/client';
import { isNetMessage } from '../platform/netlog';
import { networkLog } from './network.svelte';

export type { Supervised };

/** Starts one worker of each kind; `onCrash` lets the owner forget it (and what it had loaded). */
export interface Spawners {
  library(onCrash?: () => void): Supervised<WorkerLibrary>;
  ingester(): Supervised<WorkerIngester>;
  embedder(onCrash?: () => void): Supervised<WorkerEmbedder>;
  chat(onCrash?: () => void): Supervised<WorkerChatEngine>;
}

function supervise<P extends Protocol, C extends { rpc: RpcClient<P> }>(
  worker: Worker,
  client: C,
  what: string,
  onCrash?: () => void,
): Supervised<C> {
  // Each worker reports the requests it makes, so the page can show all of them (src/platform/netlog.ts).
  worker.addEventListener('message', (ev: MessageEvent) => {
    if (isNetMessage(ev.data)) networkLog.add(ev.data.entries);
  });
  worker.addEventListener('error', (ev) => {
    ev.preventDefault();
    client.rpc.fail(
      new AppError(
        'WorkerCrashed',
        `The ${what} stopped unexpectedly${ev.message ? ` (${ev.message})` : ''}. Try again; if it repeats, reload the page.`,
      ),
    );
    onCrash?.();
  });
  return {
    client,
    terminate: () => {
      worker.terminate();
      client.rpc.fail(new AppError('Cancelled', `The ${what} was stopped.`));
    },
  };
}

// Each `new Worker(new URL(...))` stays literal: that is the pattern Vite detects to bundle a worker.
export const browserWorkers: Spawners = {
  embedder: (onCrash) => {
    const worker = new Worker(new URL('../../workers/embed.worker.ts', import.meta.url), { type: 'module', name: 'ragscope-embed' });
    return supervise(worker, new WorkerEmbedder(worker), 'embedding worker', onCrash);
  },
  chat: (onCrash) => {
    const worker = new Worker(new URL('../../workers/llm.worker.ts', import.meta.url), { type: 'module', name: 'ragscope-llm' });
    return supervise(worker, new WorkerChatEngine(worker), 'language model worker', onCrash);
  },
  ingester: () => {
    const worker = new Worker(new URL('../../workers/ingest.worker.ts', import.meta.url), { type: 'module', name: 'ragscope-ingest' });
    return supervise(worker, new WorkerIngester(worker), 'document reader');
  },
  library: (onCrash) => {
    const worker = new Worker(new URL('../../workers/library.worker.ts', import.meta.url), { type: 'module', name: 'ragscope-library' });
    return supervise(worker, new WorkerLibrary(worker), 'document library', onCrash);
  },
};
