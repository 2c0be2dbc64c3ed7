/**
 * The page's state classes (src/state/*.svelte.ts, runes compiled by the Svelte plugin) driven in
 * Node exactly as the page drives them: built by createPageState over workers made of the real
 * handlers behind real MessageChannels (tests/unit/page-workers.ts), with the real transformers.js
 * runtime on the generated tiny models and the library over fake-indexeddb.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../../src/settings/defaults';
import { withOverrides } from '../../src/settings/validate';
import { createPageState, type PageState } from '../../src/state/page';
import { EmbedCheck, GenerateCheck } from '../../src/state/selftest.svelte';
import type { FileEntry } from '../../src/state/ingest.svelte';
import { fixtureModels } from '../fixtures/models';
import { useNodeWorkers, type NodeWorkers } from './page-workers';

const workers = useNodeWorkers();
const pages: PageState[] = [];
afterEach(() => {
  for (const p of pages.splice(0)) p.dispose();
});

function settings(): Settings {
  return withOverrides(DEFAULT_SETTINGS, {
    modelSource: fixtureModels(),
    embedding: { model: 'tiny-bert', device: 'wasm', dtype: 'fp32', batchSize: 4 },
    llm: { engine: 'transformers', transformersModel: 'tiny-gpt2', transformersDevice: 'wasm', transformersDtype: 'fp32', maxTokens: 8 },
  });
}

function page(w: NodeWorkers = workers()): { page: PageState; w: NodeWorkers } {
  const s = settings();
  const p = createPageState({ spawn: w.spawn, settings: () => s, gpu: () => null, origin: 'http://127.0.0.1' });
  pages.push(p);
  return { page: p, w };
}

/** Waits for a condition of the page state (the state has no events to await). */
async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const file = (name: string, text: string) => ({ file: new File([text], name, { type: 'text/plain' }), path: name });

const DOCS = [
  file('tides.txt', 'The moon pulls the oceans, so the tide rises and falls twice a day along most coasts.'),
  file('bread.txt', 'Sourdough bread rises slowly because wild yeast ferments the flour for many hours.'),
  file('trains.txt', 'The night train leaves the station at ten and reaches the coast by morning.'),
];

const statuses = (entries: FileEntry[]): Record<string, string> => Object.fromEntries(entries.map((e) => [e.name, e.status]));

/** Every stored document has vectors of the open model. */
const allEmbedded = (p: PageState, n: number): boolean =>
  p.library.documents.length === n && p.library.documents.every((d) => d.embedded) && p.embedding.phase === 'idle';

describe('page state: the drop queue', () => {
  it('stores dropped files from the ingest workers, lists duplicates by content, and embeds them all', async () => {
    const { page: p } = page();
    await p.library.open();
    await p.ingest.add([
      ...DOCS,
      file('copy of tides.txt', 'The moon pulls the oceans, so the tide rises and falls twice a day along most coasts.'),
    ]);
    expect(statuses(p.ingest.entries)).toEqual({
      'tides.txt': 'parsed',
      'bread.txt': 'parsed',
      'trains.txt': 'parsed',
      'copy of tides.txt': 'duplicate',
    });
    const tides = p.ingest.entries.find((e) => e.name === 'tides.txt')!;
    expect(tides).toMatchObject({ format: 'text', chunks: 1 });
    expect(p.ingest.entries.find((e) => e.name === 'copy of tides.txt')!.docId).toBe(tides.docId);
    await until('all three are embedded', () => allEmbedded(p, 3));
    expect(p.library.snapshot).toMatchObject({ chunks: 3, embeddedChunks: 3 });
    // Searchable by meaning (the tiny model's ranking is noise, so only the mode is checked).
    await p.search.run('wild yeast ferments', { mode: 'dense', k: 3 });
    expect(p.search.result?.modeUsed).toBe('dense');
    expect(p.search.result?.hits).toHaveLength(3);
  });

  it('cancel mid-drop: the file in hand and the rest are cancelled, what was stored stays, and the next drop works', async () => {
    const { page: p, w } = page();
    await p.library.open();
    // Large enough that reading each takes a while; one lane per file at a time (concurrency 2).
    const big = Array.from({ length: 8 }, (_, i) =>
      file(`log-${i}.txt`, Array.from({ length: 4000 }, (_, j) => `Entry ${i}-${j}: the lamp burned ${j} hours.`).join('\n')),
    );
    const drop = p.ingest.add(big);
    await until('the first file is stored', () => p.ingest.entries.some((e) => e.status === 'parsed'), 60_000);
    p.ingest.cancel();
    await drop;
    const after = p.ingest.entries.map((e) => e.status);
    expect(after.filter((s) => s === 'cancelled').length).toBeGreaterThan(0);
    expect(after.every((s) => s === 'parsed' || s === 'cancelled')).toBe(true);
    expect(p.ingest.running).toBe(false);
    await p.library.refresh();
    const stored = p.ingest.entries.filter((e) => e.status === 'parsed').map((e) => e.name);
    // A file whose store was under way when Cancel came may be stored too; nothing is half-stored.
    expect(p.library.documents.map((d) => d.name)).toEqual(expect.arrayContaining(stored));
    expect(p.library.documents.every((d) => d.chunkCount > 0)).toBe(true);
    expect(w.started.ingester).toBeGreaterThan(0);

    await p.ingest.add([DOCS[0]!]);
    expect(p.ingest.entries.at(-1)).toMatchObject({ name: 'tides.txt', status: 'parsed' });
  });

  it('an ingest worker crash fails its file by name; the next files get a fresh worker', async () => {
    const { page: p, w } = page();
    await p.library.open();
    // A parser stuck in a loop (see page-workers.ts), so the crash comes while the file is read.
    const drop = p.ingest.add([file('hang.txt', 'Never finished.')]);
    await until('the file is being read', () => p.ingest.entries[0]?.status === 'reading');
    w.crash('ingester');
    await drop;
    expect(p.ingest.entries[0]).toMatchObject({ status: 'error', error: { name: 'WorkerCrashed' } });
    await p.ingest.add([DOCS[1]!]);
    expect(p.ingest.entries[1]).toMatchObject({ name: 'bread.txt', status: 'parsed' });
    expect(w.started.ingester).toBe(2);
  });

  it('an embed worker crash stops embedding with a named error; Resume embeds the rest with a fresh worker', async () => {
    const { page: p, w } = page();
    await p.library.open();
    const release = w.holdEmbeds();
    await p.ingest.add(DOCS);
    await until('the first document is being embedded', () => p.embedding.phase === 'embedding');
    w.crash('embedder');
    await until('the crash is shown', () => p.embedding.phase === 'error');
    expect(p.embedding.error?.name).toBe('WorkerCrashed');
    expect(p.embedding.queuedDocs).toBe(3);
    release();
    p.embedding.resume();
    await until('all three are embedded', () => allEmbedded(p, 3));
    expect(w.started.embedder).toBe(2);
  });
});

