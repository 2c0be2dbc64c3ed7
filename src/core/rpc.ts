/**
 * A typed request/response channel over `postMessage`, shared by every worker.
 *
 * A protocol is a map `{ method: { req; res; event } }`; `RpcClient.call('method', req)` infers
 * the result type, so nothing at a call site is cast. Calls may stream typed events (progress,
 * tokens) before their result, may be cancelled through an AbortSignal (the worker's handler gets
 * an AbortSignal of its own), and fail with the named `AppError` the handler threw.
 *
 * The same code serves a Worker, a worker's `self`, and Node's `MessageChannel` ports, which is
 * how unit tests drive a handler through a real structured-clone boundary without a browser.
 */

import { AppError, deserializeError, serializeError, type SerializedError } from './errors';

export interface Method<Req, Res, Event = never> {
  req: Req;
  res: Res;
  event: Event;
}

// `any` here only constrains the shape of user protocols; every call site is fully typed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Protocol = Record<string, Method<any, any, any>>;

type CallMsg = { rpc: 'call'; id: number; method: string; req: unknown };
type CancelMsg = { rpc: 'cancel'; id: number };
type ResultMsg = { rpc: 'result'; id: number; res: unknown };
type ErrorMsg = { rpc: 'error'; id: number; error: SerializedError };
type EventMsg = { rpc: 'event'; id: number; event: unknown };
export type RpcMessage = CallMsg | CancelMsg | ResultMsg | ErrorMsg | EventMsg;

/** What both a Worker and a worker global (and a MessagePort) provide. */
export interface Endpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  removeEventListener?(type: 'message', listener: (ev: MessageEvent) => void): void;
}

/**
 * A MessagePort handed to a worker as an endpoint: workers talk to each other through such ports
 * (the page makes the channel and gives each worker one end). A port delivers nothing until started.
 */
export function portEndpoint(port: MessagePort): Endpoint {
  port.start();
  return port;
}

export function isRpcMessage(data: unknown): data is RpcMessage {
  return typeof data === 'object' && data !== null && typeof (data as { rpc?: unknown }).rpc === 'string';
}

export interface HandlerContext<Event> {
  signal: AbortSignal;
  emit(event: Event, transfer?: Transferable[]): void;
  /** Buffers to move (not copy) with the result, e.g. a Float32Array's buffer of embeddings. */
  transfer(...buffers: Transferable[]): void;
}

export type Handlers<P extends Protocol> = {
  [K in keyof P]: (req: P[K]['req'], ctx: HandlerContext<P[K]['event']>) => Promise<P[K]['res']> | P[K]['res'];
};

/** Answers calls arriving on `endpoint` with `handlers`. Returns a function that stops serving. */
export function serve<P extends Protocol>(endpoint: Endpoint, handlers: Handlers<P>): () => void {
  const running = new Map<number, AbortController>();

  const listener = (ev: MessageEvent): void => {
    const msg: unknown = ev.data;
    if (!isRpcMessage(msg)) return;
    if (msg.rpc === 'cancel') {
      running.get(msg.id)?.abort();
      return;
    }
    if (msg.rpc !== 'call') return;
    void answer(msg);
  };

  async function answer(msg: CallMsg): Promise<void> {
    const { id, method } = msg;
    const controller = new AbortController();
    running.set(id, controller);
    const transfers: Transferable[] = [];
    const ctx: HandlerContext<unknown> = {
      signal: controller.signal,
      emit: (event, transfer) => endpoint.postMessage({ rpc: 'event', id, event } satisfies EventMsg, transfer ?? []),
      transfer: (...buffers) => transfers.push(...buffers),
    };
    try {
      const handler = Object.prototype.hasOwnProperty.call(handlers, method)
        ? (handlers[method] as (req: unknown, ctx: HandlerContext<unknown>) => unknown)
        : undefined;
      if (!handler) throw new AppError('InvalidRequest', `This worker has no method "${method}".`);
      const res = await handler(msg.req, ctx);
      endpoint.postMessage({ rpc: 'result', id, res } satisfies ResultMsg, transfers);
    } catch (e) {
      endpoint.postMessage({ rpc: 'error', id, error: serializeError(e) } satisfies ErrorMsg);
    } finally {
      running.delete(id);
    }
  }

  endpoint.addEventListener('message', listener);
  return () => {
    endpoint.removeEventListener?.('message', listener);
    for (const c of running.values()) c.abort();
    running.clear();
  };
}

export interface CallOptions<Event> {
  signal?: AbortSignal | undefined;
  onEvent?: ((event: Event) => void) | undefined;
  transfer?: Transferable[] | undefined;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onEvent: ((e: unknown) => void) | undefined;
  cleanup(): void;
}

export class RpcClient<P extends Protocol> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: AppError | null = null;

  constructor(private readonly endpoint: Endpoint) {
    endpoint.addEventListener('message', (ev) => this.onMessage(ev));
  }

  call<K extends keyof P & string>(method: K, req: P[K]['req'], opts: CallOptions<P[K]['event']> = {}): Promise<P[K]['res']> {
    if (this.failure) return Promise.reject(this.failure);
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(new AppError('Cancelled', 'Cancelled.'));
    const id = this.nextId++;
    return new Promise<P[K]['res']>((resolve, reject) => {
      const onAbort = (): void => this.endpoint.postMessage({ rpc: 'cancel', id } satisfies CancelMsg);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onEvent: opts.onEvent as ((e: unknown) => void) | undefined,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      this.endpoint.postMessage({ rpc: 'call', id, method, req } satisfies CallMsg, opts.transfer ?? []);
    });
  }

  /**
   * Fails every pending and future call, e.g. when the worker crashed or was terminated, so no
   * caller waits forever on a worker that will never answer.
   */
  fail(error: AppError): void {
    this.failure = error;
    for (const p of this.pending.values()) {
      p.cleanup();
      p.reject(error);
    }
    this.pending.clear();
  }

  private onMessage(ev: MessageEvent): void {
    const msg: unknown = ev.data;
    if (!isRpcMessage(msg) || msg.rpc === 'call' || msg.rpc === 'cancel') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.rpc === 'event') {
      p.onEvent?.(msg.event);
      return;
    }
    this.pending.delete(msg.id);
    p.cleanup();
    if (msg.rpc === 'result') p.resolve(msg.res);
    else p.reject(deserializeError(msg.error));
  }
}

/** A worker's client together with the power to stop the worker (see src/state/workers.ts). */
export interface Supervised<C> {
  client: C;
  /** Stops the worker; pending calls fail with `Cancelled`. */
  terminate(): void;
}
