/**
 * A portable index: one collection in one versioned file, to carry a prepared library to another
 * machine (a workshop's laptops, a colleague) and search it there with identical results, without
 * parsing or embedding anything again. DOM-free (jszip, WebCrypto): runs in the library worker and
 * in Node tests.
 *
 * The file is a ZIP (jszip, already used for DOCX/EPUB), `<name>.ragscope.zip`:
 *   manifest.json   format, version, collection name, embedding model and dimension, chunking
 *                   settings, counts, and the SHA-256 and size of every other file;
 *   documents.json  per document: its record, its chunks with provenance, its keyword entries;
 *   vectors.f32     every chunk's vector, little-endian float32, documents in documents.json order;
 *   originals/<id>  the dropped files, when asked for (a document's id is its content's SHA-256);
 *   ocr/<id>.json   with an original read by text recognition: its pages' words and boxes, to
 *                   highlight passages on them (readers that predate it import without them);
 *   questions.json  the collection's question sets (Evaluate view), when it has any (version 2).
 *
 * Versions: 1 is documents, vectors and originals; 2 adds questions.json. A bundle is written at
 * the lowest version that holds what it carries, so one without question sets is a version 1 file
 * every earlier ragscope reads. One with them is version 2 on purpose: a version 1 reader accepts
 * any file its manifest lists and would import the documents while silently dropping the sets;
 * a version it does not know it refuses by name, telling the user to update.
 *
 * Reading checks everything before anything is written: the archive opens, the manifest is ours
 * and not newer than this code, every listed file is present with its hash (so a truncated or
 * edited file is refused), nothing unlisted rides along, every chunk sits where its id says, the
 * vectors have exactly one row per chunk, an original hashes to its document's id, and the
 * vectors were made by the embedding model this app asks questions with; question sets are
 * well formed and a generated question's passage is one of the bundle's documents.
 */

import JSZip from 'jszip';
import { AppError, type ErrorData } from '../core/errors';
import type { OcrWords } from '../store/schema';
import { chunkId } from '../core/ids';
import { sha256Hex } from '../core/hash';
import type { Chunk } from '../ingest/types';
import type { KeywordEntry } from '../index/types';
import type { DocumentRecord } from '../store/schema';
import type { EvalQuestion, GeneratorInfo, QuestionSetOrigin, QuestionSetRecord } from '../eval/runs';
import type { NewDocument, Store } from '../store';

export const BUNDLE_FORMAT = 'ragscope-collection';
/**
 * The newest layout this code reads and writes; bumped when the layout changes, and a reader
 * refuses a newer version by name. Every older version is still read (see the module comment).
 */
export const BUNDLE_VERSION = 2;
/** The version of a bundle without question sets: the layout before questions.json. */
const VERSION_WITHOUT_QUESTIONS = 1;
const QUESTIONS_FILE = 'questions.json';

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: number;
  exportedAt: number;
  collection: { name: string };
  /** The vectors' model, or null when the collection was exported without any. */
  embedding: { model: string; dim: number } | null;
  /** Chunking the documents were split with (the settings at export time). */
  chunking: { chunkTokens: number; overlapTokens: number };
  counts: { documents: number; chunks: number };
  files: Record<string, { sha256: string; bytes: number }>;
}

export interface BundledDocument {
  record: Omit<DocumentRecord, 'collectionId'>;
  chunks: Chunk[];
  keyword: KeywordEntry[];
}

/** A question set as a bundle carries it: its collection is the bundle's, its id is made anew on import. */
export type BundledQuestionSet = Omit<QuestionSetRecord, 'id' | 'collectionId'>;

export interface ExportOptions {
  /** The embedding model whose vectors to include (the library's current one); null for none. */
  model: string | null;
  chunking: BundleManifest['chunking'];
  originals: boolean;
  now?: number;
}

export interface ReadBundle {
  manifest: BundleManifest;
  documents: BundledDocument[];
  /** Per document (same order), its rows; empty when the bundle has no vectors. */
  vectors: Float32Array[];
  originals: Map<string, Uint8Array>;
  /** OCR words by document id, for documents whose original came with them. */
  ocr: Map<string, OcrWords[]>;
  /** The collection's question sets (none in a version 1 bundle). */
  questionSets: BundledQuestionSet[];
}

function invalid(message: string, data?: ErrorData<'InvalidBundle'>): AppError {
  return new AppError('InvalidBundle', message, data);
}

