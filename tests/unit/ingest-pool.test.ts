/**
 * The ingest pool with real ingest handlers behind real MessageChannels, each connected (by a port,
 * as the page connects them) to a real library worker that stores what they read. One lane's
 * handler can be told to hang, to prove a stuck file is abandoned and its worker replaced while the
 * rest go on.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type Handlers, type Supervised } from '../../src/core/rpc';
import { AppError, type SerializedError } from '../../src/core/errors';
import type { IngestProtocol, IngestResult } from '../../src/ingest/protocol';
import { ingestHandlers } from '../../src/ingest/handler';
import { WorkerIngester } from '../../src/ingest/client';
import { IngestPool, type PoolEvents, type PoolJob, type PoolOptions } from '../../src/ingest/pool';
import { DEFAULT_CHUNK_OPTIONS } from '../../src/ingest/chunker';
import { channel } from './channel';
import { useLibraries } from './library-harness';
import { MessageChannel } from 'node:worker_threads';
import type { WorkerLibrary } from '../../src/library/client';

const { database, start } = useLibraries();

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Real handlers, except that a file named hang.txt never finishes (like a parser in a loop). */
async function openLibrary(): Promise<WorkerLibrary> {
  const lib = start(database());
  await lib.open({ model: 'm' });
  return lib;
}

function spawner(lib: WorkerLibrary): { spawn: () => Supervised<WorkerIngester>; spawned: () => number; terminated: () => number } {
  let spawned = 0;
  let terminated = 0;
  return {
    spawned: () => spawned,
    terminated: () => terminated,
    spawn: () => {
      spawned++;
      const real = ingestHandlers();
      const handlers: Handlers<IngestProtocol> = {
        ...real,
        ingest: (req, ctx) => (req.name === 'hang.txt' ? new Promise<IngestResult>(() => undefined) : real.ingest(req, ctx)),
      };
      const { page, worker, close } = channel();
      const stop = serve(worker, handlers);
      const client = new WorkerIngester(page);
      const ports = new MessageChannel();
      void lib.connect(ports.port1 as unknown as MessagePort);
      void client.connectLibrary(ports.port2 as unknown as MessagePort);
      const terminate = (): void => {
        terminated++;
        stop();
        close();
        client.rpc.fail(new AppError('Cancelled', 'stopped'));
      };
      cleanups.push(() => {
        stop();
        close();
      });
      return { client, terminate };
    },
  };
}

function job(name: string, text: string): PoolJob {
  return { key: name, name, file: new Blob([text]) };
}

function recorder(): { events: PoolEvents; results: Map<string, IngestResult>; errors: Map<string, SerializedError> } {
  const results = new Map<string, IngestResult>();
  const errors = new Map<string, SerializedError>();
  return {
    results,
    errors,
    events: {
      start: () => undefined,
      progress: () => undefined,
      done: (j, r) => results.set(j.name, r),
      fail: (j, e) => errors.set(j.name, e),
    },
  };
}

const OPTS: PoolOptions = {
  concurrency: 2,
  timeoutMs: 1500,
  maxBytes: 1_000_000,
  chunking: DEFAULT_CHUNK_OPTIONS,
  knownIds: () => [],
  store: 'add',
};

describe('ingest pool', () => {
  it('reads and stores every good file while a hanging one times out and its worker is replaced', async () => {
    const lib = await openLibrary();
    const s = spawner(lib);
    const pool = new IngestPool(s.spawn);
    const r = recorder();
    const jobs = [
      job('a.txt', 'Alpha text.'),
      job('hang.txt', 'x'),
      job('b.md', '# Bee\n\nBody.'),
      job('c.txt', 'Gamma.'),
      job('d.txt', 'Delta.'),
    ];
    // One lane, so the files after the stuck one can only be read by its replacement.
    await pool.run(jobs, { ...OPTS, concurrency: 1 }, r.events);
    expect([...r.results.keys()].sort()).toEqual(['a.txt', 'b.md', 'c.txt', 'd.txt']);
    expect(r.errors.get('hang.txt')).toMatchObject({ name: 'ParseTimeout', data: { file: 'hang.txt' } });
    expect(s.terminated()).toBe(1);
    expect(s.spawned()).toBe(2); // the first worker, then the replacement for the stuck one
    // Stored by the workers themselves: the pool's caller sees summaries, the library the documents.
    expect(r.results.get('b.md')).toMatchObject({
      kind: 'stored',
      status: 'added',
      summary: { name: 'b.md', format: 'markdown', chunks: 1 },
    });
    const snap = await lib.snapshot();
    expect(snap.documents.map((d) => d.name).sort()).toEqual(['a.txt', 'b.md', 'c.txt', 'd.txt']);
    const hit = (await lib.search({ query: 'bee body', mode: 'keyword', k: 1 })).hits[0];
    expect(hit).toMatchObject({ docName: 'b.md', headingPath: ['Bee'] });
  });

  it('reports files already in the library as duplicates, by content, whatever their name', async () => {
    const lib = await openLibrary();
    const s = spawner(lib);
    const pool = new IngestPool(s.spawn);
    const first = recorder();
    await pool.run([job('one.txt', 'Same words.')], OPTS, first.events);
    const r1 = first.results.get('one.txt');
    const id = r1?.kind === 'stored' ? r1.summary.docId : '';
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const second = recorder();
    await pool.run(
      [job('copy of one.txt', 'Same words.'), job('other.txt', 'Other words.')],
      { ...OPTS, knownIds: () => [id] },
      second.events,
    );
    expect(second.results.get('copy of one.txt')).toEqual({ kind: 'duplicate', id });
    expect(second.results.get('other.txt')).toMatchObject({ kind: 'stored', status: 'added' });
    // The same bytes under another name in one drop, before the library's list knew of the first:
    // the library itself refuses the second copy.
    const third = recorder();
    await pool.run([job('again.txt', 'Fresh words.'), job('again copy.txt', 'Fresh words.')], { ...OPTS, concurrency: 1 }, third.events);
    expect([third.results.get('again.txt'), third.results.get('again copy.txt')].map((x) => x?.kind === 'stored' && x.status)).toEqual([
      'added',
      'duplicate',
    ]);
  });

  it('refuses a file over the size limit by name, before reading it', async () => {
    const pool = new IngestPool(spawner(await openLibrary()).spawn);
    const r = recorder();
    await pool.run([job('big.txt', 'x'.repeat(2000))], { ...OPTS, maxBytes: 1000 }, r.events);
    expect(r.errors.get('big.txt')).toMatchObject({ name: 'FileTooLarge', data: { size: 2000, limit: 1000 } });
  });

  it('cancels the running files and everything still queued', async () => {
    const s = spawner(await openLibrary());
    const pool = new IngestPool(s.spawn);
    const r = recorder();
    const controller = new AbortController();
    const jobs = [job('hang.txt', 'x'), job('later.txt', 'z')];
    setTimeout(() => controller.abort(), 50);
    await pool.run(jobs, { ...OPTS, concurrency: 1, timeoutMs: 10_000 }, r.events, controller.signal);
    expect(r.errors.get('hang.txt')?.name).toBe('Cancelled');
    expect(r.errors.get('later.txt')?.name).toBe('Cancelled');
    expect(r.results.size).toBe(0);
    expect(s.terminated()).toBe(1);
  });
});