describe('page state: collections', () => {
  it('switching collection while embedding stops that work at once, and switching back resumes it', async () => {
    const { page: p } = page();
    await p.library.open();
    const first = p.library.collectionId!;
    const many = Array.from({ length: 6 }, (_, i) =>
      file(`note-${i}.txt`, Array.from({ length: 120 }, (_, j) => `Note ${i}, line ${j}: the harbour light turns.`).join(' ')),
    );
    await p.ingest.add(many);
    await until('embedding is under way', () => p.embedding.phase === 'embedding');
    await p.library.createCollection('Second');
    expect(p.library.collectionId).not.toBe(first);
    expect(p.library.documents).toEqual([]);
    // Nothing of the first collection is queued or offered for the second.
    expect(p.embedding.queuedDocs).toBe(0);
    expect(p.embedding.offered).toEqual([]);
    await until('embedding is idle', () => p.embedding.phase === 'idle');
    expect(p.library.snapshot?.embeddedChunks).toBe(0);

    await p.library.switchCollection(first);
    await until('every note is embedded', () => allEmbedded(p, 6), 60_000);
    expect(p.library.snapshot!.embeddedChunks).toBe(p.library.snapshot!.chunks);
  });
});

describe('page state: one owner of the models', () => {
  it('the self-tests after a comparison reuse its models: one chat load, one embedding load', async () => {
    const { page: p, w } = page();
    await p.library.open();
    await p.ingest.add([DOCS[0]!]);
    await until('embedded', () => allEmbedded(p, 1));
    await p.compare.ask('When does the tide rise?', { mode: 'hybrid', maxTokens: 4 });
    expect(p.compare.phase).toBe('done');
    expect(p.compare.retrieval?.modeUsed).toBe('hybrid');

    const gen = new GenerateCheck(p.engines);
    await gen.run(settings(), 'The capital of France is');
    expect(gen.phase).toBe('done');
    const embed = new EmbedCheck(p.engines);
    await embed.run(settings(), 'The cat sat.', 'A cat was sitting.');
    expect(embed.phase).toBe('done');

    expect(w.started.chat).toBe(1);
    expect(w.loads.chat).toBe(1);
    expect(w.started.embedder).toBe(1);
    expect(w.loads.embed).toBe(1);
  });

  it('two callers asking for the same model at once share one load; one giving up does not stop the other', async () => {
    const { page: p, w } = page();
    const giveUp = new AbortController();
    const first = p.engines.chat({ signal: giveUp.signal });
    const second = p.engines.chat();
    giveUp.abort();
    await expect(first).rejects.toMatchObject({ name: 'Cancelled' });
    const { info } = await second;
    expect(info.model).toBe('tiny-gpt2');
    expect(w.loads.chat).toBe(1);
    expect(p.engines.loadsStarted.chat).toBe(1);
    expect(p.engines.chatReady).toBe(true);
  });
});