/** Writes a collection to a bundle's bytes. */
export async function exportCollection(
  store: Store,
  collectionId: string,
  opts: ExportOptions,
): Promise<{ bytes: Uint8Array; name: string }> {
  const collection = (await store.listCollections()).find((c) => c.id === collectionId);
  if (!collection) throw new AppError('InvalidRequest', 'That collection no longer exists (deleted in another tab?).');
  const index = await store.loadIndex(collectionId, opts.model ?? undefined);
  const byDoc = new Map(index.vectors?.docs.map((d) => [d.docId, d.vectors]) ?? []);
  // Vectors only when every document has them: a bundle searches the same everywhere, or not at all by meaning.
  const withVectors = opts.model !== null && index.vectors !== null && index.documents.every((d) => byDoc.has(d.id));

  const documents: BundledDocument[] = [];
  let keywordAt = 0;
  for (const d of index.documents) {
    const { collectionId: _omit, vectorModels: _models, ...record } = d;
    const chunks = await store.chunksOf(collectionId, d.id);
    documents.push({ record, chunks, keyword: index.keyword.slice(keywordAt, keywordAt + chunks.length) });
    keywordAt += chunks.length;
  }
  const zip = new JSZip();
  const files: BundleManifest['files'] = {};
  const add = async (path: string, bytes: Uint8Array): Promise<void> => {
    files[path] = { sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
    zip.file(path, bytes);
  };
  // Term frequencies are typed arrays in memory, plain number arrays in JSON.
  const json = JSON.stringify(documents, (_k, v: unknown) => (v instanceof Uint16Array ? Array.from(v) : v));
  await add('documents.json', new TextEncoder().encode(json));
  if (withVectors) {
    const total = documents.reduce((n, d) => n + byDoc.get(d.record.id)!.length, 0);
    const all = new Float32Array(total);
    let at = 0;
    for (const d of documents) {
      const v = byDoc.get(d.record.id)!;
      all.set(v, at);
      at += v.length;
    }
    await add('vectors.f32', littleEndian(all));
  }
  if (opts.originals) {
    for (const d of documents) {
      const kept = await store.getOriginalRecord(collectionId, d.record.id);
      if (!kept) continue;
      await add(`originals/${d.record.id}`, new Uint8Array(await kept.file.arrayBuffer()));
      if (kept.ocr?.length) await add(`ocr/${d.record.id}.json`, new TextEncoder().encode(JSON.stringify(kept.ocr)));
    }
  }
  const sets = await store.listQuestionSets(collectionId);
  if (sets.length > 0) {
    const bundled = sets.map(({ id: _id, collectionId: _collection, ...rest }): BundledQuestionSet => rest);
    await add(QUESTIONS_FILE, new TextEncoder().encode(JSON.stringify(bundled)));
  }
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: sets.length > 0 ? BUNDLE_VERSION : VERSION_WITHOUT_QUESTIONS,
    exportedAt: opts.now ?? Date.now(),
    collection: { name: collection.name },
    embedding: withVectors ? { model: index.vectors!.model, dim: index.vectors!.dim } : null,
    chunking: opts.chunking,
    counts: { documents: documents.length, chunks: keywordAt },
    files,
  };
  zip.file('manifest.json', JSON.stringify(manifest, null, 2));
  const bytes = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 6 } });
  return { bytes, name: `${collection.name.replace(/[^\p{L}\p{N} ._-]+/gu, '_').trim() || 'collection'}.ragscope.zip` };
}

/** Float32 values as little-endian bytes, whatever the machine's byte order. */
function littleEndian(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i]!, true);
  return out;
}

