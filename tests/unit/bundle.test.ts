/**
 * The portable index, driven as the page drives it (library worker over a real MessageChannel,
 * fake-indexeddb): a collection exported on one "machine" and imported on another searches the
 * same, by keyword and by meaning, and brings its question sets; a truncated, edited, newer or
 * wrong-model bundle, or one with malformed question sets, is refused by name and the receiving
 * library is left exactly as it was; a version 1 bundle (before question sets) still imports.
 */
import 'fake-indexeddb/auto';
import JSZip from 'jszip';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkerLibrary } from '../../src/library/client';
import { ingestFile } from '../../src/ingest/ingest';
import { TransformersEmbedder } from '../../src/embed/transformers';
import type { SearchMode } from '../../src/index/types';
import type { QuestionSetRecord } from '../../src/eval/runs';
import { useLibraries } from './library-harness';
import { fixtureModels } from '../fixtures/models';

const MODEL = 'tiny-bert';
const CHUNKING = { chunkTokens: 64, overlapTokens: 8 };
const libraries = useLibraries();

let embedder: TransformersEmbedder;
beforeAll(async () => {
  embedder = new TransformersEmbedder();
  await embedder.load({ model: MODEL, source: { kind: 'local', path: fixtureModels() }, device: 'wasm', dtype: 'fp32' });
});

/** A library on a machine of its own (its own IndexedDB). */
function machine(): WorkerLibrary {
  return libraries.start(libraries.database());
}

const TEXTS: Record<string, string> = {
  'tides.md':
    '# Tides\n\nThe moon pulls the oceans, so the tide rises and falls twice a day along most coasts. Spring tides follow the full moon.',
  'bread.md': '# Baking\n\nSourdough bread rises slowly because wild yeast ferments the flour for many hours before baking.',
  'trains.md': '# Railways\n\nThe night train leaves the station at ten and reaches the coast by morning, past the harbour.',
};

async function fill(lib: WorkerLibrary): Promise<void> {
  await lib.open({ model: MODEL });
  for (const [name, text] of Object.entries(TEXTS)) {
    const r = await ingestFile(new Blob([text]), { name, maxBytes: 1e6, chunking: CHUNKING });
    if (r.kind !== 'parsed') throw new Error('expected a parsed document');
    await lib.add(r.doc, new Blob([text]));
    const out = await embedder.embed({ texts: r.doc.chunks.map((c) => c.text), kind: 'passage', batchSize: 8 });
    await lib.putVectors(r.doc.id, MODEL, out.dim, out.vectors);
  }
}

const QUERIES = ['when does the tide rise', 'yeast in bread', 'night train to the coast', 'harbour moon'];

async function results(lib: WorkerLibrary, mode: SearchMode): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const q of QUERIES) {
    const queryVector = (await embedder.embed({ texts: [q], kind: 'query', batchSize: 1 })).vectors;
    const r = await lib.search({ query: q, mode, k: 5, queryVector });
    out.push(r.hits.map((h) => ({ chunkId: h.chunkId, docName: h.docName, text: h.text, score: h.score, rank: h.rank })));
  }
  return out;
}

async function exported(originals = true): Promise<{ bytes: Uint8Array; source: WorkerLibrary }> {
  const source = machine();
  await fill(source);
  const { bytes, name } = await source.exportCollection(originals, CHUNKING);
  expect(name).toBe('My documents.ragscope.zip');
  return { bytes, source };
}

/** Rewrites one file inside a bundle without fixing its checksum, as an edit by hand would. */
async function edit(bytes: Uint8Array, path: string, change: (s: string) => string): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(bytes);
  zip.file(path, change(await zip.file(path)!.async('string')));
  return zip.generateAsync({ type: 'uint8array' });
}

/** Rewrites one file and fixes its checksum in the manifest: a consistent file some other tool wrote. */
async function rewrite(bytes: Uint8Array, path: string, change: (s: string) => string): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(bytes);
  const data = new TextEncoder().encode(change(await zip.file(path)!.async('string')));
  const manifest = JSON.parse(await zip.file('manifest.json')!.async('string')) as {
    files: Record<string, { sha256: string; bytes: number }>;
  };
  const digest = Buffer.from(await crypto.subtle.digest('SHA-256', data)).toString('hex');
  manifest.files[path] = { sha256: digest, bytes: data.byteLength };
  zip.file(path, data);
  zip.file('manifest.json', JSON.stringify(manifest, null, 2));
  return zip.generateAsync({ type: 'uint8array' });
}

