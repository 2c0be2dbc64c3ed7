/**
 * Retrieval quality on a BEIR dataset, with the app's own analysis, indexes and retrieve().
 *
 *   npm run --silent eval -- --dataset <BEIR folder> [--mode bm25|dense|hybrid] [--model <local model folder>]
 *                            [--batch-size N] [--json]
 *
 * The folder holds corpus.jsonl, queries.jsonl and qrels/test.tsv; every document (title + " " +
 * text) is one unit, and only queries with qrels are evaluated. Dense and hybrid need --model: a
 * transformers.js model folder on disk (config.json, tokenizer.json, onnx/model.onnx), run in
 * process on the CPU (fp32). Prints nDCG@10, Recall@100, MRR@10, queries per second and index
 * build time; with --json the last line is one JSON object:
 *   {"dataset":...,"mode":...,"ndcg@10":x,"recall@100":x,"mrr@10":x,"qps":x,"queries":N,"docs":N,"build_ms":x,...}
 * Exit code 0 on success, 2 for bad arguments, 1 when the dataset or model cannot be read.
 */

import { statSync } from 'node:fs';
import type { TransformersEmbedder } from '../embed/transformers';
import { evaluateDataset, type EvalReport } from '../eval/run';
import { loadBeirFolder } from '../eval/load';
import type { SearchMode } from '../index/types';
import { loadLocalEmbedder } from './local-model';
import type { ChunkOptions } from '../ingest/chunker';
import { LIMITS } from '../settings/defaults';
import { parseCli, runCli, type CliArgs } from './args';

const USAGE =
  'usage: npm run --silent eval -- --dataset <BEIR folder> [--mode bm25|dense|hybrid] [--model <local model folder>] [--batch-size N] [--chunk TOKENS/OVERLAP] [--json]';

const MODES: Record<string, SearchMode> = { bm25: 'keyword', keyword: 'keyword', dense: 'dense', hybrid: 'hybrid' };

interface Args {
  dataset: string;
  mode: SearchMode;
  modeName: string;
  model: string | null;
  batchSize: number;
  chunking: ChunkOptions | null;
  json: boolean;
}

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

const OPTIONS = {
  dataset: { type: 'string', arg: 'a folder' },
  mode: { type: 'string', arg: 'bm25, dense or hybrid' },
  model: { type: 'string', arg: 'a model folder' },
  'batch-size': { type: 'string', arg: 'a whole number from 1 to 256' },
  chunk: { type: 'string', arg: 'TOKENS/OVERLAP, e.g. 256/32' },
  json: { type: 'boolean' },
} as const;

function readArgs(argv: string[]): CliArgs<Args> {
  const p = parseCli(argv, OPTIONS);
  if (typeof p !== 'object') return p;
  const v = p.values;
  const args: Args = {
    dataset: v.dataset ?? '',
    mode: 'keyword',
    modeName: 'bm25',
    model: v.model ?? null,
    batchSize: 16,
    chunking: null,
    json: v.json === true,
  };
  if (v.mode !== undefined) {
    const mode = MODES[v.mode];
    if (mode === undefined) return '--mode must be bm25, dense or hybrid';
    args.mode = mode;
    args.modeName = v.mode === 'keyword' ? 'bm25' : v.mode;
  }
  if (v['batch-size'] !== undefined) {
    const n = Number(v['batch-size']);
    if (!Number.isInteger(n) || n < 1 || n > 256) return '--batch-size needs a whole number from 1 to 256';
    args.batchSize = n;
  }
  if (v.chunk !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(v.chunk);
    const chunkTokens = Number(m?.[1]);
    const overlapTokens = Number(m?.[2]);
    if (!m || chunkTokens < LIMITS.chunkTokens.min || chunkTokens > LIMITS.chunkTokens.max || overlapTokens > chunkTokens / 2) {
      return `--chunk needs TOKENS/OVERLAP, e.g. 256/32 (tokens ${LIMITS.chunkTokens.min}..${LIMITS.chunkTokens.max}, overlap at most half)`;
    }
    args.chunking = { chunkTokens, overlapTokens };
  }
  if (!args.dataset) return 'missing --dataset';
  if (!isDir(args.dataset)) return `${args.dataset} is not a folder`;
  if (args.mode !== 'keyword' && args.model === null) return `--mode ${args.modeName} needs --model <local model folder>`;
  if (args.model !== null && !isDir(args.model)) return `${args.model} is not a folder`;
  return args;
}

const fixed = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;

function print(report: EvalReport, dataset: string, modeName: string, model: string | null, chunking: ChunkOptions | null): void {
  const units = chunking ? ` as ${report.units} chunks of ${chunking.chunkTokens}/${chunking.overlapTokens} tokens` : '';
  console.log(
    `${dataset}: ${report.docs} documents${units}, ${report.queries} queries, mode ${modeName}${model ? `, model ${model}` : ''}`,
  );
  if (report.fallbackReason) console.log(`fell back to keyword search: ${report.fallbackReason}`);
  console.log(`nDCG@10     ${report['ndcg@10'].toFixed(4)}`);
  console.log(`Recall@100  ${report['recall@100'].toFixed(4)}`);
  console.log(`MRR@10      ${report['mrr@10'].toFixed(4)}`);
  console.log(`queries/s   ${report.qps.toFixed(1)}${report.mode === 'keyword' ? '' : ' (query embedding included)'}`);
  const parts = [`analyse ${report.analyzeMs.toFixed(0)} ms`, `keyword index ${report.keywordBuildMs.toFixed(0)} ms`];
  if (report.embedMs !== undefined) parts.push(`embed ${(report.embedMs / 1000).toFixed(1)} s`);
  if (report.denseBuildMs !== undefined) parts.push(`dense index ${report.denseBuildMs.toFixed(0)} ms`);
  console.log(`index build ${report.buildMs.toFixed(0)} ms (${parts.join(', ')})`);
}

async function main(args: Args): Promise<number> {
  const ds = loadBeirFolder(args.dataset);
  let embedder: TransformersEmbedder | undefined;
  let modelId: string | undefined;
  if (args.mode !== 'keyword' && args.model !== null) {
    const loaded = await loadLocalEmbedder(args.model);
    ({ embedder, model: modelId } = loaded);
    const { info } = loaded;
    console.error(`loaded ${modelId}: ${info.dim} dimensions, ${info.backend}, ${info.dtype}, ${info.loadMs} ms`);
  }
  const report = await evaluateDataset(ds, {
    mode: args.mode,
    embedder,
    model: modelId,
    batchSize: args.batchSize,
    chunking: args.chunking ?? undefined,
    log: (line) => console.error(line),
  });
  await embedder?.dispose();
  print(report, ds.name, args.modeName, modelId ?? null, args.chunking);
  if (args.json) {
    const out: Record<string, unknown> = {
      dataset: ds.name,
      mode: args.modeName,
      'ndcg@10': fixed(report['ndcg@10']),
      'recall@100': fixed(report['recall@100']),
      'mrr@10': fixed(report['mrr@10']),
      qps: fixed(report.qps, 1),
      queries: report.queries,
      docs: report.docs,
      ...(args.chunking
        ? { chunks: report.units, chunk_tokens: args.chunking.chunkTokens, overlap_tokens: args.chunking.overlapTokens }
        : {}),
      build_ms: fixed(report.buildMs, 1),
      keyword_build_ms: fixed(report.keywordBuildMs, 1),
    };
    if (modelId) out.model = modelId;
    if (report.fallbackReason) out.fallback = report.fallbackReason;
    console.log(JSON.stringify(out));
  }
  return 0;
}

runCli(USAGE, readArgs, main);
