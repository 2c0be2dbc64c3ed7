/**
 * The library worker's handlers: the store, the open collection's indexes, and the events that
 * keep pages in step with other tabs. It answers the page and, on ports the page hands over, the
 * ingest workers that store what they read; it embeds stored documents through the embed worker's
 * port. So document text and vectors travel worker to worker, never through the page. A plain
 * module (no `self`), so Node tests drive it through a real MessageChannel over fake-indexeddb.
 *
 * The store is opened on first use and memoised; a failed open is dropped so the next call retries
 * (e.g. after the user closed the other tab that blocked an upgrade).
 */

import { portEndpoint, serve, type Handlers } from '../core/rpc';
import { AppError, unlessCancelled } from '../core/errors';
import { WorkerEmbedder } from '../embed/client';
import type { LibraryEvent, LibraryProtocol } from './protocol';
import type { IngestSink } from '../ingest/protocol';
import { Store, type StoreChange } from '../store';
import { exportCollection, importBundle } from '../bundle/bundle';
import { Library } from './library';

export interface LibraryHandlerOptions {
  /** Opens the store; defaults to `Store.open()` (IndexedDB database 'ragscope'). */
  openStore?: () => Promise<Store>;
}

/**
 * Changes from elsewhere arriving within this window are applied with one rebuild. Range 0..1000
 * ms; default 50: a folder dropped in another tab announces one change per file.
 */
const CHANGE_COALESCE_MS = 50;

function notOpen(): AppError {
  return new AppError('InvalidRequest', 'The library is not open yet; open it first.');
}

export interface LibraryService {
  handlers: Handlers<LibraryProtocol>;
  /** Stops watching and closes the store (tests; a worker simply ends). */
  dispose(): void;
}