describe('portable index bundle', () => {
  it('imports on another machine as a new collection that searches exactly the same, with its original files', async () => {
    const { bytes, source } = await exported();
    const target = machine();
    await target.open({ model: MODEL });
    const imported = await target.importBundle(bytes.slice(), MODEL);
    expect(imported).toMatchObject({ name: 'My documents (imported)', documents: 3 });
    const snap = await target.open({ model: MODEL, collectionId: imported.collectionId });
    expect(snap.documents.map((d) => [d.name, d.embedded]).sort()).toEqual([
      ['bread.md', true],
      ['tides.md', true],
      ['trains.md', true],
    ]);
    for (const mode of ['keyword', 'dense', 'hybrid'] as const) {
      expect(await results(target, mode), mode).toEqual(await results(source, mode));
    }
    const tides = snap.documents.find((d) => d.name === 'tides.md')!;
    // How each document was chunked travels with it: the imported ones are not "chunked otherwise".
    const sourceDocs = (await source.snapshot()).documents;
    expect(tides.indexing).toEqual(sourceDocs.find((d) => d.name === 'tides.md')!.indexing);
    expect(tides.indexing).toMatchObject({ chunkTokens: CHUNKING.chunkTokens, overlapTokens: CHUNKING.overlapTokens });
    const original = await target.original(tides.id);
    expect(await original!.file.text()).toBe(TEXTS['tides.md']);
  });

  it('carries the words text recognition read with their original, so passages are highlighted on the page after import', async () => {
    const source = machine();
    await source.open({ model: MODEL });
    const text = 'Repairs to the northern breakwater began in March.';
    const r = await ingestFile(new Blob([text]), { name: 'scan.txt', maxBytes: 1e6, chunking: CHUNKING });
    if (r.kind !== 'parsed') throw new Error('expected a parsed document');
    const words = [{ text: 'Repairs', confidence: 0.96, box: { x0: 120, y0: 90, x1: 260, y1: 126 } }];
    await source.add(
      { ...r.doc, ocr: [{ page: 1, width: 1240, height: 1754, words, paragraphs: [text], confidence: 0.96, ms: 5, indexed: true }] },
      new Blob([text]),
    );
    const { bytes } = await source.exportCollection(true, CHUNKING);
    expect(Object.keys((await JSZip.loadAsync(bytes)).files)).toContain(`ocr/${r.doc.id}.json`);
    const target = machine();
    await target.open({ model: MODEL });
    const imported = await target.importBundle(bytes.slice(), MODEL);
    await target.open({ model: MODEL, collectionId: imported.collectionId });
    expect((await target.original(r.doc.id))!.ocr).toEqual([{ page: 1, width: 1240, height: 1754, words }]);
    // Words that are not what they claim are refused like any damaged file.
    const bad = await rewrite(bytes, `ocr/${r.doc.id}.json`, () => '[{"page":1}]');
    await expect(target.importBundle(bad, MODEL)).rejects.toMatchObject({ name: 'InvalidBundle' });
  });

  it('refuses a truncated, edited, newer or wrong-model bundle by name, and changes nothing', async () => {
    const { bytes } = await exported();
    const target = machine();
    await target.open({ model: MODEL });
    const before = JSON.stringify((await target.snapshot()).collections);

    const cases: [string, Uint8Array, string, string, RegExp][] = [
      ['truncated', bytes.slice(0, Math.floor(bytes.length * 0.6)), MODEL, 'InvalidBundle', /incomplete/],
      [
        'edited text',
        await edit(bytes, 'documents.json', (s) => s.replace('wild yeast', 'tame yeast')),
        MODEL,
        'InvalidBundle',
        /documents\.json.*checksum/,
      ],
      [
        'newer format',
        await edit(bytes, 'manifest.json', (s) => s.replace('"version": 1', '"version": 7')),
        MODEL,
        'InvalidBundle',
        /newer ragscope.*format 7/,
      ],
      ['not a bundle', new TextEncoder().encode('just some text'), MODEL, 'InvalidBundle', /not a ragscope collection/],
      [
        'a malformed profile, checksums and all',
        await rewrite(bytes, 'documents.json', (s) => s.replace(/"label":\[[^\]]*\]/, '"label":"not a list"')),
        MODEL,
        'InvalidBundle',
        /the profile of “.+” is malformed/,
      ],
      ['another model', bytes, 'Xenova/bge-small-en-v1.5', 'EmbeddingModelMismatch', /embedded with tiny-bert.*Settings → Embedding model/],
    ];
    for (const [label, data, model, name, message] of cases) {
      const err = await target.importBundle(data.slice(), model).catch((e: unknown) => e);
      expect(err, label).toMatchObject({ name, message: expect.stringMatching(message) });
      expect(JSON.stringify((await target.snapshot()).collections), label).toBe(before);
    }
  });

  it('a collection without vectors travels for keyword search and imports whatever embedding model is chosen', async () => {
    const source = machine();
    await source.open({ model: MODEL });
    const r = await ingestFile(new Blob([TEXTS['bread.md']!]), { name: 'bread.md', maxBytes: 1e6, chunking: CHUNKING });
    if (r.kind !== 'parsed') throw new Error('expected a parsed document');
    await source.add(r.doc);
    const { bytes } = await source.exportCollection(false, CHUNKING);
    const target = machine();
    await target.open({ model: 'another-model' });
    const imported = await target.importBundle(bytes, 'another-model');
    const snap = await target.open({ model: 'another-model', collectionId: imported.collectionId });
    expect(snap.documents.map((d) => [d.name, d.embedded])).toEqual([['bread.md', false]]);
    const hits = await target.search({ query: 'sourdough yeast', mode: 'keyword', k: 3 });
    expect(hits.hits[0]!.docName).toBe('bread.md');
  });

  it('carries the collection’s question sets: version 2 with questions.json, new ids in the new collection', async () => {
    const source = machine();
    const snap = await source.open({ model: MODEL });
    const r = await ingestFile(new Blob([TEXTS['bread.md']!]), { name: 'bread.md', maxBytes: 1e6, chunking: CHUNKING });
    if (r.kind !== 'parsed') throw new Error('expected a parsed document');
    await source.add(r.doc);
    const bread = r.doc;

    // Without sets the bundle is exactly version 1, which every earlier reader takes.
    const plain = await source.exportCollection(false, CHUNKING);
    const plainZip = await JSZip.loadAsync(plain.bytes);
    const plainManifest = JSON.parse(await plainZip.file('manifest.json')!.async('string')) as { version: number; files: object };
    expect(plainManifest.version).toBe(1);
    expect(Object.keys(plainManifest.files)).toEqual(['documents.json']);

    const typed: QuestionSetRecord = {
      id: 'set-typed',
      collectionId: snap.collectionId,
      name: 'Baking questions',
      createdAt: 1000,
      updatedAt: 1500,
      origin: 'imported',
      file: 'baking.csv',
      questions: [
        {
          id: 'q1',
          question: 'Why does sourdough rise slowly?',
          answer: 'Wild yeast.',
          sources: ['bread*'],
          type: 'Why',
          chunkType: 'Text',
        },
      ],
    };
    const generated: QuestionSetRecord = {
      id: 'set-generated',
      collectionId: snap.collectionId,
      name: 'Generated',
      createdAt: 2000,
      updatedAt: 2000,
      origin: 'generated',
      generator: { model: 'Llama-3.2-1B', promptVersion: 1, sampled: 3, dropped: { duplicate: 1, unanswerable: 1 } },
      questions: [
        {
          id: 'g1',
          question: 'What ferments the flour?',
          answer: 'Wild yeast ferments the flour.',
          sources: [],
          type: '',
          chunkType: '',
          gold: { docId: bread.id, docName: 'bread.md', ordinal: 0, text: bread.chunks[0]!.text },
        },
      ],
    };
    await source.saveQuestionSet(typed);
    await source.saveQuestionSet(generated);
    const { bytes } = await source.exportCollection(false, CHUNKING);
    const zip = await JSZip.loadAsync(bytes);
    const manifest = JSON.parse(await zip.file('manifest.json')!.async('string')) as { version: number; files: Record<string, unknown> };
    expect(manifest.version).toBe(2);
    expect(manifest.files['questions.json']).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const carried = JSON.parse(await zip.file('questions.json')!.async('string')) as object[];
    expect(carried.map((s) => Object.keys(s).filter((k) => k === 'id' || k === 'collectionId'))).toEqual([[], []]);

    const target = machine();
    await target.open({ model: MODEL });
    const before = JSON.stringify((await target.snapshot()).collections);

    // Malformed sets, with consistent checksums (another tool wrote them): refused by name, nothing written.
    const bad: [string, (s: string) => string, RegExp][] = [
      ['not JSON', () => '{', /not JSON/],
      [
        'a set without questions',
        (s) => JSON.stringify((JSON.parse(s) as object[]).map((set) => ({ ...set, questions: [] }))),
        /without questions/,
      ],
      ['an unknown origin', (s) => s.replace('"origin":"imported"', '"origin":"dreamt"'), /unknown origin/],
      ['a question without an answer', (s) => s.replace('"answer":"Wild yeast."', '"answer":7'), /missing field/],
      ['a passage of a document it lacks', (s) => s.replace(bread.id, 'f'.repeat(64)), /document the file does not carry/],
    ];
    for (const [label, change, message] of bad) {
      const err = await target.importBundle(await rewrite(bytes, 'questions.json', change), MODEL).catch((e: unknown) => e);
      expect(err, label).toMatchObject({
        name: 'InvalidBundle',
        message: expect.stringMatching(message),
        data: { file: 'questions.json' },
      });
      expect(JSON.stringify((await target.snapshot()).collections), label).toBe(before);
    }

    const imported = await target.importBundle(bytes.slice(), MODEL);
    await target.open({ model: MODEL, collectionId: imported.collectionId });
    const sets = await target.questionSets();
    expect(sets.map((s) => s.name)).toEqual(['Generated', 'Baking questions']);
    for (const s of sets) {
      expect(s.collectionId).toBe(imported.collectionId);
      expect(['set-typed', 'set-generated']).not.toContain(s.id);
    }
    const strip = ({ id: _id, collectionId: _c, ...rest }: QuestionSetRecord) => rest;
    expect(sets.map(strip)).toEqual([generated, typed].map(strip));
    // The gold passage is the imported collection's own: document ids are content hashes.
    const gold = sets[0]!.questions[0]!.gold!;
    expect((await target.context(gold.docId, gold.ordinal))?.text).toBe(gold.text);
  });

  it('reads a version 1 bundle (before question sets), and refuses question sets its manifest does not list', async () => {
    const source = machine();
    await source.open({ model: MODEL });
    const r = await ingestFile(new Blob([TEXTS['trains.md']!]), { name: 'trains.md', maxBytes: 1e6, chunking: CHUNKING });
    if (r.kind !== 'parsed') throw new Error('expected a parsed document');
    await source.add(r.doc);
    // A version 1 file as the first writer made it: no questions.json, version 1, documents only.
    const v1 = await source.exportCollection(false, CHUNKING);
    const target = machine();
    await target.open({ model: MODEL });
    const imported = await target.importBundle(v1.bytes.slice(), MODEL);
    const snap = await target.open({ model: MODEL, collectionId: imported.collectionId });
    expect(snap.documents.map((d) => d.name)).toEqual(['trains.md']);
    expect(await target.questionSets()).toEqual([]);

    // questions.json slipped in without being listed: refused like any unlisted file.
    const zip = await JSZip.loadAsync(v1.bytes);
    zip.file('questions.json', '[]');
    const sneaked = await zip.generateAsync({ type: 'uint8array' });
    await expect(target.importBundle(sneaked, MODEL)).rejects.toMatchObject({
      name: 'InvalidBundle',
      message: expect.stringMatching(/does not list \(questions\.json\)/),
    });
  });
});
