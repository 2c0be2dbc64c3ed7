/**
 * Benchmarks, side by side in one run: the app's code against peers and baselines.
 *
 *   npm run --silent bench -- [--json] [--quick] [--only dense,bm25,idb,embed,rerank,drop] [--scifact <dir>] [--docs <dir>]
 *
 * 1. dense: exact top-10 over random 384-d unit vectors (app) vs USearch (native exact and HNSW):
 *    median latency, recall@10 against brute force, build time. (tests/bench/dense.ts)
 * 2. bm25: the app's keyword index on SciFact: analysis, index build, median query latency.
 * 3. idb: in headless Chromium, storing N chunks with vectors through the app's store, and page
 *    load → ready to query, vs one raw record holding the same bytes. (tests/bench/idb.ts)
 * 4. embed: chunks/s of the app's embed worker vs a bare transformers.js pipeline, on a generated
 *    model of all-MiniLM-L6-v2's shape (WASM, fp32). (tests/bench/embed.ts)
 * 5. rerank: latency of the app's reranking stage (the embed worker's cross-encoder) for 20 and 50
 *    candidates of 100–250 words, on a generated model of ms-marco-MiniLM-L-6-v2's shape (WASM, fp32).
 * 6. drop: the real app page, the 10-Q filings of the dev set (--docs) given to its file input at
 *    once: time until every document is searchable by keyword and by meaning (the MiniLM-shaped
 *    model on WASM), and the messages and bytes that crossed the page on the way.
 *
 * Prints tables of medians and ratios: a report, never pass/fail. Progress goes to stderr. With
 * --json the last line of stdout is one JSON object with every number. Works offline: vectors are
 * seeded random, the model is generated, SciFact is read from disk (its section is skipped with a
 * note when missing, and the browser texts are generated instead). Exit code 0; 1 when a section
 * crashed (its entry in the JSON says why); 2 for bad arguments.
 *
 * It lives beside the bench pages, under tests/, because it drives the browser tests' Chromium,
 * static server and generated models; src/ never imports tests/, so no command in src/cli could.
 */

import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { DEFAULT_SETTINGS } from '../../src/settings/defaults';
import { benchBm25, type Bm25Result } from './bm25';
import { benchDenseSize, DIM, K, TUNED_RECALL, type DenseRun } from './dense';
import {
  BenchBrowser,
  benchEmbed,
  benchIdb,
  benchRerank,
  benchDrop,
  buildPages,
  type DropResult,
  ROOT,
  type EmbedResult,
  type IdbResult,
  type RerankResult,
} from './browser';
import { fmt, round, table } from './stats';
import { chunkTexts } from './texts';
import { chromiumPath } from '../browser/chromium';
import { ensurePreset } from '../fixtures/gen/models';
import { parseCli, runCli, type CliArgs } from '../../src/cli/args';
import { listFiles } from '../../src/cli/node-env';

