/**
 * Every network request the app makes, seen from inside: the page and each worker observe their own
 * Resource Timing entries (fetches, scripts, .wasm, model files) and the workers forward theirs to
 * the page, which counts them by destination. This is what lets a user check, in the app itself,
 * that asking a question sends nothing anywhere. DOM-free: pages and workers both have
 * `PerformanceObserver`.
 */

/**
 * What became of a request, as far as Resource Timing tells:
 * - 'transferred': bytes came over the network (`transferBytes`, headers included);
 * - 'cached': answered from this device (the browser's cache, or the app's offline copy through
 *   its service worker); nothing came over the network;
 * - 'failed': no answer (`status` 0: offline, refused, blocked) or an HTTP error (`status` ≥ 400);
 * - 'undisclosed': another origin answered but does not let pages see sizes (no
 *   Timing-Allow-Origin header), so whether the bytes came over the network or from a cache is not
 *   known. Counted as sent: this log must never claim less left the machine than did.
 */
export type NetOutcome = 'transferred' | 'cached' | 'failed' | 'undisclosed';

export interface NetEntry {
  url: string;
  outcome: NetOutcome;
  /** The HTTP status, 0 when no answer came; null where the browser does not report it. */
  status: number | null;
  /** Bytes that came over the network (0 when served from a cache, and when another origin hides sizes). */
  transferBytes: number;
  /** When it started, ms since the epoch (each context has its own performance clock; this one is shared). */
  at: number;
  /** Who made it: 'page' or the worker's name. */
  from: string;
}

/** The fields of a PerformanceResourceTiming entry the outcome is read from (`responseStatus` and `deliveryType` are newer; absent in some browsers). */
export interface ResourceTiming {
  transferSize: number;
  encodedBodySize: number;
  responseStart: number;
  responseStatus?: number;
  deliveryType?: string;
}

/**
 * Tells the outcomes apart. Measured in Chromium: a network error reports status 0 and every size
 * and time 0; an HTTP error its status (even from another origin); a cache hit transferSize 0 with
 * the body's size (and deliveryType 'cache'); another origin without Timing-Allow-Origin status 200
 * with sizes and responseStart all 0. Status 0 is also what a no-cors answer from another origin
 * reports, but the app's policy lets it reach other origins only through connect-src (fetch), and
 * those fetches are CORS requests.
 */
export function outcomeOf(t: ResourceTiming): { outcome: NetOutcome; status: number | null } {
  const status = typeof t.responseStatus === 'number' ? t.responseStatus : null;
  if (status === 0 || (status !== null && status >= 400)) return { outcome: 'failed', status };
  if (t.transferSize > 0) return { outcome: 'transferred', status };
  if (t.deliveryType === 'cache' || t.encodedBodySize > 0) return { outcome: 'cached', status };
  // Every timing hidden: another origin that does not share them (or, where the browser reports no
  // status, possibly a request that failed).
  if (t.responseStart === 0) return { outcome: 'undisclosed', status };
  return { outcome: 'cached', status };
}

/** How a failed request failed, in words: "network error" or "HTTP 404". */
export function failureText(status: number | null): string {
  return status === null || status === 0 ? 'network error' : `HTTP ${status}`;
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
      .map((e): NetEntry => ({
        url: e.name,
        ...outcomeOf(e),
        transferBytes: e.transferSize ?? 0,
        at: performance.timeOrigin + e.startTime,
        from,
      }));
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
  /** Requests per outcome: together they make `requests`. */
  transferred: number;
  cached: number;
  failed: number;
  undisclosed: number;
  /** How the failed ones failed ("network error", "HTTP 404"), with how many of each, most first. */
  failures: Array<{ text: string; count: number }>;
  /** Bytes that came over the network (cache hits count 0; a failed request's error page counts). */
  transferBytes: number;
}

/** Requests grouped by the origin they went to, most first; only those started at or after `since`. */
export function byDestination(entries: readonly NetEntry[], since = 0): Destination[] {
  const map = new Map<string, Destination>();
  for (const e of entries) {
    if (e.at < since) continue;
    const origin = new URL(e.url).origin;
    let d = map.get(origin);
    if (!d) {
      d = { origin, requests: 0, transferred: 0, cached: 0, failed: 0, undisclosed: 0, failures: [], transferBytes: 0 };
      map.set(origin, d);
    }
    d.requests += 1;
    d[e.outcome] += 1;
    d.transferBytes += e.transferBytes;
    if (e.outcome === 'failed') {
      const text = failureText(e.status);
      const f = d.failures.find((x) => x.text === text);
      if (f) f.count += 1;
      else d.failures.push({ text, count: 1 });
    }
  }
  for (const d of map.values()) d.failures.sort((a, b) => b.count - a.count);
  return [...map.values()].sort((a, b) => b.requests - a.requests);
}
