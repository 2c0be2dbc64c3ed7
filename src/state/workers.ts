/**
 * The only place the app constructs Worker objects. A worker that crashes (an uncaught error, an
 * out-of-memory kill) fails every pending call with `WorkerCrashed` instead of leaving the UI
 * waiting forever; the owner then creates a fresh one.
 */

import { AppError } from '../protocol/errors';
import type { RpcClient, Protocol } from '../protocol/rpc';
import { WorkerEmbedder } from '../embed/client';
import { WorkerChatEngine } from '../generate/client';

function watch<P extends Protocol>(worker: Worker, rpc: RpcClient<P>, what: string): void {
  worker.addEventListener('error', (ev) => {
    ev.preventDefault();
    rpc.fail(
      new AppError(
        'WorkerCrashed',
        `The ${what} stopped unexpectedly${ev.message ? ` (${ev.message})` : ''}. Try again; if it repeats, reload the page.`,
      ),
    );
  });
}

export function createEmbedder(): { embedder: WorkerEmbedder; terminate(): void } {
  const worker = new Worker(new URL('../../workers/embed.worker.ts', import.meta.url), { type: 'module', name: 'ragscope-embed' });
  const embedder = new WorkerEmbedder(worker);
  watch(worker, embedder.rpc, 'embedding worker');
  return {
    embedder,
    terminate: () => {
      worker.terminate();
      embedder.rpc.fail(new AppError('Cancelled', 'The embedding worker was stopped.'));
    },
  };
}

export function createChatEngine(): { engine: WorkerChatEngine; terminate(): void } {
  const worker = new Worker(new URL('../../workers/llm.worker.ts', import.meta.url), { type: 'module', name: 'ragscope-llm' });
  const engine = new WorkerChatEngine(worker);
  watch(worker, engine.rpc, 'language model worker');
  return {
    engine,
    terminate: () => {
      worker.terminate();
      engine.rpc.fail(new AppError('Cancelled', 'The language model worker was stopped.'));
    },
  };
}