const SECTIONS = ['dense', 'bm25', 'idb', 'embed', 'rerank', 'drop'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run --silent bench -- [--json] [--quick] [--only ${SECTIONS.join(',')}] [--scifact <dir>] [--docs <dir>]`;

/** SciFact's BEIR folder, relative to the repo root (the shared datasets sit beside the checkout). */
const DEFAULT_SCIFACT = path.join(ROOT, '../shared/datasets/scifact/beir');
/** The files the drop section drops: the 10-Q dev set's filings (long, table-heavy PDFs). */
const DEFAULT_DOCS = path.join(ROOT, '../shared/datasets/sec-10q-dev/docs');
/** The generated model embedding is measured with: all-MiniLM-L6-v2's shape (6 layers, 384 dims). */
const EMBED_MODEL = 'minilm-shape';
/** The generated cross-encoder reranking is measured with: ms-marco-MiniLM-L-6-v2's shape. */
const RERANK_MODEL = 'minilm-reranker-shape';

/** Every size and repetition count, for a real run and for a smoke run (--quick). */
interface Sizes {
  dense: {
    /** Corpus sizes (vectors). */
    sizes: number[];
    /** Queries per size, each timed; medians reported. */
    queries: number;
    /** Builds of the app's index per size (USearch's HNSW is built once: it is slow). */
    buildReps: number;
  };
  bm25: {
    /** SciFact documents indexed; 0 = all 5,183. */
    maxDocs: number;
    buildReps: number;
    /** Passes over the 300 test queries. */
    queryPasses: number;
  };
  idb: {
    chunks: number;
    /** Chunks per document: 10k chunks = 500 documents of ~20 chunks, a plausible library. */
    chunksPerDoc: number;
    storeReps: number;
    /** Page loads per path (app, raw alternated). */
    readyReps: number;
  };
  embed: {
    /**
     * Texts embedded per timed run. WASM on one thread runs this model at ~2 chunks/s on the 2-core
     * machine, so 128 texts × 2 paths is ~2 minutes: the bulk of a full run.
     */
    count: number;
    /** The app's default (Settings → embedding.batchSize), the same for both paths. */
    batchSize: number;
    /** Timed runs per path, alternated; median reported. */
    reps: number;
  };
  rerank: {
    /** Candidate counts timed (the setting's default and a deep rerank). */
    counts: number[];
    /** Timed runs per count; median reported. */
    reps: number;
  };
  drop: {
    /** Files of --docs dropped (0 = all). Embedding runs at a few chunks/s on WASM: all 8 filings take minutes. */
    files: number;
  };
}

const FULL: Sizes = {
  dense: { sizes: [10_000, 100_000], queries: 50, buildReps: 3 },
  bm25: { maxDocs: 0, buildReps: 5, queryPasses: 3 },
  idb: { chunks: 10_000, chunksPerDoc: 20, storeReps: 3, readyReps: 3 },
  embed: { count: 128, batchSize: DEFAULT_SETTINGS.embedding.batchSize, reps: 1 },
  rerank: { counts: [20, 50], reps: 3 },
  drop: { files: 0 },
};

const QUICK: Sizes = {
  dense: { sizes: [1_000, 5_000], queries: 10, buildReps: 1 },
  bm25: { maxDocs: 1_000, buildReps: 1, queryPasses: 1 },
  idb: { chunks: 1_000, chunksPerDoc: 20, storeReps: 1, readyReps: 1 },
  embed: { count: 4, batchSize: 2, reps: 1 },
  rerank: { counts: [4], reps: 1 },
  drop: { files: 1 },
};

interface Args {
  json: boolean;
  quick: boolean;
  only: Set<Section>;
  scifact: string;
  docs: string;
}

const OPTIONS = {
  json: { type: 'boolean' },
  quick: { type: 'boolean' },
  only: { type: 'string', arg: `a comma-separated list of ${SECTIONS.join(', ')}` },
  scifact: { type: 'string', arg: 'a folder' },
  docs: { type: 'string', arg: 'a folder' },
} as const;

function readArgs(argv: string[]): CliArgs<Args> {
  const p = parseCli(argv, OPTIONS);
  if (typeof p !== 'object') return p;
  const v = p.values;
  const args: Args = {
    json: v.json === true,
    quick: v.quick === true,
    only: new Set(SECTIONS),
    scifact: v.scifact ? path.resolve(v.scifact) : DEFAULT_SCIFACT,
    docs: v.docs ? path.resolve(v.docs) : DEFAULT_DOCS,
  };
  if (v.only !== undefined) {
    const list = v.only.split(',').filter(Boolean);
    const bad = list.filter((s) => !(SECTIONS as readonly string[]).includes(s));
    if (list.length === 0 || bad.length > 0) return `--only takes a comma-separated list of ${SECTIONS.join(', ')}`;
    args.only = new Set(list as Section[]);
  }
  if (v.scifact === '') return '--scifact needs a folder';
  if (v.docs === '') return '--docs needs a folder';
  return args;
}

type Failed = { error: string };
type Skipped = { skipped: string };

interface Report {
  quick: boolean;
  dense?: DenseRun[] | Failed;
  bm25?: Bm25Result | Failed;
  indexeddb?: (IdbResult & { ratio: { store: number; ready: number; page: number } }) | Skipped | Failed;
  embedding?: (EmbedResult & { model: string; source: string; ratio: number }) | Skipped | Failed;
  rerank?: (RerankResult & { model: string; source: string }) | Skipped | Failed;
  drop?: (DropResult & { model: string }) | Skipped | Failed;
  seconds: number;
}

const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function denseTable(runs: DenseRun[]): string {
  const rows: string[][] = [];
  for (const r of runs) {
    const line = (name: string, c: { buildMs: number; queryMs: number; recall: number } | null): void => {
      // A build time of 0 means there is no index to build (a scan over the raw array).
      if (c)
        rows.push([
          r.n.toLocaleString('en-US'),
          name,
          c.buildMs ? fmt(c.buildMs) : '-',
          fmt(c.queryMs),
          c.recall.toFixed(3),
          fmt(c.queryMs / r.app.queryMs),
        ]);
    };
    line(`app exact (${r.app.backend})`, r.app);
    line('usearch exact (native)', r.usearchExact);
    for (const h of r.usearchHnsw) line(`usearch HNSW ef=${h.expansionSearch} (${h.tuned ? 'tuned' : 'default'})`, h);
    line('naive JS loop (truth)', r.naiveJs);
  }
  const q = runs[0]?.queries ?? 0;
  const h = runs.find((r) => r.usearchHnsw.length > 0)?.usearchHnsw[0];
  return (
    `Dense search: top-${K} over random ${DIM}-d unit vectors, ${q} queries, median latency (1 thread)\n` +
    table(['n', 'contender', 'build ms', 'query ms', `recall@${K}`, 'query ÷ app'], rows, 2) +
    (h
      ? `\n(USearch HNSW: one graph per n, M ${h.connectivity}, expansion_add ${h.expansionAdd}; "tuned" = the narrowest search beam ef, in √2 steps, reaching recall@${K} ≥ ${TUNED_RECALL} on these queries.)`
      : '')
  );
}

function bm25Table(r: Bm25Result): string {
  if ('skipped' in r) return `BM25: skipped (${r.skipped})`;
  return (
    `BM25 (app keyword index) on SciFact: ${r.docs.toLocaleString('en-US')} documents, ${r.queries} queries\n` +
    table(
      ['step', 'ms'],
      [
        ['analyse corpus into entries (ingest)', fmt(r.analyzeMs)],
        ['build index from entries (page load)', fmt(r.buildMs)],
        ['top-10 query, median', fmt(r.queryMs)],
        ['queries per second', fmt(r.queriesPerSec)],
      ],
    )
  );
}

function idbTable(r: IdbResult): string {
  const mb = (r.rawBytes / 1e6).toFixed(1);
  return (
    `IndexedDB in Chromium: ${r.chunks.toLocaleString('en-US')} chunks × ${r.dim}-d vectors in ${r.documents} documents (${mb} MB), medians\n` +
    table(
      ['path', 'store ms', 'load → ready ms', 'open+read ms', 'build ms'],
      [
        ['app store (src/store)', fmt(r.app.storeMs), fmt(r.app.readyMs), fmt(r.app.loadMs), fmt(r.app.buildMs)],
        ['raw: one ArrayBuffer record', fmt(r.raw.storeMs), fmt(r.raw.readyMs), fmt(r.raw.loadMs), fmt(r.raw.buildMs)],
        ['the app page (index.html, library worker)', '', fmt(r.page.readyMs), '', ''],
        ['  the same, from its load event', '', fmt(r.page.afterLoadMs), '', ''],
        [
          'app ÷ raw',
          fmt(r.app.storeMs / r.raw.storeMs),
          fmt(r.app.readyMs / r.raw.readyMs),
          fmt(r.app.loadMs / r.raw.loadMs),
          fmt(r.app.buildMs / r.raw.buildMs),
        ],
      ],
    ) +
    '\n("load → ready" is from navigation start: page load, open, read, build keyword + dense indexes; for the app page,\n until its library worker has built them and the page has the library listed. Target: ≤ 500 ms.)'
  );
}

function embedTable(r: EmbedResult & { model: string; source: string; ratio: number }): string {
  return (
    `Embedding: ${r.model} (generated, all-MiniLM-L6-v2's shape), ${r.backend} ${r.dtype}, batch ${r.batchSize}, ${r.texts} ${r.source} chunks of 100–250 words\n` +
    table(
      ['path', 'chunks/s', 'load ms'],
      [
        ['app: embed worker + TransformersEmbedder', fmt(r.appChunksPerSec), fmt(r.appLoadMs)],
        ['bare pipeline() in the page', fmt(r.bareChunksPerSec), fmt(r.bareLoadMs)],
        ['app ÷ bare (target ≥ 0.9)', fmt(r.ratio), ''],
      ],
    ) +
    `\n(max |difference| between the two paths' vectors: ${r.maxAbsDiff.toExponential(1)})`
  );
}

