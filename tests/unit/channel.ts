/**
 * A real structured-clone boundary in Node: a MessageChannel whose ports look like the DOM's
 * Worker/`self` (addEventListener('message') with MessageEvent-shaped events).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Endpoint } from '../../src/core/rpc';

export function endpoint(port: MessagePort): Endpoint {
  const map = new Map<(ev: MessageEvent) => void, (data: unknown) => void>();
  return {
    postMessage: (m, transfer) => port.postMessage(m, transfer as never),
    addEventListener: (_t, fn) => {
      const wrapped = (data: unknown): void => fn({ data } as MessageEvent);
      map.set(fn, wrapped);
      port.on('message', wrapped);
    },
    removeEventListener: (_t, fn) => {
      const wrapped = map.get(fn);
      if (wrapped) port.off('message', wrapped);
    },
  };
}

/** Two connected endpoints: [page side, worker side], plus a close for afterEach. */
export function channel(): { page: Endpoint; worker: Endpoint; close(): void } {
  const { port1, port2 } = new MessageChannel();
  return {
    page: endpoint(port1),
    worker: endpoint(port2),
    close: () => {
      port1.close();
      port2.close();
    },
  };
}
