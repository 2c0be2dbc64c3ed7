/**
 * Downloading a web-llm model ourselves, file by file, into web-llm's own cache, before web-llm
 * loads it. DOM-free (fetch, Cache API, IndexedDB: all present in workers), so it runs in the LLM
 * worker and in Node tests.
 *
 * Why not let `MLCEngine.reload()` fetch everything? Measured against web-llm 0.2.86:
 * - it fetches the weights only after instantiating the compiled model library on the GPU, so a
 *   model cannot be fetched ahead of time (for an offline room) without loading it;
 * - it reports progress once per finished shard (~32 MB) as a fraction plus English text, never the
 *   bytes of the shard in flight, and nothing at all while fetching the library or tokenizer;
 * - it caches whatever the server answered with status 200: a mirror that answers a missing file
 *   with its index page leaves an HTML "mlc-chat-config.json" in the cache, failing every later try.
 *
 * So this module fetches the chat config, the tensor-cache manifest, the tokenizer, every weight
 * shard and the model library, streams each with byte progress, checks each (JSON parses, a shard
 * has exactly the bytes the manifest says, the library is WebAssembly exporting TVM's runtime) and
 * only then stores it, under the URL and cache scope where web-llm looks. `reload()` then finds
 * everything cached. Files already cached are not fetched again, so a retry after a network
 * failure continues where it stopped.
 */

import { AppError, cancelled, errorText } from '../core/errors';
import { DownloadTally, type Progress } from '../core/progress';
import { readBody } from '../platform/http';

/** web-llm's cache scopes (`CacheScope` in its cache_util). */
export type CacheScope = 'webllm/config' | 'webllm/wasm' | 'webllm/model';

/**
 * Where web-llm keeps model files. 'cache' = the Cache API (web-llm's default), 'indexeddb' = one
 * IndexedDB database per scope. Both survive reloads and are cleared with the site's data.
 */
export type WebLlmCacheBackend = 'cache' | 'indexeddb';

/** How web-llm reads a file back: IndexedDB stores it parsed ('json') or as bytes. */
type StoreType = 'json' | 'arraybuffer';

export interface ArtifactStore {
  has(scope: CacheScope, url: string): Promise<boolean>;
  /** A stored file's size without reading it, where the store can tell (null: not stored). */
  size?(scope: CacheScope, url: string): Promise<number | null>;
  get(scope: CacheScope, url: string): Promise<ArrayBuffer | null>;
  put(scope: CacheScope, url: string, bytes: ArrayBuffer, type: StoreType): Promise<void>;
  delete(scope: CacheScope, url: string): Promise<void>;
}

/** The Cache API layout web-llm's `ArtifactCache` reads: one cache per scope, keyed by URL. */
export function cacheApiStore(storage: CacheStorage = caches): ArtifactStore {
  const open = (scope: CacheScope): Promise<Cache> => storage.open(scope);
  return {
    has: async (scope, url) => (await (await open(scope)).match(url)) !== undefined,
    size: async (scope, url) => {
      const r = await (await open(scope)).match(url);
      if (!r) return null;
      // Our entries carry content-length; otherwise a cached body's Blob knows its size unread.
      const length = Number(r.headers.get('content-length'));
      return length > 0 ? length : (await r.blob()).size;
    },
    get: async (scope, url) => {
      const r = await (await open(scope)).match(url);
      return r ? r.arrayBuffer() : null;
    },
    put: async (scope, url, bytes) => {
      await (await open(scope)).put(url, new Response(bytes, { headers: { 'content-length': String(bytes.byteLength) } }));
    },
    delete: async (scope, url) => {
      await (await open(scope)).delete(url);
    },
  };
}