function rerankTable(r: RerankResult & { model: string; source: string }): string {
  return (
    `Reranking: ${r.model} (generated, ms-marco-MiniLM-L-6-v2's shape), ${r.backend} ${r.dtype}, one question × ${r.source} passages of 100–250 words, medians\n` +
    table(
      ['candidates', 'ms per question', 'ms per candidate'],
      r.runs.map((x) => [String(x.n), fmt(x.medianMs), fmt(x.perCandidateMs)]),
    ) +
    `\n(the embed worker's cross-encoder on WASM, one thread; model load ${fmt(r.loadMs)} ms)`
  );
}

function dropTable(r: DropResult & { model: string }): string {
  const m = r.messages;
  const kb = (n: number): string => fmt(n / 1024);
  return (
    `Drop → searchable: ${r.files} files (${r.chunks.toLocaleString('en-US')} chunks) into the app page, ${r.model} on WASM\n` +
    table(
      ['measure', 'value'],
      [
        ['searchable by keyword, s', fmt(r.keywordMs / 1000)],
        ['searchable by meaning, s', fmt(r.meaningMs / 1000)],
        ['messages page → workers', `${m.posted} (${kb(m.postedBytes)} KB)`],
        ['messages workers → page', `${m.received} (${kb(m.receivedBytes)} KB)`],
        ['files passed by handle, KB', kb(m.blobBytes)],
      ],
    )
  );
}

