/**
 * The page's workers in Node: each `Spawners` entry serves the real handlers (library over
 * fake-indexeddb, ingest, embed and LLM with the real transformers.js runtime on the generated
 * tiny models) behind a real MessageChannel, so the page-state classes run here exactly as in the
 * browser, worker-to-worker ports included. A test can crash a worker (its calls fail with
 * WorkerCrashed and its owner is told, as src/state/workers.ts does for a real one), hold the embed
 * workers' `embed` calls, or the ingest workers' files, until it lets them go (to act while a
 * document is being embedded or a drop is being read), count
 * the model loads the handlers really performed, and delete the database as another tab can. A file
 * whose name starts with "hang" is never finished by the ingest handler, like a parser stuck in a
 * loop.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterEach } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { AppError } from '../../src/core/errors';
import { serve, type Endpoint, type Handlers, type Protocol, type RpcClient, type Supervised } from '../../src/core/rpc';
import { embedHandlers } from '../../src/embed/handler';
import { WorkerEmbedder } from '../../src/embed/client';
import { TransformersEmbedder } from '../../src/embed/transformers';
import { TransformersReranker } from '../../src/embed/reranker';
import { llmHandlers } from '../../src/generate/handler';
import { WorkerChatEngine } from '../../src/generate/client';
import { TransformersChatEngine } from '../../src/generate/transformers-engine';
import { ingestHandlers } from '../../src/ingest/handler';
import { WorkerIngester } from '../../src/ingest/client';
import { libraryService } from '../../src/library/handler';
import { WorkerLibrary } from '../../src/library/client';
import { Store } from '../../src/store';
import type { Spawners } from '../../src/state/workers';
import { endpoint } from './channel';

export type WorkerKind = 'library' | 'ingester' | 'embedder' | 'chat';

interface Running {
  kind: WorkerKind;
  crash(): void;
}

export interface NodeWorkers {
  spawn: Spawners;
  /** Workers started so far, per kind. */
  started: Record<WorkerKind, number>;
  /** `load` calls the embed and LLM handlers received (what reached a worker, joined or not). */
  loads: { embed: number; chat: number };
  /** Crashes every running worker of a kind, as an uncaught error in it would. */
  crash(kind: WorkerKind): void;
  /** Holds every `embed` call (in any embed worker) until the returned function is called. */
  holdEmbeds(): () => void;
  /** Holds every file in the ingest workers (before it is read) until the returned function is called. */
  holdIngests(): () => void;
  /** Deletes the library's database, as another tab can: the open store is closed under the page. */
  deleteDatabase(): Promise<void>;
}

let count = 0;

/**
 * Workers sharing one IndexedDB (one browser profile). Ports the page hands between workers are
 * real MessagePorts; `MessageChannel` on globalThis is Node's, which the state classes use.
 */
export function useNodeWorkers(): () => NodeWorkers {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  return () => {
    count++;
    const factory = new IDBFactory();
    const name = `page-${count}`;
    const changes = `page-test-${process.pid}-${count}-${Math.random()}`;
    const running: Running[] = [];
    const started: Record<WorkerKind, number> = { library: 0, ingester: 0, embedder: 0, chat: 0 };
    const loads = { embed: 0, chat: 0 };
    let held: Promise<void> = Promise.resolve();
    let heldIngests: Promise<void> = Promise.resolve();

    function start<P extends Protocol, C extends { rpc: RpcClient<P> }>(
      kind: WorkerKind,
      handlers: Handlers<P>,
      client: (page: Endpoint) => C,
      onCrash?: () => void,
      dispose?: () => void,
    ): Supervised<C> {
      started[kind]++;
      const { port1, port2 } = new MessageChannel();
      // Ports handed to this worker (to another worker) die with it, as a real worker's do.
      const ports: Array<{ close(): void }> = [];
      const h = handlers as Record<string, (req: unknown, ctx: unknown) => unknown>;
      for (const name of ['connect', 'connectLibrary', 'connectEmbedder']) {
        const method = h[name];
        if (!method) continue;
        h[name] = (req, ctx) => {
          const port = (req as { port?: { close(): void } | null }).port;
          if (port) ports.push(port);
          return method(req, ctx);
        };
      }
      const stop = serve(endpoint(port2), handlers);
      const c = client(endpoint(port1));
      const close = (): void => {
        stop();
        dispose?.();
        port1.close();
        port2.close();
        for (const p of ports) p.close();
      };
      const self: Running = {
        kind,
        crash: () => {
          close();
          c.rpc.fail(new AppError('WorkerCrashed', `The ${kind} worker stopped unexpectedly.`));
          onCrash?.();
        },
      };
      running.push(self);
      cleanups.push(close);
      return {
        client: c,
        terminate: () => {
          close();
          c.rpc.fail(new AppError('Cancelled', `The ${kind} worker was stopped.`));
          running.splice(running.indexOf(self), 1);
        },
      };
    }

    const spawn: Spawners = {
      library: (onCrash) => {
        const service = libraryService({ openStore: () => Store.open(name, { indexedDB: factory, channel: changes }) });
        return start(
          'library',
          service.handlers,
          (e) => new WorkerLibrary(e),
          onCrash,
          () => service.dispose(),
        );
      },
      ingester: () => {
        const handlers = ingestHandlers();
        const ingest = handlers.ingest;
        handlers.ingest = async (req, ctx) => {
          if (req.name.startsWith('hang')) return new Promise(() => undefined);
          await heldIngests;
          return ingest(req, ctx);
        };
        return start('ingester', handlers, (e) => new WorkerIngester(e));
      },
      embedder: (onCrash) => {
        const handlers = embedHandlers(new TransformersEmbedder(), new TransformersReranker());
        const load = handlers.load;
        handlers.load = (req, ctx) => {
          loads.embed++;
          return load(req, ctx);
        };
        const embed = handlers.embed;
        handlers.embed = async (req, ctx) => {
          await held;
          return embed(req, ctx);
        };
        return start('embedder', handlers, (e) => new WorkerEmbedder(e), onCrash);
      },
      chat: (onCrash) => {
        const handlers = llmHandlers(async (kind) =>
          kind === 'openai' ? new (await import('../../src/generate/openai-engine')).OpenAIChatEngine() : new TransformersChatEngine(),
        );
        const load = handlers.load;
        handlers.load = (req, ctx) => {
          loads.chat++;
          return load(req, ctx);
        };
        return start('chat', handlers, (e) => new WorkerChatEngine(e), onCrash);
      },
    };

    return {
      spawn,
      started,
      loads,
      holdEmbeds: () => {
        let release = (): void => undefined;
        held = new Promise((r) => (release = r));
        return () => release();
      },
      holdIngests: () => {
        let release = (): void => undefined;
        heldIngests = new Promise((r) => (release = r));
        return () => release();
      },
      deleteDatabase: () =>
        new Promise((resolve, reject) => {
          const req = factory.deleteDatabase(name);
          req.onsuccess = () => resolve();
          req.onerror = () => reject(req.error);
        }),
      crash: (kind) => {
        for (const w of running.filter((r) => r.kind === kind)) {
          running.splice(running.indexOf(w), 1);
          w.crash();
        }
      },
    };
  };
}