export function libraryService(opts: LibraryHandlerOptions = {}): LibraryService {
  const openStore = opts.openStore ?? (() => Store.open());
  let storePromise: Promise<Store> | null = null;
  let lib: Library | null = null;
  /**
   * The latest open. Calls wait for it, so a call sent after an open (another collection or
   * model) never runs on the Library it replaces; the open itself first waits for the writes
   * already sent to the old one, so the new one reads a store that holds them.
   */
  let opening: Promise<unknown> = Promise.resolve();
  const watchers = new Set<(e: LibraryEvent) => void>();
  /** The embed worker, over the port the page handed over (see `connectEmbedder`). */
  let embedder: WorkerEmbedder | null = null;
  /** Other ports this service answers on (ingest workers'), stopped on dispose. */
  const served: Array<() => void> = [];
  let pendingReload: ReturnType<typeof setTimeout> | null = null;

  const emit = (e: LibraryEvent): void => {
    for (const w of watchers) w(e);
  };

  function store(): Promise<Store> {
    if (!storePromise) {
      const p = openStore().then((s) => {
        s.onChange(onChange);
        s.onClosed((info) => {
          lib = null;
          emit({ type: 'closed', message: info.message });
        });
        return s;
      });
      p.catch(() => {
        if (storePromise === p) storePromise = null;
      });
      storePromise = p;
    }
    return storePromise;
  }

  /** Another tab or worker committed a change: rebuild once the burst has passed, then tell pages. */
  function onChange(change: StoreChange): void {
    // Settings (the last opened collection) change nothing that is indexed or listed; question
    // sets and runs change only the Evaluate view's lists, which the page reads again itself.
    if (change.type === 'evaluation-changed') return emit({ type: 'evaluation' });
    if (change.type === 'settings-changed' || pendingReload) return;
    pendingReload = setTimeout(() => {
      pendingReload = null;
      void applyChanges();
    }, CHANGE_COALESCE_MS);
  }

  async function applyChanges(): Promise<void> {
    const openLib = lib;
    if (!openLib) return emit({ type: 'changed' });
    try {
      const collections = await openLib.store.listCollections();
      if (collections.some((c) => c.id === openLib.collectionId)) await openLib.reload();
      // The open collection was deleted elsewhere: fall back to the default one (recreated if it
      // was the last), unless this page opened another one meanwhile.
      else if (lib === openLib) await reopen(undefined, openLib.model);
    } catch {
      // The next call reports the store's problem (closed, unavailable) to the user by name.
    }
    emit({ type: 'changed' });
  }

  /** Replaces the open Library (see `opening`); every replacement goes through here. */
  function reopen(collectionId: string | undefined, forModel: string): Promise<Library> {
    const previous = opening;
    const run = (async () => {
      await previous;
      const s = await store();
      await lib?.idle();
      lib = await Library.open(s, { collectionId, model: forModel });
      return lib;
    })();
    opening = run.catch(() => undefined);
    return run;
  }

  async function current(): Promise<Library> {
    await opening;
    if (!lib) throw notOpen();
    return lib;
  }

  function connected(): WorkerEmbedder {
    if (!embedder) throw new AppError('EngineNotLoaded', 'The embedding worker is not connected to the library yet. Try again.');
    return embedder;
  }

  const handlers: Handlers<LibraryProtocol> = {
    connect: (req) => {
      // A port whose ingest worker was stopped (a timeout, Cancel) only ever goes quiet: ports
      // announce no close, so it is kept until this worker ends; it costs one idle listener.
      // Ingest workers store documents: that is all their port answers.
      served.push(serve<IngestSink>(portEndpoint(req.port), { add: handlers.add, replace: handlers.replace }));
      return null;
    },
    connectEmbedder: (req) => {
      // Calls waiting on the previous embed worker can never be answered: fail them now.
      embedder?.rpc.fail(
        new AppError('WorkerCrashed', req.reason ?? 'The embedding worker was replaced. Try again; if it repeats, reload the page.'),
      );
      embedder = req.port ? new WorkerEmbedder(portEndpoint(req.port)) : null;
      return null;
    },
    embed: async (req, ctx) => {
      const l = await current();
      const work = l.embed(req.docId, req.model, connected(), {
        batchSize: req.batchSize,
        signal: ctx.signal,
        onProgress: (p) => ctx.emit(p),
      });
      // The page's cancel settles this at once, even if the embed worker never answers again.
      return unlessCancelled(work, ctx.signal);
    },
    open: async (req) => (await reopen(req.collectionId, req.model)).snapshot(),
    add: async (req) => {
      const l = await current();
      return req.collectionId === undefined || req.collectionId === l.collectionId
        ? l.add(req.doc, req.original)
        : l.addElsewhere(req.collectionId, req.doc, req.original);
    },
    replace: async (req) => (await current()).replace(req.doc),
    putVectors: async (req) => (await current()).putVectors(req.docId, req.model, req.dim, req.vectors),
    remove: async (req) => {
      await (await current()).remove(req.docId);
      return null;
    },
    search: async (req) => (await current()).search(req),
    snapshot: async () => (await current()).snapshot(),
    context: async (req) => (await current()).context(req.docId, req.ordinal),
    original: async (req) => (await current()).original(req.docId),
    createCollection: async (req) => {
      const created = await (await store()).createCollection(req.name);
      return { ...created, documents: 0, waiting: 0 };
    },
    renameCollection: async (req) => {
      const found = await (await store()).renameCollection(req.id, req.name);
      if (!found) throw new AppError('InvalidRequest', 'That collection no longer exists (deleted in another tab?).');
      return null;
    },
    deleteCollection: async (req) => {
      const s = await store();
      await s.deleteCollection(req.id);
      if (lib && lib.collectionId === req.id) await reopen(undefined, lib.model);
      return null;
    },
    usage: async () => (await store()).usage(),
    exportCollection: async (req, ctx) => {
      const l = await current();
      await l.idle();
      const out = await exportCollection(l.store, l.collectionId, { model: l.model, chunking: req.chunking, originals: req.originals });
      ctx.transfer(out.bytes.buffer);
      return out;
    },
    importBundle: async (req) => importBundle(await store(), req.bytes, req.model),
    comparisons: async (req) => (await store()).listComparisons(req.limit),
    saveComparison: async (req) => {
      await (await store()).addComparison(req);
      return null;
    },
    deleteComparison: async (req) => {
      await (await store()).deleteComparison(req.id);
      return null;
    },
    // The Evaluate view: lists are of the open collection; a write names its own collection (or
    // run), which the store checks exists, so a write racing a collection switch lands where it belongs.
    questionSets: async () => {
      const l = await current();
      return l.store.listQuestionSets(l.collectionId);
    },
    saveQuestionSet: async (req) => {
      await (await store()).putQuestionSet(req);
      return null;
    },
    deleteQuestionSet: async (req) => {
      await (await store()).deleteQuestionSet(req.id);
      return null;
    },
    evalRuns: async () => {
      const l = await current();
      return l.store.listEvalRuns(l.collectionId);
    },
    evalRun: async (req) => (await store()).getEvalRun(req.id),
    saveEvalRun: async (req) => {
      await (await store()).putEvalRun(req);
      return null;
    },
    saveEvalResult: async (req) => {
      await (await store()).saveEvalResult(req.result, req.run);
      return null;
    },
    deleteEvalRun: async (req) => {
      await (await store()).deleteEvalRun(req.id);
      return null;
    },
    scoreRetrieval: async (req) => (await current()).scoreRetrieval(req.questions, req.index, req.ranked),
    samplePassages: async (req) => (await current()).samplePassages(req),
    watch: (_req, ctx) =>
      new Promise<null>((resolve) => {
        const w = (e: LibraryEvent): void => ctx.emit(e);
        watchers.add(w);
        ctx.signal.addEventListener(
          'abort',
          () => {
            watchers.delete(w);
            resolve(null);
          },
          { once: true },
        );
      }),
  };
  return {
    handlers,
    dispose: () => {
      if (pendingReload) clearTimeout(pendingReload);
      for (const stop of served.splice(0)) stop();
      watchers.clear();
      void storePromise?.then((s) => s.close()).catch(() => undefined);
    },
  };
}