/** The IndexedDB layout web-llm's `ArtifactIndexedDBCache` reads: database = scope, store 'urls', records `{ url, data }`. */
export function indexedDbStore(factory: IDBFactory = indexedDB): ArtifactStore {
  const dbs = new Map<CacheScope, Promise<IDBDatabase>>();
  const open = (scope: CacheScope): Promise<IDBDatabase> => {
    let db = dbs.get(scope);
    if (!db) {
      db = new Promise<IDBDatabase>((resolve, reject) => {
        const req = factory.open(scope, 1);
        req.onupgradeneeded = () => {
          if (!req.result.objectStoreNames.contains('urls')) req.result.createObjectStore('urls', { keyPath: 'url' });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error ?? new Error(`IndexedDB ${scope} could not be opened`));
      });
      dbs.set(scope, db);
    }
    return db;
  };
  const run = async <T>(scope: CacheScope, mode: IDBTransactionMode, body: (s: IDBObjectStore) => IDBRequest): Promise<T> => {
    const db = await open(scope);
    return new Promise<T>((resolve, reject) => {
      const tx = db.transaction('urls', mode);
      const req = body(tx.objectStore('urls'));
      tx.oncomplete = () => resolve(req.result as T);
      tx.onerror = () => reject(tx.error ?? req.error);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  };
  return {
    has: async (scope, url) => (await run<unknown>(scope, 'readonly', (s) => s.getKey(url))) !== undefined,
    get: async (scope, url) => {
      const rec = await run<{ data: unknown } | undefined>(scope, 'readonly', (s) => s.get(url));
      if (!rec) return null;
      if (rec.data instanceof ArrayBuffer) return rec.data;
      return new TextEncoder().encode(JSON.stringify(rec.data)).buffer;
    },
    put: async (scope, url, bytes, type) => {
      const data: unknown = type === 'json' ? JSON.parse(new TextDecoder().decode(bytes)) : bytes;
      await run(scope, 'readwrite', (s) => s.put({ url, data }));
    },
    delete: async (scope, url) => {
      await run(scope, 'readwrite', (s) => s.delete(url));
    },
  };
}

export function artifactStore(backend: WebLlmCacheBackend): ArtifactStore {
  return backend === 'indexeddb' ? indexedDbStore() : cacheApiStore();
}

/** What `downloadModel` needs to know of a web-llm `ModelRecord`. */
export interface ModelLocation {
  model_id: string;
  /** Absolute model URL (hub-shaped: web-llm appends `resolve/main/` unless a `/resolve/<rev>/` is there). */
  model: string;
  /** The compiled model library's URL. */
  model_lib: string;
}

/** The folder web-llm resolves every model file against (its `cleanModelUrl`). */
export function modelFolderUrl(model: string): string {
  let url = model.endsWith('/') ? model : `${model}/`;
  if (!/.+\/resolve\/.+\//.test(url)) url += 'resolve/main/';
  return new URL(url).href;
}

/**
 * web-llm does not cache a model library on localhost or on the page's own server (it fetches it
 * fresh each time, so a rebuilt library is picked up); nor do we, or the two would disagree.
 */
export function libraryIsCached(modelLib: string): boolean {
  return modelLib.startsWith('http') && !modelLib.includes('localhost');
}

export interface DownloadOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
  /** Files fetched at once. Default 4, as web-llm does: enough to fill a connection, few enough for steady progress. */
  concurrency?: number;
  fetch?: typeof fetch;
  /** Human text for the place the files come from, for error messages. */
  where?: string;
  /**
   * Fetch the model library too: 'auto' = where web-llm caches it (see `libraryIsCached`);
   * 'always' = also from localhost (the workshop kit copies every file).
   */
  library?: 'auto' | 'always';
}

export interface DownloadSummary {
  /** Bytes of every file of the model (all now cached). */
  totalBytes: number;
  /** Bytes fetched by this call (0 when everything was cached already). */
  fetchedBytes: number;
  files: number;
  fetchedFiles: number;
}

interface FileJob {
  url: string;
  scope: CacheScope;
  type: StoreType;
  /** Exact size from the manifest (weight shards), else null. */
  bytes: number | null;
  /** json: must parse; shard: exactly `bytes` long; library: a TVM WebAssembly module; none: binary, any size. */
  check: 'json' | 'shard' | 'library' | 'none';
  /** Short name for messages and progress. */
  name: string;
}

interface ChatConfigFile {
  tokenizer_files?: string[];
}

interface TensorCacheFile {
  records: { dataPath: string; nbytes: number }[];
}

// TVM's WebAssembly runtime exports this from every compiled model library; its absence means the
// file is some other WebAssembly (or a library for another runtime), which web-llm cannot start.
const TVM_RUNTIME_EXPORT = 'TVMWasmAllocSpace';

/** Downloads every missing file of a model into the store; see the module comment. */
export async function downloadModel(record: ModelLocation, store: ArtifactStore, opts: DownloadOptions = {}): Promise<DownloadSummary> {
  const doFetch = opts.fetch ?? fetch;
  const where = opts.where ?? new URL(record.model).origin;
  const folder = modelFolderUrl(record.model);
  const tally = new DownloadTally('download', record.model_id);
  const report = (p: Progress): void => opts.onProgress?.(p);
  let fetchedBytes = 0;
  let fetchedFiles = 0;

  // One failure stops the other downloads in flight; what finished stays cached.
  const inner = new AbortController();
  const onAbort = (): void => inner.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) inner.abort();

  /** Bytes of a file the download must read (the two manifests): from the store, or fetched. */
  async function fileBytes(job: FileJob): Promise<ArrayBuffer> {
    const cached = await store.get(job.scope, job.url);
    if (cached) {
      tally.update(job.url, cached.byteLength, cached.byteLength);
      return cached;
    }
    return fetchAndStore(job);
  }

  /**
   * Makes sure a file is stored. A stored one is only looked up, never read: on every model load
   * this runs over all the weights, and reading them would copy the whole model into memory.
   */
  async function ensureFile(job: FileJob): Promise<void> {
    // Where the store cannot tell a size unread (IndexedDB), a stored file counts its manifest size (0 if none).
    const size = store.size ? await store.size(job.scope, job.url) : (await store.has(job.scope, job.url)) ? (job.bytes ?? 0) : null;
    if (size !== null) {
      tally.update(job.url, size, size);
      return;
    }
    await fetchAndStore(job);
  }

  async function fetchAndStore(job: FileJob): Promise<ArrayBuffer> {
    const bytes = await fetchFile(job);
    await check(job, bytes);
    try {
      await store.put(job.scope, job.url, bytes, job.type);
    } catch (e) {
      if (/quota/i.test(`${(e as { name?: string }).name ?? ''} ${errorText(e)}`)) {
        throw new AppError(
          'StorageQuotaExceeded',
          `There is not enough browser storage to keep ${record.model_id}. Delete models you no longer use (Settings → Language models), free disk space, or choose a smaller model.`,
          { model: record.model_id },
          errorText(e),
        );
      }
      throw e;
    }
    fetchedBytes += bytes.byteLength;
    fetchedFiles += 1;
    return bytes;
  }

  async function fetchFile(job: FileJob): Promise<ArrayBuffer> {
    const networkError = (e: unknown): AppError =>
      inner.signal.aborted && opts.signal?.aborted
        ? cancelled()
        : new AppError(
            'ModelDownloadFailed',
            `Downloading ${record.model_id} from ${where} stopped at ${job.name}: the network did not answer. Try again: the files already downloaded are kept, and the download continues from there.`,
            { model: record.model_id, url: job.url },
            errorText(e),
          );
    let res: Response;
    try {
      res = await doFetch(job.url, { signal: inner.signal });
    } catch (e) {
      throw networkError(e);
    }
    if (!res.ok) {
      const data = { model: record.model_id, url: job.url, status: res.status };
      if (res.status === 404 || res.status === 403 || res.status === 401) {
        throw job.check === 'library'
          ? new AppError(
              'ModelLibraryUnavailable',
              `The compiled model library of ${record.model_id} is not at ${job.url} (HTTP ${res.status}). Copy it next to the model's files on the mirror, or pick another model.`,
              data,
            )
          : new AppError(
              'ModelNotFound',
              `${job.name} of ${record.model_id} was not found at ${where} (HTTP ${res.status}). Check the model source in Settings, and that the mirror has this model.`,
              data,
            );
      }
      throw new AppError(
        'ModelDownloadFailed',
        `${where} answered HTTP ${res.status} for ${job.name} of ${record.model_id}. Try again later; the files already downloaded are kept.`,
        data,
      );
    }
    const length = Number(res.headers.get('content-length')) || 0;
    const expected = job.bytes ?? length;
    let out: Uint8Array<ArrayBuffer>;
    try {
      out = await readBody(res, (received) => report(tally.update(job.url, received, Math.max(expected, received))));
    } catch (e) {
      throw networkError(e);
    }
    const received = out.byteLength;
    report(tally.update(job.url, received, received));
    return out.buffer;
  }

  async function check(job: FileJob, bytes: ArrayBuffer): Promise<void> {
    if (job.check === 'json') {
      try {
        JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        const html = /^\s*</.test(new TextDecoder().decode(bytes.slice(0, 64)));
        throw new AppError(
          'ModelNotFound',
          `${job.name} of ${record.model_id} from ${where} is not valid JSON${html ? ' (the server sent a web page instead: it is probably not a hub-shaped mirror)' : ''}. Check the model source in Settings. Nothing was stored.`,
          { model: record.model_id, url: job.url },
        );
      }
    } else if (job.check === 'none') {
      return;
    } else if (job.check === 'shard') {
      if (bytes.byteLength !== job.bytes) {
        throw new AppError(
          'ModelDownloadFailed',
          `${job.name} of ${record.model_id} arrived incomplete (${bytes.byteLength} of ${job.bytes} bytes). Try again: the files already downloaded are kept.`,
          { model: record.model_id, url: job.url },
        );
      }
    } else {
      let exports: string[];
      try {
        exports = WebAssembly.Module.exports(await WebAssembly.compile(bytes)).map((e) => e.name);
      } catch (e) {
        throw new AppError(
          'ModelLibraryUnavailable',
          `The compiled model library of ${record.model_id} (${job.url}) is not WebAssembly. Check that the mirror serves the model's .wasm library unchanged, or pick another model.`,
          { model: record.model_id, url: job.url },
          errorText(e),
        );
      }
      if (!exports.includes(TVM_RUNTIME_EXPORT)) {
        throw new AppError(
          'ModelLibraryUnavailable',
          `${job.url} is WebAssembly but not a compiled MLC model library (it has no TVM runtime), so ${record.model_id} cannot start. Put the model's own library on the mirror, or pick another model.`,
          { model: record.model_id, url: job.url },
        );
      }
    }
  }

  const json = <T>(bytes: ArrayBuffer): T => JSON.parse(new TextDecoder().decode(bytes)) as T;
  const file = (name: string, scope: CacheScope, extra: Partial<FileJob> = {}): FileJob => ({
    url: new URL(name, folder).href,
    scope,
    type: 'arraybuffer',
    bytes: null,
    check: 'json',
    name,
    ...extra,
  });

  try {
    // The two small manifests first: they name every other file.
    const [configBytes, manifestBytes] = await Promise.all([
      fileBytes(file('mlc-chat-config.json', 'webllm/config')),
      fileBytes(file('tensor-cache.json', 'webllm/model', { type: 'json' })),
    ]);
    const config = json<ChatConfigFile>(configBytes);
    const manifest = json<TensorCacheFile>(manifestBytes);
    if (!Array.isArray(manifest.records)) {
      throw new AppError('ModelNotFound', `tensor-cache.json of ${record.model_id} from ${where} lists no weights. Check the mirror.`, {
        model: record.model_id,
      });
    }
    const jobs: FileJob[] = [];
    // web-llm reads tokenizer.json when listed, else tokenizer.model (SentencePiece, binary).
    const tokenizers = config.tokenizer_files ?? [];
    if (tokenizers.includes('tokenizer.json')) jobs.push(file('tokenizer.json', 'webllm/model'));
    else if (tokenizers.includes('tokenizer.model')) jobs.push(file('tokenizer.model', 'webllm/model', { check: 'none' }));
    // Largest first: the tail of the download is then many small files, not one big one.
    const shards = [...manifest.records].sort((a, b) => b.nbytes - a.nbytes);
    for (const r of shards) jobs.push(file(r.dataPath, 'webllm/model', { check: 'shard', bytes: r.nbytes }));
    if (opts.library === 'always' || libraryIsCached(record.model_lib)) {
      jobs.push({
        url: record.model_lib,
        scope: 'webllm/wasm',
        type: 'arraybuffer',
        bytes: null,
        check: 'library',
        name: 'the model library',
      });
    }
    // Announce the known sizes at once, so the bar's total is right from the start.
    for (const j of jobs) if (j.bytes !== null) tally.update(j.url, 0, j.bytes);
    report(tally.update(jobs[0]?.url ?? folder, 0, 0));

    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length && !inner.signal.aborted) await ensureFile(jobs[next++]!);
    };
    const lanes = Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker);
    const settled = await Promise.allSettled(lanes);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    if (opts.signal?.aborted) throw cancelled();
    const done = tally.finish();
    report(done);
    return { totalBytes: done.total, fetchedBytes, files: jobs.length + 2, fetchedFiles };
  } catch (e) {
    inner.abort();
    if (opts.signal?.aborted) throw cancelled();
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** The bytes of a cached model's weights (from its cached manifest), or null when not fully cached. */
export async function cachedModelBytes(record: ModelLocation, store: ArtifactStore): Promise<number | null> {
  const folder = modelFolderUrl(record.model);
  const manifest = await store.get('webllm/model', new URL('tensor-cache.json', folder).href);
  if (!manifest) return null;
  let records: TensorCacheFile['records'];
  try {
    records = (JSON.parse(new TextDecoder().decode(manifest)) as TensorCacheFile).records;
  } catch {
    return null;
  }
  let total = 0;
  for (const r of records) {
    if (!(await store.has('webllm/model', new URL(r.dataPath, folder).href))) return null;
    total += r.nbytes;
  }
  return total;
}

/**
 * Removes every file of a model from the store: config, manifest, tokenizer, weights and library.
 * Not web-llm's `deleteModelAllInfoInCache`: that re-downloads the manifest when it is missing (a
 * network request to delete something) and leaves the manifest itself behind.
 */
export async function deleteModel(record: ModelLocation, store: ArtifactStore): Promise<void> {
  const folder = modelFolderUrl(record.model);
  const at = (name: string): string => new URL(name, folder).href;
  const manifest = await store.get('webllm/model', at('tensor-cache.json'));
  const shards: string[] = [];
  if (manifest) {
    try {
      for (const r of (JSON.parse(new TextDecoder().decode(manifest)) as TensorCacheFile).records) shards.push(at(r.dataPath));
    } catch {
      // An unreadable manifest names no shards; the files it would have named were never stored by us.
    }
  }
  await Promise.all([
    ...shards.map((u) => store.delete('webllm/model', u)),
    store.delete('webllm/model', at('tokenizer.json')),
    store.delete('webllm/model', at('tokenizer.model')),
    store.delete('webllm/config', at('mlc-chat-config.json')),
    store.delete('webllm/wasm', record.model_lib),
  ]);
  // The manifest last: while it exists, a half-finished delete can still be completed.
  await store.delete('webllm/model', at('tensor-cache.json'));
}
