/**
 * A model load memoised as a promise (the transformers.js pattern): callers asking for the same
 * model share one load; asking for another releases the previous model first; a failed load is
 * dropped so the next call retries instead of replaying the failure forever.
 */
export class MemoLoad<T> {
  private current: Promise<T> | null = null;
  private key = '';

  constructor(private readonly release: (value: T) => unknown) {}

  get(key: string, create: () => Promise<T>): Promise<T> {
    if (this.current && this.key === key) return this.current;
    const previous = this.current;
    const p = (async () => {
      if (previous) await previous.then(this.release).catch(() => undefined);
      return create();
    })();
    this.current = p;
    this.key = key;
    p.catch(() => {
      if (this.current === p) {
        this.current = null;
        this.key = '';
      }
    });
    return p;
  }

  /** The load in progress or done, if any. */
  get value(): Promise<T> | null {
    return this.current;
  }

  async clear(): Promise<void> {
    const c = this.current;
    this.current = null;
    this.key = '';
    if (c) await c.then(this.release).catch(() => undefined);
  }
}
