/**
 * One model load shared by every caller that wants the same model, on the page side of a worker
 * (the workers memoise too, with platform/memo-load.ts; this spares the round trip and, above all,
 * lets several views wait on one load instead of starting their own).
 *
 * - Same key: callers join the load in progress or get the loaded value; each sees its progress.
 * - Another key: a new load (the worker releases the previous model itself).
 * - Each caller may cancel its wait; the load itself is cancelled only when every caller waiting
 *   on it has, so one view giving up never breaks another's load.
 * - A failed or cancelled load is forgotten, so the next call tries again; `reset()` forgets a
 *   loaded value too (its worker crashed, or the GPU was lost).
 */

import { cancelled } from './errors';
import type { Progress } from './progress';

interface Loading<T> {
  key: string;
  promise: Promise<T>;
  controller: AbortController;
  waiting: number;
  listeners: Set<(p: Progress) => void>;
  value: T | null;
}

export interface WaitOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
}

export class SharedLoad<T> {
  private current: Loading<T> | null = null;
  /** Loads started (not joined): what a test counts to prove callers share one. */
  started = 0;

  /** Whether `key` is loaded or loading (a load every caller gave up on still counts until it settles). */
  has(key: string): boolean {
    return this.current?.key === key;
  }

  /** The loaded value for `key`, if that load has finished. */
  loaded(key: string): T | null {
    return this.current?.key === key ? this.current.value : null;
  }

  get(key: string, load: (signal: AbortSignal, onProgress: (p: Progress) => void) => Promise<T>, opts: WaitOptions = {}): Promise<T> {
    if (opts.signal?.aborted) return Promise.reject(cancelled());
    let c = this.current;
    // A load every caller gave up on is still settling: start afresh rather than join it.
    if (!c || c.key !== key || c.controller.signal.aborted) {
      const controller = new AbortController();
      const listeners = new Set<(p: Progress) => void>();
      const fresh: Loading<T> = { key, controller, listeners, waiting: 0, value: null, promise: Promise.resolve(null as T) };
      fresh.promise = load(controller.signal, (p) => {
        for (const l of listeners) l(p);
      }).then((v) => {
        fresh.value = v;
        return v;
      });
      fresh.promise.catch(() => {
        if (this.current === fresh) this.current = null;
      });
      this.started++;
      this.current = c = fresh;
    }
    return this.wait(c, opts);
  }

  private wait(c: Loading<T>, opts: WaitOptions): Promise<T> {
    if (c.value !== null) return Promise.resolve(c.value);
    const { signal, onProgress } = opts;
    c.waiting++;
    if (onProgress) c.listeners.add(onProgress);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const leave = (): void => {
        if (settled) return;
        settled = true;
        c.waiting--;
        if (onProgress) c.listeners.delete(onProgress);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        leave();
        // Nobody waits for it any more: stop the download or compile.
        if (c.waiting === 0 && c.value === null) c.controller.abort();
        reject(cancelled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      c.promise.then(
        (v) => {
          if (settled) return;
          leave();
          resolve(v);
        },
        (e: unknown) => {
          if (settled) return;
          leave();
          reject(e);
        },
      );
    });
  }

  /** Resolves when the load of `key` now in progress (if any) has loaded or failed. */
  settled(key: string): Promise<void> {
    const c = this.current;
    return c?.key === key
      ? c.promise.then(
          () => undefined,
          () => undefined,
        )
      : Promise.resolve();
  }

  /** Forgets the load (in progress or done): the next call loads again. */
  reset(): void {
    this.current = null;
  }
}