function fromLittleEndian(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Opens and checks a bundle; see the module comment for what is checked. Writes nothing. */
export async function readBundle(bytes: Uint8Array, expectModel: string | null): Promise<ReadBundle> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(bytes, { checkCRC32: true });
  } catch (e) {
    throw invalid(
      `This file is not a ragscope collection, or it is incomplete (${e instanceof Error ? e.message : String(e)}). Export it again and copy the whole file.`,
    );
  }
  const manifestFile = zip.file('manifest.json');
  if (!manifestFile) throw invalid('This file is not a ragscope collection: it has no manifest.json.');
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(await manifestFile.async('string')) as BundleManifest;
  } catch {
    throw invalid('The collection file is damaged: its manifest.json is not JSON.');
  }
  if (!isObject(manifest) || manifest.format !== BUNDLE_FORMAT) throw invalid('This file is not a ragscope collection (unknown format).');
  if (!Number.isInteger(manifest.version) || manifest.version < 1)
    throw invalid('The collection file is damaged: its version is not a number.');
  if (manifest.version > BUNDLE_VERSION) {
    throw invalid(
      `This collection was exported by a newer ragscope (file format ${manifest.version}; this one reads up to ${BUNDLE_VERSION}). Update ragscope (reload the page when online), then import it again.`,
      { version: manifest.version },
    );
  }
  if (!isObject(manifest.files) || !isObject(manifest.counts) || !isObject(manifest.collection)) {
    throw invalid('The collection file is damaged: its manifest lacks required fields.');
  }

  // Every listed file present and unchanged; nothing else inside.
  const contents = new Map<string, Uint8Array>();
  for (const [path, meta] of Object.entries(manifest.files)) {
    const f = zip.file(path);
    if (!f) throw invalid(`The collection file is incomplete: ${path} is missing.`, { file: path });
    const data = await f.async('uint8array');
    if (data.byteLength !== meta.bytes || (await sha256Hex(data)) !== meta.sha256) {
      throw invalid(`The collection file was changed or damaged after export: ${path} does not match its checksum. Nothing was imported.`, {
        file: path,
      });
    }
    contents.set(path, data);
  }
  const unlisted = Object.keys(zip.files).filter((p) => !zip.files[p]!.dir && p !== 'manifest.json' && !(p in manifest.files));
  if (unlisted.length > 0)
    throw invalid(`The collection file holds files its manifest does not list (${unlisted.slice(0, 3).join(', ')}).`);

  const docsBytes = contents.get('documents.json');
  if (!docsBytes) throw invalid('The collection file is incomplete: documents.json is missing.');
  const documents = JSON.parse(new TextDecoder().decode(docsBytes)) as BundledDocument[];
  if (!Array.isArray(documents) || documents.length !== manifest.counts.documents) {
    throw invalid('The collection file is damaged: its document count does not match its manifest.');
  }
  let chunkTotal = 0;
  for (const d of documents) {
    const id = d?.record?.id;
    if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id) || typeof d.record.name !== 'string') {
      throw invalid('The collection file is damaged: a document has no valid id or name.');
    }
    const r = d.record;
    if (typeof r.format !== 'string' || !Number.isFinite(r.size) || !Number.isFinite(r.chars) || !Array.isArray(r.warnings)) {
      throw invalid(`The collection file is damaged: the details of “${r.name}” are incomplete.`);
    }
    // Written by newer versions of this format's writer (absent in older files): checked, as the
    // library builds its document ranking from them on every load.
    const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
    const p = r.profile as unknown as { label?: unknown; opening?: unknown; date?: unknown } | undefined;
    if (
      p !== undefined &&
      (typeof p !== 'object' || !strings(p.label) || !strings(p.opening) || (p.date !== undefined && typeof p.date !== 'string'))
    ) {
      throw invalid(`The collection file is damaged: the profile of “${r.name}” is malformed.`);
    }
    const st = r.indexing as unknown as Record<string, unknown> | undefined;
    if (st !== undefined && !['chunkTokens', 'overlapTokens', 'version'].every((k) => Number.isInteger(st?.[k]))) {
      throw invalid(`The collection file is damaged: how “${r.name}” was chunked is malformed.`);
    }
    if (
      !Array.isArray(d.chunks) ||
      !Array.isArray(d.keyword) ||
      d.chunks.length !== d.keyword.length ||
      d.chunks.length !== d.record.chunkCount
    ) {
      throw invalid(`The collection file is damaged: “${d.record.name}” has mismatched chunks.`);
    }
    d.chunks.forEach((c, i) => {
      const k = d.keyword[i] as unknown as { chunkId: unknown; terms: unknown; tf: unknown; length: unknown };
      if (c.id !== chunkId(id, i) || c.docId !== id || c.ordinal !== i || typeof c.text !== 'string' || k.chunkId !== c.id) {
        throw invalid(`The collection file is damaged: chunk ${i} of “${d.record.name}” is out of place.`);
      }
      if (!Array.isArray(k.terms) || !Array.isArray(k.tf) || k.terms.length !== k.tf.length || typeof k.length !== 'number') {
        throw invalid(`The collection file is damaged: the keyword entry of chunk ${i} of “${d.record.name}” is malformed.`);
      }
      d.keyword[i] = { chunkId: c.id, length: k.length, terms: k.terms as string[], tf: Uint16Array.from(k.tf as number[]) };
    });
    chunkTotal += d.chunks.length;
  }
  if (chunkTotal !== manifest.counts.chunks) throw invalid('The collection file is damaged: its chunk count does not match its manifest.');

  const vectors: Float32Array[] = [];
  if (manifest.embedding) {
    const { model, dim } = manifest.embedding;
    if (typeof model !== 'string' || !Number.isInteger(dim) || dim <= 0)
      throw invalid('The collection file is damaged: its embedding model is not described.');
    if (expectModel !== null && model !== expectModel) {
      throw new AppError(
        'EmbeddingModelMismatch',
        `This collection was embedded with ${model} (${dim} dimensions), but this app embeds questions with ${expectModel}, so its passages could not be found by meaning. Choose ${model} in Settings → Embedding model, then import again. Nothing was imported.`,
        { bundleModel: model, appModel: expectModel },
      );
    }
    const raw = contents.get('vectors.f32');
    if (!raw || raw.byteLength !== chunkTotal * dim * 4)
      throw invalid('The collection file is damaged: it does not hold one vector per passage.');
    const all = fromLittleEndian(raw);
    let at = 0;
    for (const d of documents) {
      vectors.push(all.slice(at, at + d.chunks.length * dim));
      at += d.chunks.length * dim;
    }
  }
  const originals = new Map<string, Uint8Array>();
  for (const [path, data] of contents) {
    if (!path.startsWith('originals/')) continue;
    const id = path.slice('originals/'.length);
    if ((await sha256Hex(data)) !== id || !documents.some((d) => d.record.id === id)) {
      throw invalid(`The collection file is damaged: the original file ${path} is not the document it claims to be.`);
    }
    originals.set(id, data);
  }
  const ocr = new Map<string, OcrWords[]>();
  for (const [path, data] of contents) {
    if (!path.startsWith('ocr/')) continue;
    const id = path.slice('ocr/'.length).replace(/\.json$/, '');
    let pages: unknown;
    try {
      pages = JSON.parse(new TextDecoder().decode(data));
    } catch {
      pages = null;
    }
    if (!originals.has(id) || !isOcrWords(pages)) {
      throw invalid(`The collection file is damaged: ${path} is not the text recognition of one of its original files.`);
    }
    ocr.set(id, pages);
  }
  const questionsBytes = contents.get(QUESTIONS_FILE);
  const questionSets = questionsBytes ? readQuestionSets(questionsBytes, new Set(documents.map((d) => d.record.id))) : [];
  return { manifest, documents, vectors, originals, ocr, questionSets };
}

