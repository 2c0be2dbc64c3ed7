/**
 * Every network request the app makes, seen from inside: the page and each worker observe their own
 * Resource Timing entries (fetches, scripts, .wasm, model files) and the workers forward theirs to
 * the page, which counts them by destination. This is what lets a user check, in the app itself,
 * that asking a question sends nothing anywhere. DOM-free: pages and workers both have
 * `PerformanceObserver`.
 */

export interface NetEntry {
  url: string;
  /** Bytes that came over the network (0 when served from a cache, including the service worker's). */
  transferBytes: number;
  /** When it started, ms since the epoch (each context has its own performance clock; this one is shared). */
  at: number;
  /** Who made it: 'page' or the worker's name. */
  from: string;
}

/** Marks the messages a worker posts with its requests, so RPC clients ignore them. */
export const NET_MARK = '__ragscopeNet';

export interface NetMessage {
  [NET_MARK]: true;
  entries: NetEntry[];
}

export function isNetMessage(m: unknown): m is NetMessage {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>)[NET_MARK] === true;
}

/** Only requests that could leave the machine: not data:, blob: or chrome-extension: URLs. */
export function leavesPage(url: string): boolean {
  return /^(https?|wss?):/i.test(url);
}

/** Calls `report` with each batch of this context's requests, starting with those already made. */
export function observeRequests(from: string, report: (entries: NetEntry[]) => void): () => void {
  if (typeof PerformanceObserver === 'undefined') return () => undefined;
  const observer = new PerformanceObserver((list) => {
    const entries = (list.getEntries() as PerformanceResourceTiming[])
      .filter((e) => leavesPage(e.name))
      .map((e) => ({ url: e.name, transferBytes: e.transferSize ?? 0, at: performance.timeOrigin + e.startTime, from }));
    if (entries.length > 0) report(entries);
  });
  observer.observe({ type: 'resource', buffered: true });
  return () => observer.disconnect();
}

/** In a worker: forwards its requests to the page. */
export function reportRequests(scope: { name?: string; postMessage(m: unknown): void }): void {
  observeRequests(scope.name || 'worker', (entries) => scope.postMessage({ [NET_MARK]: true, entries } satisfies NetMessage));
}

export interface Destination {
  origin: string;
  requests: number;
  /** Bytes that came over the network (cache hits count 0). */
  transferBytes: number;
}

/** Requests grouped by the origin they went to, most first; only those started at or after `since`. */
export function byDestination(entries: readonly NetEntry[], since = 0): Destination[] {
  const map = new Map<string, Destination>();
  for (const e of entries) {
    if (e.at < since) continue;
    const origin = new URL(e.url).origin;
    const d = map.get(origin) ?? { origin, requests: 0, transferBytes: 0 };
    d.requests += 1;
    d.transferBytes += e.transferBytes;
    map.set(origin, d);
  }
  return [...map.values()].sort((a, b) => b.requests - a.requests);
}
