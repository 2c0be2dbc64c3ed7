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
import { threePagePdf } from '../fixtures/docs/pdf-writer';
import { useNodeWorkers, type NodeWorkers } from './page-workers';

const workers = useNodeWorkers();
const pages: PageState[] = [];
afterEach(() => {
  for (const p of pages.splice(0)) p.dispose();
});

function settings(chatModel = 'tiny-gpt2'): Settings {
  return withOverrides(DEFAULT_SETTINGS, {
    modelSource: fixtureModels(),
    embedding: { model: 'tiny-bert', device: 'wasm', dtype: 'fp32', batchSize: 4 },
    llm: { engine: 'transformers', transformersModel: chatModel, transformersDevice: 'wasm', transformersDtype: 'fp32', maxTokens: 8 },
  });
}

function page(w: NodeWorkers = workers(), s: Settings = settings()): { page: PageState; w: NodeWorkers } {
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

  it('cancel mid-drop: the file in hand and the rest are cancelled, what was stored stays and is embedded, and the next drop works', async () => {
    const { page: p, w } = page();
    await p.library.open();
    // One lane is held by a file that never finishes (see page-workers.ts); the other stores files
    // until Cancel comes.
    const logs = Array.from({ length: 6 }, (_, i) => file(`log-${i}.txt`, `Log ${i}: the lamp burned ${i} hours at Quillfeather Point.`));
    const drop = p.ingest.add([file('hang.txt', 'Never finished.'), ...logs]);
    await until('a file is stored', () => p.ingest.entries.some((e) => e.status === 'parsed'));
    p.ingest.cancel();
    await drop;
    const after = statuses(p.ingest.entries);
    expect(after['hang.txt']).toBe('cancelled');
    expect(Object.values(after).every((s) => s === 'parsed' || s === 'cancelled')).toBe(true);
    expect(p.ingest.running).toBe(false);
    const stored = p.ingest.entries.filter((e) => e.status === 'parsed').map((e) => e.name);
    // Everything reported stored is listed and gets embedded; nothing else is in the library.
    await until('the stored files are embedded', () => allEmbedded(p, stored.length));
    expect(p.library.documents.map((d) => d.name).sort()).toEqual(stored.sort());
    expect(w.started.ingester).toBeGreaterThan(1); // the held lane's worker was stopped

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

describe('page state: what a drop did, per collection', () => {
  /** The drop's outcomes as the list's header says them. */
  const summary = (p: PageState): string => p.ingest.outcomes.map((o) => o.label).join(' · ');
  const listed = (p: PageState): string[] => p.ingest.listed.map((e) => e.name);

  it('counts what was added, not added and needs a password; lists just those; a new collection lists only its own drops', async () => {
    const { page: p } = page();
    await p.library.open();
    const first = p.library.collectionId!;
    await p.ingest.add([
      ...DOCS,
      file('copy of tides.txt', 'The moon pulls the oceans, so the tide rises and falls twice a day along most coasts.'),
      file('empty.txt', ''),
      {
        file: new File([Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])], 'picture.png'),
        path: 'picture.png',
      },
      { file: new File([threePagePdf({ userPassword: 'open sesame' }) as Uint8Array<ArrayBuffer>], 'locked.pdf'), path: 'locked.pdf' },
    ]);
    expect(summary(p)).toBe('3 added · 2 not added · 1 needs a password · 1 already added');
    p.ingest.filter = 'error';
    expect(listed(p)).toEqual(['empty.txt', 'picture.png']);
    p.ingest.filter = 'needs-password';
    expect(listed(p)).toEqual(['locked.pdf']);
    // Unlocked, nothing needs a password any more: the whole list is shown again.
    await p.ingest.unlock(p.ingest.listed[0]!.key, 'open sesame');
    expect(summary(p)).toBe('4 added · 2 not added · 1 already added');
    expect(listed(p)).toHaveLength(7);

    // A new collection starts with an empty list, and its drop counts its own files only.
    await p.library.createCollection('Second');
    expect(p.ingest.entries).toEqual([]);
    expect(summary(p)).toBe('');
    await p.ingest.add([DOCS[0]!, file('empty.txt', '')]);
    expect({ finished: p.ingest.finished, total: p.ingest.total }).toEqual({ finished: 2, total: 2 });
    expect(summary(p)).toBe('1 added · 1 not added');

    // Back in the first collection: its own list, as it was.
    await p.library.switchCollection(first);
    expect(p.ingest.total).toBe(7);
    expect(summary(p)).toBe('4 added · 2 not added · 1 already added');
  });

  it('files are stored in the collection they were dropped into, even when another is opened meanwhile', async () => {
    const { page: p, w } = page();
    await p.library.open();
    const first = p.library.collectionId!;
    const release = w.holdIngests();
    const drop = p.ingest.add(DOCS);
    await until('the files are being read', () => p.ingest.entries.some((e) => e.status === 'reading'));
    await p.library.createCollection('Second');
    // The drop into the first collection is not this one's.
    expect(p.ingest.entries).toEqual([]);
    release();
    await drop;
    expect(p.library.documents).toEqual([]);
    expect(p.embedding.queuedDocs).toBe(0);

    await p.library.switchCollection(first);
    expect(statuses(p.ingest.entries)).toEqual({ 'tides.txt': 'parsed', 'bread.txt': 'parsed', 'trains.txt': 'parsed' });
    expect(p.library.documents.map((d) => d.name).sort()).toEqual(['bread.txt', 'tides.txt', 'trains.txt']);
    await until('they are embedded', () => allEmbedded(p, 3));
  });
});

describe('page state: the library worker', () => {
  it('a library worker crash: the files being stored fail by name, the library opens again in a new worker, and work goes on', async () => {
    const { page: p, w } = page();
    await p.library.open();
    await p.ingest.add([DOCS[0]!]);
    await until('embedded', () => allEmbedded(p, 1));

    // A file whose store never completes: the crash comes while it is in hand.
    const drop = p.ingest.add([file('hang.txt', 'Never finished.')]);
    await until('the file is being read', () => p.ingest.entries[1]?.status === 'reading');
    w.crash('library');
    await drop;
    expect(p.ingest.entries[1]).toMatchObject({ status: 'error', error: { name: 'WorkerCrashed' } });
    await until('the library is open again', () => w.started.library === 2 && p.library.documents.length === 1);
    expect(p.library.storeError).toBeNull();

    // Drops, embedding and search go on with the new worker.
    await p.ingest.add([DOCS[1]!]);
    expect(p.ingest.entries[2]).toMatchObject({ name: 'bread.txt', status: 'parsed' });
    await until('both are embedded', () => allEmbedded(p, 2));
    await p.search.run('sourdough yeast', { mode: 'keyword', k: 1 });
    expect(p.search.result?.hits[0]).toMatchObject({ docName: 'bread.txt' });
  });
});

/** Drops DOCS, holds the embedding of the first one, then opens a new collection: the switch mid-embedding. */
async function switchMidEmbedding(): Promise<{ p: PageState; first: string; release: () => void }> {
  const { page: p, w } = page();
  await p.library.open();
  const first = p.library.collectionId!;
  const release = w.holdEmbeds();
  await p.ingest.add(DOCS);
  await until('the first document is being embedded', () => p.embedding.phase === 'embedding');
  await p.library.createCollection('Second');
  return { p, first, release };
}

describe('page state: collections', () => {
  it('switching collection while embedding stops that work at once, and switching back resumes it', async () => {
    const { p, first, release } = await switchMidEmbedding();
    expect(p.library.collectionId).not.toBe(first);
    expect(p.library.documents).toEqual([]);
    // Nothing of the first collection is queued or offered for the second.
    expect(p.embedding.queuedDocs).toBe(0);
    expect(p.embedding.offered).toEqual([]);
    release();
    await until('embedding is idle', () => p.embedding.phase === 'idle');
    expect(p.embedding.error).toBeNull();

    // Back in the first: it gained no vectors while it was closed, and its documents resume.
    await p.library.switchCollection(first);
    expect(p.library.snapshot).toMatchObject({ chunks: 3, embeddedChunks: 0 });
    await until('every document is embedded', () => allEmbedded(p, 3));
    expect(p.library.snapshot!.embeddedChunks).toBe(3);
  });

  it('switching mid-embedding leaves no stale progress, lists the first collection as having documents waiting, and embeds them back there', async () => {
    const { p, first, release } = await switchMidEmbedding();
    // Nothing is being embedded here, and no bar says otherwise.
    expect(p.embedding.progress).toBeNull();
    expect(p.embedding.current).toBeNull();
    // The first collection's documents wait for it to be opened again, and the list says so.
    expect(p.library.collections.find((c) => c.id === first)).toMatchObject({ documents: 3, waiting: 3 });
    expect(p.library.collections.find((c) => c.id === p.library.collectionId)).toMatchObject({ documents: 0, waiting: 0 });
    release();

    await p.library.switchCollection(first);
    await until('every document is embedded', () => allEmbedded(p, 3));
    await p.library.refresh();
    expect(p.library.collections.find((c) => c.id === first)).toMatchObject({ documents: 3, waiting: 0 });
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

describe('page state: the comparison', () => {
  it('a model that cannot be loaded: each pane says it did not run and why, instead of waiting forever', async () => {
    const { page: p } = page(workers(), settings('no-such-model'));
    await p.library.open();
    await p.ingest.add([DOCS[0]!]);
    await p.compare.ask('When does the tide rise?');
    expect(p.compare.phase).toBe('error');
    expect(p.compare.error?.name).toBe('ModelNotFound');
    for (const pane of [p.compare.plain, p.compare.grounded]) {
      expect(pane).toMatchObject({ run: null, running: false });
      expect(pane!.notRun).toBe('Not run: the model could not be loaded — see the error above.');
    }
  });

  it('retrieval that fails: the grounded pane says its passages could not be found, the plain one why it did not run', async () => {
    const { page: p, w } = page();
    await p.library.open();
    await p.ingest.add([DOCS[0]!]);
    await until('embedded', () => allEmbedded(p, 1));
    // Another tab deletes the library: the search has nothing to read.
    await w.deleteDatabase();
    await p.compare.ask('When does the tide rise?');
    expect(p.compare.phase).toBe('error');
    expect(p.compare.error).not.toBeNull();
    expect(p.compare.plain!.notRun).toBe('Not run: the comparison stopped when finding passages failed — see the error above.');
    expect(p.compare.grounded!.notRun).toBe('Not run: the passages could not be retrieved — see the error above.');
  });
});

describe('page state: earlier questions', () => {
  it('restoring an earlier question brings back what it was asked with (max tokens, temperature, passages), so asking again asks the same', async () => {
    const { page: p } = page();
    await p.library.open();
    await p.ingest.add([DOCS[0]!, DOCS[1]!]);
    await until('embedded', () => allEmbedded(p, 2));
    const asked = { mode: 'keyword', k: 1, temperature: 0.5, maxTokens: 3 } as const;
    await p.compare.ask('When does the tide rise?', asked);
    // Another question with the settings' own values since (what the box shows after Settings changed, say).
    p.compare.options = {};
    await p.compare.ask('Why does bread rise?');
    expect(p.compare.last!.params.maxTokens).toBe(8);

    p.compare.restore(p.compare.history.find((c) => c.question === 'When does the tide rise?')!);
    expect(p.compare.options).toEqual(asked);
    // Asked again from the question box, which asks with what it shows.
    await p.compare.ask(p.compare.draft, p.compare.options);
    expect(p.compare.phase).toBe('done');
    expect(p.compare.last!.params).toMatchObject({ maxTokens: 3, temperature: 0.5 });
    expect(p.compare.last!.asked).toEqual({ mode: 'keyword', k: 1 });
    expect(p.compare.retrieval!.hits).toHaveLength(1);
  });
});

describe('page state: panes', () => {
  it('pretraining vs fine-tuning vs retrieval on two local models on WASM: both stay loaded, in two workers; the next question loads nothing', async () => {
    const { page: p, w } = page();
    await p.library.open();
    await p.ingest.add([DOCS[0]!]);
    await until('embedded', () => allEmbedded(p, 1));
    p.compare.choosePreset('training');
    // transformers.js has no example pair: the fine-tuned pane asks for a model before anything runs.
    expect(p.compare.problems.map((x) => x.message)).toEqual(['"Fine-tuned model" has no model: choose one.']);
    p.compare.editPane('tuned', { model: 'tiny-gpt2-tuned' });
    expect(p.compare.problems).toEqual([]);

    await p.compare.ask('When does the tide rise?', { mode: 'keyword' });
    expect(p.compare.phase).toBe('done');
    expect(p.compare.panes.map((x) => [x.spec.label, x.run?.status, x.run?.model?.model])).toEqual([
      ['Base model', 'done', 'tiny-gpt2'],
      ['Fine-tuned model', 'done', 'tiny-gpt2-tuned'],
      ['Base model + your documents', 'done', 'tiny-gpt2'],
    ]);
    // On WASM the models take no GPU memory: no swap, each in an LLM worker of its own.
    expect(p.compare.plan!.swaps).toBe(0);
    expect(p.compare.steps).toEqual(['Loaded tiny-gpt2.', 'Loaded tiny-gpt2-tuned.']);
    expect(p.compare.plan!.notes.join(' ')).toContain('stay loaded together: they run on WASM');
    expect([w.started.chat, w.loads.chat]).toEqual([2, 2]);
    expect(p.engines.loadedLocals).toEqual([
      { engine: 'transformers', model: 'tiny-gpt2' },
      { engine: 'transformers', model: 'tiny-gpt2-tuned' },
    ]);
    // Only the pane with documents read passages.
    expect(p.compare.panes.map((x) => x.run?.passagesUsed)).toEqual([undefined, undefined, 1]);
    expect(p.compare.panes[2]!.messages.at(-1)!.content).toContain('The moon pulls the oceans');
    expect(p.compare.panes[0]!.messages.at(-1)!.content).not.toContain('The moon pulls the oceans');

    // The next question finds both loaded.
    await p.compare.ask('Why does the tide fall?', { mode: 'keyword' });
    expect(p.compare.steps).toEqual([]);
    expect(w.loads.chat).toBe(2);

    const kept = p.compare.history[0]!;
    expect(kept.panes!.map((x) => x.id)).toEqual(['base', 'tuned', 'base-docs']);
    expect(kept.runs!.map((r) => r.result?.text)).toEqual(p.compare.panes.map((x) => x.text));
    expect(kept.notes!.join(' ')).toContain('stay loaded together');

    // Another layout in between; restoring the comparison brings back its three panes, to ask again the same way.
    p.compare.choosePreset('documents');
    p.compare.restore(kept);
    expect(p.compare.panes.map((x) => x.spec.id)).toEqual(['base', 'tuned', 'base-docs']);
    expect(p.compare.paneList.map((x) => x.model)).toEqual(['tiny-gpt2', 'tiny-gpt2-tuned', 'tiny-gpt2']);

    // Anything outside a comparison asks for its model alone: the other one is released first.
    await p.engines.chat();
    expect(p.engines.loadedLocals).toEqual([{ engine: 'transformers', model: 'tiny-gpt2' }]);
    expect(w.loads.chat).toBe(2);
  });

  it('two local models whose memory needs are not known are not held together: one swap, said with why', async () => {
    const s = withOverrides(settings(), { llm: { transformersDevice: 'auto' } });
    const { page: p, w } = page(workers(), s);
    await p.library.open();
    await p.ingest.add([DOCS[0]!]);
    await until('embedded', () => allEmbedded(p, 1));
    p.compare.choosePreset('training');
    p.compare.editPane('tuned', { model: 'tiny-gpt2-tuned' });
    await p.compare.ask('When does the tide rise?', { mode: 'keyword' });
    expect(p.compare.panes.map((x) => x.run?.status)).toEqual(['done', 'done', 'done']);
    // The base model answers both of its panes before it makes room for the tuned one: one swap, not two.
    expect(p.compare.plan!.swaps).toBe(1);
    expect(p.compare.steps).toEqual([
      'Loaded tiny-gpt2.',
      'tiny-gpt2 is unloaded to make room for tiny-gpt2-tuned: the memory tiny-gpt2 needs is not known, so it is not held beside another model.',
      'Loaded tiny-gpt2-tuned.',
    ]);
    expect(w.loads.chat).toBe(2);
    expect(p.engines.loadedLocals).toEqual([{ engine: 'transformers', model: 'tiny-gpt2-tuned' }]);
  });

  it('a comparison kept before panes existed is restored as its two panes', async () => {
    const { page: p } = page();
    await p.library.open();
    await p.ingest.add([DOCS[0]!]);
    await until('embedded', () => allEmbedded(p, 1));
    await p.compare.ask('When does the tide rise?', { mode: 'keyword' });
    const { panes, runs, notes, ...rest } = p.compare.history[0]!;
    void notes;
    // The shape records had before: the two sides by name, the model that answered both.
    const old = { ...rest, id: 'old', plain: runs![0]!, grounded: runs![1]! };
    expect(panes!.map((x) => x.id)).toEqual(['plain', 'grounded']);
    p.compare.restore(old);
    expect(p.compare.panes.map((x) => [x.spec.id, x.spec.model, x.text])).toEqual([
      ['plain', 'tiny-gpt2', runs![0]!.result!.text],
      ['grounded', 'tiny-gpt2', runs![1]!.result!.text],
    ]);
    expect(p.compare.grounded!.run!.passagesUsed).toBe(1);
  });
});

describe('page state: one job on the local models at a time', () => {
  it('a comparison asked while another job holds the models is refused, saying who has them; nothing shown is cleared', async () => {
    const { page: p } = page();
    await p.library.open();
    await p.ingest.add([DOCS[0]!]);
    await p.compare.ask('When does the tide rise?', { mode: 'keyword' });
    const shown = p.compare.panes.map((x) => x.text);
    await p.engines.exclusive('An Evaluate run', async () => {
      expect(p.compare.modelsBusy).toBe('An Evaluate run');
      await p.compare.ask('Why does bread rise?', { mode: 'keyword' });
      expect(p.compare.error?.message).toBe(
        'An Evaluate run is using the language models of this tab: wait until it ends, or stop it, then ask again.',
      );
      expect(p.compare.question).toBe('When does the tide rise?');
      expect(p.compare.panes.map((x) => x.text)).toEqual(shown);
      const check = new GenerateCheck(p.engines);
      await check.run(settings(), 'The capital of France is');
      expect(check.phase).toBe('error');
      expect(check.error?.message).toMatch(/^An Evaluate run is using the language models of this tab/);
    });
    expect(p.compare.modelsBusy).toBeNull();
    await p.compare.ask('Why does bread rise?', { mode: 'keyword' });
    expect(p.compare.phase).toBe('done');
  });

  it('Stop before any pane has written anything keeps nothing: no history entry, the view idle', async () => {
    const { page: p } = page();
    await p.library.open();
    await p.ingest.add([DOCS[0]!]);
    const asking = p.compare.ask('When does the tide rise?', { mode: 'keyword' });
    // Pressed at once: the passages are still being found, no model is loaded yet.
    p.compare.stop();
    await asking;
    expect(p.compare.panes.map((x) => x.run?.status)).toEqual(['stopped', 'stopped']);
    expect(p.compare.phase).toBe('idle');
    await p.compare.loadHistory();
    expect(p.compare.history).toEqual([]);
  });

  it('a load every caller gave up on leaves its worker free for the next model, not a second worker', async () => {
    const { page: p } = page();
    const giveUp = new AbortController();
    const loading = p.engines.local({ engine: 'transformers', model: 'tiny-gpt2-tuned' }, { signal: giveUp.signal }, 'beside');
    giveUp.abort();
    await expect(loading).rejects.toMatchObject({ name: 'Cancelled' });
    await p.engines.settled();
    expect(p.engines.localWorkers).toEqual({ started: 1, taken: 0 });
    await p.engines.local({ engine: 'transformers', model: 'tiny-gpt2' }, {}, 'beside');
    expect(p.engines.localWorkers).toEqual({ started: 1, taken: 1 });
    expect(p.engines.loadedLocals).toEqual([{ engine: 'transformers', model: 'tiny-gpt2' }]);
  });
});

describe('page state: the pane layout', () => {
  it('going through the presets keeps each one’s edits; "undo my edits" brings back what Settings gives', () => {
    const { page: p } = page();
    p.compare.choosePreset('training');
    p.compare.editPane('tuned', { model: 'tiny-gpt2-tuned' });
    // Arrowing through the radio group chooses each preset in turn.
    p.compare.choosePreset('server');
    p.compare.choosePreset('documents');
    expect(p.compare.paneList.map((x) => x.id)).toEqual(['plain', 'grounded']);
    p.compare.choosePreset('training');
    expect(p.compare.paneList.map((x) => x.model)).toEqual(['tiny-gpt2', 'tiny-gpt2-tuned', 'tiny-gpt2']);
    p.compare.undoEdits();
    expect(p.compare.paneList.map((x) => x.model)).toEqual(['tiny-gpt2', '', 'tiny-gpt2']);
    // A server address typed without its scheme is read as the engine reads it.
    p.compare.choosePreset('server');
    p.compare.editPane('server-docs', { server: { baseUrl: 'localhost:11434' } });
    expect(p.compare.paneList[1]!.server).toEqual({ baseUrl: 'http://localhost:11434' });
    expect(p.compare.problems.map((x) => x.message)).toEqual(['"Server model + your documents" has no model: choose one.']);
  });
});