const ORIGINS: readonly QuestionSetOrigin[] = ['imported', 'typed', 'generated'];

/**
 * The question sets of questions.json, checked field by field and rebuilt from the known fields
 * only (whatever else the file holds is not stored). A generated question's passage must be one of
 * the bundle's documents (`docIds`): the bundle carries its collection whole.
 */
function readQuestionSets(bytes: Uint8Array, docIds: ReadonlySet<string>): BundledQuestionSet[] {
  const bad = (why: string): AppError =>
    invalid(`The collection file is damaged: its question sets (${QUESTIONS_FILE}) ${why}. Nothing was imported.`, {
      file: QUESTIONS_FILE,
    });
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw bad('are not JSON');
  }
  if (!Array.isArray(raw)) throw bad('are not a list');
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  return raw.map((set: unknown, i): BundledQuestionSet => {
    const where = `set ${i + 1}`;
    if (!isObject(set)) throw bad(`hold something that is not a set (${where})`);
    const { name, createdAt, updatedAt, origin, file, generator, questions } = set;
    if (!isString(name) || !name.trim()) throw bad(`hold a set without a name (${where})`);
    if (!Number.isFinite(createdAt) || !Number.isFinite(updatedAt)) throw bad(`hold a set without its dates (“${name}”)`);
    if (!ORIGINS.includes(origin as QuestionSetOrigin)) throw bad(`hold a set of unknown origin (“${name}”)`);
    if (file !== undefined && !isString(file)) throw bad(`hold a set whose file name is not text (“${name}”)`);
    if (!Array.isArray(questions) || questions.length === 0) throw bad(`hold a set without questions (“${name}”)`);
    const out: BundledQuestionSet = {
      name,
      createdAt: createdAt as number,
      updatedAt: updatedAt as number,
      origin: origin as QuestionSetOrigin,
      questions: questions.map((q: unknown, j): EvalQuestion => {
        const at = `question ${j + 1} of “${name}”`;
        if (!isObject(q)) throw bad(`hold something that is not a question (${at})`);
        const { id, question, answer, sources, type, chunkType, gold } = q;
        if (!isString(id) || !isString(question) || !question.trim() || !isString(answer) || !isString(type) || !isString(chunkType)) {
          throw bad(`hold a question with a missing field (${at})`);
        }
        if (!Array.isArray(sources) || !sources.every(isString)) throw bad(`hold a question whose sources are not a list of names (${at})`);
        const rebuilt: EvalQuestion = { id, question, answer, sources: [...sources], type, chunkType };
        if (gold !== undefined) {
          if (!isObject(gold) || !isString(gold.docId) || !isString(gold.docName) || !isCount(gold.ordinal) || !isString(gold.text)) {
            throw bad(`hold a question whose passage is malformed (${at})`);
          }
          if (!docIds.has(gold.docId)) throw bad(`hold a question made from a document the file does not carry (${at})`);
          rebuilt.gold = { docId: gold.docId, docName: gold.docName, ordinal: gold.ordinal, text: gold.text };
        }
        return rebuilt;
      }),
    };
    if (file !== undefined) out.file = file;
    if (generator !== undefined) {
      const g = generator as Partial<Record<keyof GeneratorInfo, unknown>>;
      if (
        !isObject(generator) ||
        !isString(g.model) ||
        !Number.isFinite(g.promptVersion) ||
        !isCount(g.sampled) ||
        !isObject(g.dropped) ||
        !Object.values(g.dropped).every(isCount)
      ) {
        throw bad(`hold a set whose generator is malformed (“${name}”)`);
      }
      out.generator = {
        model: g.model,
        promptVersion: g.promptVersion as number,
        sampled: g.sampled,
        dropped: { ...(g.dropped as Record<string, number>) },
      };
    }
    return out;
  });
}

