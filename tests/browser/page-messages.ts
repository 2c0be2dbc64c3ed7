/**
 * Counts what the page posts to its workers and receives from them, installed before the app's
 * own scripts run (`context.addInitScript(countPageMessages, needles)`), so a test or the bench can
 * say how much data crossed the page and whether any of it was document text.
 *
 * Sizes are what structured cloning copies: a string's characters, an ArrayBuffer's or typed
 * array's bytes, 8 per number; a Blob or File is a handle (its bytes are not copied through the
 * page), so it is counted apart in `blobBytes`. `needles` are strings to look for in every string
 * of every message (e.g. a sentence only the dropped document holds).
 */

export interface PageMessageStats {
  /** Messages posted by the page to a worker (or a port), and their cloned size. */
  posted: number;
  postedBytes: number;
  /** Messages the page received from a worker, and their cloned size. */
  received: number;
  receivedBytes: number;
  /** Blob and File bytes passed by handle (not copied through the page). */
  blobBytes: number;
  /** How many message strings held each needle. */
  needleHits: Record<string, number>;
}

declare global {
  interface Window {
    __pageMessages?: PageMessageStats;
  }
}

/** Runs in the page (serialised by Playwright: it may use nothing from this module's scope). */
export function countPageMessages(needles: string[]): void {
  const stats: PageMessageStats = {
    posted: 0,
    postedBytes: 0,
    received: 0,
    receivedBytes: 0,
    blobBytes: 0,
    needleHits: Object.fromEntries(needles.map((n) => [n, 0])),
  };
  window.__pageMessages = stats;
  const size = (v: unknown, seen: Set<object>): number => {
    if (typeof v === 'string') {
      for (const n of needles) if (v.includes(n)) stats.needleHits[n]!++;
      return v.length;
    }
    if (typeof v === 'number') return 8;
    if (typeof v === 'boolean' || v === null || v === undefined) return 1;
    if (typeof v !== 'object') return 0;
    if (seen.has(v)) return 0;
    seen.add(v);
    if (v instanceof Blob) {
      stats.blobBytes += v.size;
      return 0;
    }
    if (v instanceof ArrayBuffer) return v.byteLength;
    if (ArrayBuffer.isView(v)) return v.byteLength;
    if (v instanceof MessagePort) return 0;
    let n = 0;
    if (v instanceof Map) for (const [k, x] of v) n += size(k, seen) + size(x, seen);
    else if (v instanceof Set) for (const x of v) n += size(x, seen);
    else for (const [k, x] of Object.entries(v)) n += k.length + size(x, seen);
    return n;
  };
  const postWorker = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: unknown) {
    stats.posted++;
    stats.postedBytes += size(message, new Set());
    return postWorker.call(this, message, transfer as StructuredSerializeOptions);
  };
  const postPort = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function (this: MessagePort, message: unknown, transfer?: unknown) {
    stats.posted++;
    stats.postedBytes += size(message, new Set());
    return postPort.call(this, message, transfer as StructuredSerializeOptions);
  };
  const PageWorker = window.Worker;
  window.Worker = class extends PageWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      this.addEventListener('message', (ev: MessageEvent) => {
        stats.received++;
        stats.receivedBytes += size(ev.data, new Set());
      });
    }
  };
}

/**
 * The counter as an init script for `addInitScript`. A string, not the function: tsx and vitest
 * compile functions with a `__name` helper that does not exist in the page.
 */
export function pageMessagesScript(needles: string[] = []): string {
  return `(() => { const __name = (f) => f; (${countPageMessages.toString()})(${JSON.stringify(needles)}); })();`;
}
