// The worker protocol over Node's real MessageChannel (structured clone, transfer), no browser.
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient, serve, type Method } from '../../src/core/rpc';
import { channel } from './channel';
import { AppError } from '../../src/core/errors';

type TestProtocol = {
  add: Method<{ a: number; b: number }, number>;
  count: Method<{ to: number }, string, number>;
  wait: Method<null, 'finished'>;
  fail: Method<null, null>;
  crash: Method<null, null>;
  buffer: Method<{ n: number }, Float32Array>;
};

const open: Array<() => void> = [];
afterEach(() => {
  for (const close of open.splice(0)) close();
});

function connect(): { client: RpcClient<TestProtocol>; sawAbort: () => boolean; transferredLength: () => number } {
  const { page, worker, close } = channel();
  open.push(close);
  let aborted = false;
  let lastBuffer: Float32Array | null = null;
  serve<TestProtocol>(worker, {
    add: ({ a, b }) => a + b,
    count: ({ to }, ctx) => {
      for (let i = 1; i <= to; i++) ctx.emit(i);
      return 'counted';
    },
    wait: (_req, ctx) =>
      new Promise((_ok, fail) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          fail(new AppError('Cancelled', 'Cancelled.'));
        });
      }),
    fail: () => {
      throw new AppError('ModelNotFound', 'No such model.', { model: 'x' });
    },
    crash: () => {
      throw new TypeError('boom');
    },
    buffer: ({ n }, ctx) => {
      const v = new Float32Array(n).fill(0.5);
      ctx.transfer(v.buffer);
      lastBuffer = v;
      return v;
    },
  });
  return {
    client: new RpcClient<TestProtocol>(page),
    sawAbort: () => aborted,
    transferredLength: () => lastBuffer?.length ?? -1,
  };
}

describe('rpc', () => {
  it('returns typed results', async () => {
    const { client } = connect();
    const sum: number = await client.call('add', { a: 2, b: 3 });
    expect(sum).toBe(5);
  });

  it('streams events before the result, in order', async () => {
    const { client } = connect();
    const seen: number[] = [];
    const res = await client.call('count', { to: 4 }, { onEvent: (e) => seen.push(e) });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(res).toBe('counted');
  });

  it('keeps the error name, message and data across the boundary', async () => {
    const { client } = connect();
    const err = await client.call('fail', null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ name: 'ModelNotFound', message: 'No such model.', data: { model: 'x' } });
  });

  it('turns an unexpected exception into InternalError with the original text', async () => {
    const { client } = connect();
    const err = (await client.call('crash', null).catch((e: unknown) => e)) as AppError;
    expect(err.name).toBe('InternalError');
    expect(err.causeText).toBe('boom');
  });

  it('cancels a running call through its AbortSignal', async () => {
    const { client, sawAbort } = connect();
    const controller = new AbortController();
    const pending = client.call('wait', null, { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(pending).rejects.toMatchObject({ name: 'Cancelled' });
    expect(sawAbort()).toBe(true);
  });

  it('moves result buffers instead of copying them', async () => {
    const { client, transferredLength } = connect();
    const v = await client.call('buffer', { n: 1000 });
    expect(v).toBeInstanceOf(Float32Array);
    expect(v.length).toBe(1000);
    expect(v[999]).toBe(0.5);
    // A transferred buffer is detached on the sending side.
    expect(transferredLength()).toBe(0);
  });

  it('reports an unknown method as InvalidRequest', async () => {
    const { client } = connect();
    const untyped = client as unknown as RpcClient<{ nope: Method<null, null> }>;
    await expect(untyped.call('nope', null)).rejects.toMatchObject({ name: 'InvalidRequest' });
  });

  it('fails pending and later calls once the worker is gone', async () => {
    const { client } = connect();
    const pending = client.call('wait', null);
    client.fail(new AppError('WorkerCrashed', 'The worker stopped.'));
    await expect(pending).rejects.toMatchObject({ name: 'WorkerCrashed' });
    await expect(client.call('add', { a: 1, b: 1 })).rejects.toMatchObject({ name: 'WorkerCrashed' });
  });
});