/** Rounds every number in the report for the JSON line. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return round(value);
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

async function main(args: Args): Promise<number> {
  const sizes = args.quick ? QUICK : FULL;
  const started = performance.now();
  const report: Report = { quick: args.quick, seconds: 0 };
  const out: string[] = [];
  const print = (block: string): void => {
    out.push(block);
    process.stdout.write(`${block}\n\n`);
  };
  let failed = false;
  const attempt = async <T>(name: string, fn: () => Promise<T> | T): Promise<T | Failed> => {
    try {
      return await fn();
    } catch (e) {
      failed = true;
      log(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      print(`${name}: FAILED (${errorText(e)})`);
      return { error: errorText(e) };
    }
  };

  if (args.only.has('dense')) {
    const runs = await attempt('dense', () => sizes.dense.sizes.map((n) => benchDenseSize(n, { ...sizes.dense, hnsw: true }, log)));
    report.dense = runs;
    if (Array.isArray(runs)) print(denseTable(runs));
  }

  if (args.only.has('bm25')) {
    log('bm25');
    const r = await attempt('bm25', () => benchBm25({ dir: args.scifact, ...sizes.bm25, k: K }));
    report.bm25 = r;
    if (!('error' in r)) print(bm25Table(r));
  }

  const wantIdb = args.only.has('idb');
  const wantEmbed = args.only.has('embed');
  const wantRerank = args.only.has('rerank');
  const wantDrop = args.only.has('drop');
  if (wantIdb || wantEmbed || wantRerank || wantDrop) {
    let noBrowser: string | null = null;
    try {
      chromiumPath();
    } catch (e) {
      noBrowser = errorText(e).split('\n')[0]!;
    }
    if (noBrowser) {
      print(`Browser sections skipped: ${noBrowser}`);
      if (wantIdb) report.indexeddb = { skipped: noBrowser };
      if (wantEmbed) report.embedding = { skipped: noBrowser };
      if (wantRerank) report.rerank = { skipped: noBrowser };
      if (wantDrop) report.drop = { skipped: noBrowser };
    } else {
      const scifact = existsSync(path.join(args.scifact, 'corpus.jsonl')) ? args.scifact : null;
      if (!scifact) print(`Note: no SciFact at ${args.scifact}; the browser sections use generated texts.`);
      log('building bench pages');
      const ready = await attempt('browser build', async () => {
        if (wantEmbed || wantDrop) ensurePreset(EMBED_MODEL);
        if (wantRerank) ensurePreset(RERANK_MODEL);
        await buildPages();
        return BenchBrowser.start();
      });
      if (!(ready instanceof BenchBrowser)) {
        if (wantIdb) report.indexeddb = ready;
        if (wantEmbed) report.embedding = ready;
        if (wantRerank) report.rerank = ready;
        if (wantDrop) report.drop = ready;
      } else {
        try {
          if (wantIdb) {
            log(`indexeddb: ${sizes.idb.chunks} chunks`);
            const { texts } = chunkTexts(sizes.idb.chunks, scifact);
            const { chunksPerDoc, storeReps, readyReps } = sizes.idb;
            const r = await attempt('indexeddb', () => benchIdb(ready, { texts, dim: DIM, chunksPerDoc, storeReps, readyReps }));
            report.indexeddb =
              'error' in r
                ? r
                : {
                    ...r,
                    ratio: {
                      store: r.app.storeMs / r.raw.storeMs,
                      ready: r.app.readyMs / r.raw.readyMs,
                      page: r.page.readyMs / r.raw.readyMs,
                    },
                  };
            if (!('error' in r)) print(idbTable(r));
          }
          if (wantEmbed) {
            log(`embedding: ${sizes.embed.count} texts (slow: WASM, one thread)`);
            const { texts, source } = chunkTexts(sizes.embed.count, scifact, 3);
            const { batchSize, reps } = sizes.embed;
            const r = await attempt('embedding', () => benchEmbed(ready, { model: EMBED_MODEL, texts, batchSize, reps }));
            if ('error' in r) report.embedding = r;
            else {
              const full = { ...r, model: EMBED_MODEL, source, ratio: r.appChunksPerSec / r.bareChunksPerSec };
              report.embedding = full;
              print(embedTable(full));
            }
          }
          if (wantRerank) {
            const { counts, reps } = sizes.rerank;
            log(`rerank: ${counts.join(' and ')} candidates (slow: WASM, one thread)`);
            const { texts, source } = chunkTexts(Math.max(...counts), scifact, 5);
            const query = 'Does vitamin D supplementation reduce the risk of respiratory infections?';
            const r = await attempt('rerank', () => benchRerank(ready, { model: RERANK_MODEL, query, passages: texts, counts, reps }));
            if ('error' in r) report.rerank = r;
            else {
              report.rerank = { ...r, model: RERANK_MODEL, source };
              print(rerankTable(report.rerank));
            }
          }
          if (wantDrop) {
            const all = existsSync(args.docs) ? listFiles(args.docs).filter((f) => f.toLowerCase().endsWith('.pdf')) : [];
            if (all.length === 0) {
              report.drop = { skipped: `no PDFs in ${args.docs}` };
              print(`Drop: skipped (no PDFs in ${args.docs})`);
            } else {
              const files = sizes.drop.files > 0 ? all.slice(0, sizes.drop.files) : all;
              log(`drop: ${files.length} files (slow: embedding on WASM)`);
              const r = await attempt('drop', () => benchDrop(ready, { files, model: EMBED_MODEL }));
              if ('error' in r) report.drop = r;
              else {
                report.drop = { ...r, model: EMBED_MODEL };
                print(dropTable(report.drop));
              }
            }
          }
        } finally {
          await ready.close();
        }
      }
    }
  }

  report.seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `${args.quick ? 'quick run' : 'run'}: ${report.seconds.toFixed(1)} s, Node ${process.version}, ${cpus().length} CPUs\n`,
  );
  if (args.json) process.stdout.write(`${JSON.stringify(rounded(report))}\n`);
  return failed ? 1 : 0;
}

runCli(USAGE, readArgs, main);