/** A name not yet taken: "Name", else "Name (imported)", "Name (imported 2)", … */
function freeName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? `${name} (imported)` : `${name} (imported ${i})`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * Checks a bundle, then writes it as a new collection with its question sets. A failure while
 * writing (storage full) deletes the half-made collection (and so its sets), so the library is as
 * it was.
 */
export async function importBundle(
  store: Store,
  bytes: Uint8Array,
  expectModel: string | null,
): Promise<{ collectionId: string; name: string; documents: number }> {
  const b = await readBundle(bytes, expectModel);
  const taken = new Set((await store.listCollections()).map((c) => c.name));
  const collection = await store.createCollection(freeName(b.manifest.collection.name, taken));
  try {
    for (const [i, d] of b.documents.entries()) {
      const { chunkCount: _count, originalSize: _size, ...rest } = d.record;
      const doc: NewDocument = { ...rest };
      const original = b.originals.get(d.record.id);
      if (original) doc.original = new Blob([original as Uint8Array<ArrayBuffer>]);
      const words = b.ocr.get(d.record.id);
      if (original && words) doc.ocrWords = words;
      await store.addDocument(collection.id, doc, d.chunks, d.keyword);
      if (b.manifest.embedding)
        await store.putVectors(collection.id, d.record.id, b.manifest.embedding.model, b.manifest.embedding.dim, b.vectors[i]!);
    }
    // New ids: the same bundle imported twice makes two collections, each with sets of its own.
    for (const set of b.questionSets) await store.putQuestionSet({ ...set, id: crypto.randomUUID(), collectionId: collection.id });
  } catch (e) {
    await store.deleteCollection(collection.id).catch(() => undefined);
    throw e;
  }
  return { collectionId: collection.id, name: collection.name, documents: b.documents.length };
}

/** OCR pages as kept with an original: page number, image size, words with boxes. */
function isOcrWords(v: unknown): v is OcrWords[] {
  const num = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
  return (
    Array.isArray(v) &&
    v.every(
      (p: { page?: unknown; width?: unknown; height?: unknown; words?: unknown }) =>
        typeof p === 'object' &&
        p !== null &&
        num(p.page) &&
        num(p.width) &&
        num(p.height) &&
        Array.isArray(p.words) &&
        (p.words as Array<{ text?: unknown; confidence?: unknown; box?: Record<string, unknown> }>).every(
          (w) => typeof w?.text === 'string' && num(w.confidence) && ['x0', 'y0', 'x1', 'y1'].every((k) => num(w.box?.[k])),
        ),
    )
  );
}
