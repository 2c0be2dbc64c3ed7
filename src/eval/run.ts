/**
 * Evaluates the app's own retrieval (src/index/) on a BEIR dataset: analyse and index every
 * document, search every query that has qrels, score the ranking. The eval CLI is a thin shell
 * around this; DOM-free, so a worker could run it too.
 */

import type { Embedder } from '../embed/embedder';
import { keywordEntry } from '../index/analyze';
import { chunkDocument, type ChunkOptions } from '../ingest/chunker';
import { DenseIndex } from '../index/dense';
import { KeywordIndex } from '../index/keyword';
import { retrieve } from '../index/retrieve';
import type { SearchMode } from '../index/types';
import { AppError } from '../core/errors';
import { parseChunkId } from '../core/ids';
import type { BeirDataset } from './beir';
import { evaluateRun, type Run, type Scores } from './metrics';

/** Results retrieved per query: Recall@100 needs 100. */
const DEPTH = 100;

export interface EvalOptions {
  mode: SearchMode;
  /** A loaded embedder, required for 'dense' and 'hybrid'. */
  embedder?: Embedder | undefined;
  /** Its model id (tags the dense index and the query vectors). */
  model?: string | undefined;
  /** Texts per embedding call. Range 1..256; default 16 (the app's default). */
  batchSize?: number | undefined;
  /** Called with a line of progress text (the CLI prints it to stderr). */
  log?: ((line: string) => void) | undefined;
  /**
   * Chunk every document with the app's chunker first (as a dropped text file would be); a
   * document then ranks where its best chunk does. Absent: one document = one unit, as in BEIR.
   */
  chunking?: ChunkOptions | undefined;
}

export interface EvalReport extends Scores {
  mode: SearchMode;
  docs: number;
  /** Units indexed: documents, or their chunks when chunking. */
  units: number;
  /** Keyword entries: analysing every document's text (what ingest does once per chunk). */
  analyzeMs: number;
  /** Building the keyword index from those entries (what page load does). */
  keywordBuildMs: number;
  /** Embedding every document (dense/hybrid only). */
  embedMs?: number;
  /** Filling the dense index (dense/hybrid only). */
  denseBuildMs?: number;
  /** Index build time in all: analysis + keyword build (+ embedding + dense build). */
  buildMs: number;
  /** Queries per second, query embedding included. */
  qps: number;
  /** Set when a dense/hybrid query fell back to keyword search. */
  fallbackReason?: string;
}

export async function evaluateDataset(ds: BeirDataset, opts: EvalOptions): Promise<EvalReport> {
  const { mode, embedder, model } = opts;
  const batchSize = opts.batchSize ?? 16;
  const log = opts.log ?? ((): void => undefined);
  const needsVectors = mode !== 'keyword';
  if (needsVectors && (!embedder || !model)) throw new AppError('InvalidRequest', `Mode '${mode}' needs an embedding model.`);

  // Units: whole documents (BEIR's way), or the app's chunks of them.
  const units = opts.chunking
    ? ds.corpus.flatMap((d) =>
        chunkDocument({ format: 'text', text: d.text, headings: [], warnings: [] }, d.id, opts.chunking).map((c) => ({
          id: c.id,
          text: c.text,
        })),
      )
    : ds.corpus;
  const docOf = (unitId: string): string => (opts.chunking ? parseChunkId(unitId).docId : unitId);
  let t = performance.now();
  const entries = units.map((d) => keywordEntry(d.id, d.text));
  const analyzeMs = performance.now() - t;
  t = performance.now();
  const keyword = KeywordIndex.fromEntries(entries);
  const keywordBuildMs = performance.now() - t;

  let dense: DenseIndex | null = null;
  let embedMs: number | undefined;
  let denseBuildMs: number | undefined;
  if (needsVectors) {
    log(`embedding ${units.length} ${opts.chunking ? 'chunks' : 'documents'} with ${model}...`);
    t = performance.now();
    const docs = await embedder!.embed(
      { texts: units.map((d) => d.text), kind: 'passage', batchSize },
      { onProgress: (p) => p.stage === 'embed' && p.loaded % (batchSize * 50) === 0 && log(`  ${p.loaded}/${p.total}`) },
    );
    embedMs = performance.now() - t;
    t = performance.now();
    dense = new DenseIndex(model!, docs.dim);
    dense.add(
      units.map((d) => d.id),
      docs.vectors,
      docs.dim,
      model,
    );
    denseBuildMs = performance.now() - t;
  }

  t = performance.now();
  let queryVectors: Float32Array | null = null;
  let dim = 0;
  if (needsVectors) {
    const q = await embedder!.embed({ texts: ds.queries.map((x) => x.text), kind: 'query', batchSize });
    queryVectors = q.vectors;
    dim = q.dim;
  }
  const run: Run = new Map();
  let fallbackReason: string | undefined;
  ds.queries.forEach((q, i) => {
    const res = retrieve(
      {
        query: q.text,
        queryVector: queryVectors ? queryVectors.subarray(i * dim, (i + 1) * dim) : undefined,
        queryModel: model,
        mode,
        // Chunked: deep enough that DEPTH distinct documents remain after collapsing chunks.
        k: opts.chunking ? DEPTH * 4 : DEPTH,
        // Near-duplicate demotion is for passages of look-alike documents; BEIR judges documents.
        // On SciFact it changes nothing (nDCG@10 0.6836 either way) but costs time at depth 100.
        demoteDuplicates: false,
      },
      { keyword, dense },
    );
    fallbackReason ??= res.fallbackReason;
    run.set(q.id, [...new Set(res.hits.map((h) => docOf(h.chunkId)))].slice(0, DEPTH));
  });
  const queryMs = performance.now() - t;

  const report: EvalReport = {
    ...evaluateRun(run, ds.qrels),
    mode,
    docs: ds.corpus.length,
    units: units.length,
    analyzeMs,
    keywordBuildMs,
    buildMs: analyzeMs + keywordBuildMs + (embedMs ?? 0) + (denseBuildMs ?? 0),
    qps: ds.queries.length / (queryMs / 1000),
  };
  if (embedMs !== undefined) report.embedMs = embedMs;
  if (denseBuildMs !== undefined) report.denseBuildMs = denseBuildMs;
  if (fallbackReason !== undefined) report.fallbackReason = fallbackReason;
  return report;
}
