/**
 * The transformers.js models this browser keeps (the embedding model, the WASM language model):
 * transformers.js caches every file it fetches in the Cache API under 'transformers-cache', keyed
 * by URL. This groups those entries by model, with their size, and deletes a model's entries.
 * (web-llm's models are listed and deleted by src/generate/webllm-catalog.ts.) DOM-free.
 */

/** transformers.js' cache name (`env.cacheKey`). */
export const TRANSFORMERS_CACHE = 'transformers-cache';

export interface CachedModel {
  /** Model id, e.g. 'Xenova/bge-small-en-v1.5'. */
  id: string;
  /** Where it came from: a hub-shaped host, or this app's model folder. */
  from: string;
  files: number;
  bytes: number;
  urls: string[];
}

/**
 * The model a cached URL belongs to: `<host>/<id>/resolve/<rev>/<file>` (the hub or a mirror), or
 * `<origin><localPath><id>/<file>` (this app's folder; ids have one or two path segments, and the
 * file part starts at a known name or folder).
 */
export function modelOfUrl(url: string, localPath: string): { id: string; from: string } | null {
  const u = new URL(url);
  const hub = /^\/(.+?)\/resolve\/[^/]+\//.exec(u.pathname);
  if (hub) return { id: decodeURIComponent(hub[1]!), from: u.host };
  if (!u.pathname.startsWith(localPath)) return null;
  const rest = u.pathname.slice(localPath.length).split('/');
  // The first segment that is a model file or the onnx folder ends the id.
  const end = rest.findIndex((s) => s === 'onnx' || /\.(json|onnx|onnx_data|txt|model)$/.test(s));
  if (end <= 0) return null;
  return { id: decodeURIComponent(rest.slice(0, end).join('/')), from: `this app (${localPath})` };
}

async function entrySize(cache: Cache, req: Request): Promise<number> {
  const res = await cache.match(req);
  if (!res) return 0;
  const length = Number(res.headers.get('content-length'));
  return Number.isFinite(length) && length > 0 ? length : (await res.blob()).size;
}

export async function listCachedModels(storage: CacheStorage, localPath = '/models/'): Promise<CachedModel[]> {
  if (!(await storage.has(TRANSFORMERS_CACHE))) return [];
  const cache = await storage.open(TRANSFORMERS_CACHE);
  const models = new Map<string, CachedModel>();
  for (const req of await cache.keys()) {
    const m = modelOfUrl(req.url, localPath);
    if (!m) continue;
    const key = `${m.from}\u0000${m.id}`;
    const entry = models.get(key) ?? { id: m.id, from: m.from, files: 0, bytes: 0, urls: [] };
    entry.files += 1;
    entry.bytes += await entrySize(cache, req);
    entry.urls.push(req.url);
    models.set(key, entry);
  }
  return [...models.values()].sort((a, b) => b.bytes - a.bytes);
}

export async function deleteCachedModel(storage: CacheStorage, model: CachedModel): Promise<void> {
  const cache = await storage.open(TRANSFORMERS_CACHE);
  await Promise.all(model.urls.map((u) => cache.delete(u)));
}
