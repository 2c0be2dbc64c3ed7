/**
 * The only place the app constructs Worker objects. A worker that crashes (an uncaught error, an
 * out-of-memory kill) fails every pending call with `WorkerCrashed` instead of leaving the UI
 * waiting forever; the owner then spawns a fresh one.
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
/** `onCrash`: the owner forgets this worker and what it had loaded, so the next call starts a fresh one. */
export function createEmbedder(onCrash?: () => void): Supervised<WorkerEmbedder> {
  const worker = new Worker(new URL('../../workers/embed.worker.ts', import.meta.url), { type: 'module', name: 'ragscope-embed' });
  return supervise(worker, new WorkerEmbedder(worker), 'embedding worker', onCrash);
}

export function createChatEngine(): Supervised<WorkerChatEngine> {
  const worker = new Worker(new URL('../../workers/llm.worker.ts', import.meta.url), { type: 'module', name: 'ragscope-llm' });
  return supervise(worker, new WorkerChatEngine(worker), 'language model worker');
}

export function createIngester(): Supervised<WorkerIngester> {
  const worker = new Worker(new URL('../../workers/ingest.worker.ts', import.meta.url), { type: 'module', name: 'ragscope-ingest' });
  return supervise(worker, new WorkerIngester(worker), 'document reader');
}

export function createLibrary(): Supervised<WorkerLibrary> {
  const worker = new Worker(new URL('../../workers/library.worker.ts', import.meta.url), { type: 'module', name: 'ragscope-library' });
  return supervise(worker, new WorkerLibrary(worker), 'document library');
}
