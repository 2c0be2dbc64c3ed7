/**
 * Retrieval quality on a folder of real documents and a question set with reference answers, with
 * the app's own parsers, chunker, library (store + indexes, over an in-memory IndexedDB) and
 * search: the same path a dropped file and a typed question take.
 *
 *   npm run --silent rag-eval -- --docs <folder> --questions <csv|json> [--mode bm25|dense|hybrid]
 *       [--model <embedding model folder>] [--rerank <cross-encoder folder>] [--k 1,3,5,10,20]
 *       [--set key=value ...] [--json] [--dump <file>]
 *
 * --set changes any setting (src/settings/defaults.ts) by its path, e.g. `--set ingest.chunkTokens=512`.
 * Prints evidence hit@k, MRR@20, source-document hit@k and the share of the top k from the named
 * sources, overall and per question type and chunk type, and the coverage (questions with any
 * evidence passage in the collection); the rule is in src/eval/evidence.ts. With --json the last
 * line is one JSON object; --dump writes one JSON line per question with its ranked passages.
 * Exit code 0 on success, 2 for bad arguments, 1 when documents, questions or a model cannot be read.
 */

import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_KS, MRR_DEPTH, RagEvaluator, type CorpusPassage, type RagEvalReport, type Scores } from '../eval/rag';
import { parseQuestions } from '../eval/questions';
import type { SearchMode } from '../index/types';
import { ingestFile } from '../ingest/ingest';
import { Library } from '../library/library';
import { AppError, errorText, isAppError } from '../core/errors';
import { DEFAULT_SETTINGS, retrievalOptions, type Settings } from '../settings/defaults';
import { validateSettings } from '../settings/validate';
import { Store } from '../store';
import { loadLocalEmbedder, loadLocalReranker } from './local-model';
import { rerankResult } from '../library/rerank';
import { parseCli, runCli, type CliArgs } from './args';
import { configurePdfForNode, listFiles } from './node-env';

const USAGE =
  'usage: npm run --silent rag-eval -- --docs <folder> --questions <csv|json> [--mode bm25|dense|hybrid] [--model <folder>] ' +
  '[--rerank <folder>] [--k 1,3,5,10,20] [--set key=value ...] [--json] [--dump <file>]';

const MODES: Record<string, SearchMode> = { bm25: 'keyword', keyword: 'keyword', dense: 'dense', hybrid: 'hybrid' };

interface Args {
  docs: string;
  questions: string;
  modeName: string;
  model: string | null;
  rerank: string | null;
  ks: number[];
  sets: Array<[string, string]>;
  json: boolean;
  dump: string | null;
}

const exists = (p: string, dir: boolean): boolean => {
  try {
    const s = statSync(p);
    return dir ? s.isDirectory() : s.isFile();
  } catch {
    return false;
  }
};

const OPTIONS = {
  docs: { type: 'string', arg: 'a folder' },
  questions: { type: 'string', arg: 'a file' },
  mode: { type: 'string', arg: 'bm25, dense or hybrid' },
  model: { type: 'string', arg: 'a folder' },
  rerank: { type: 'string', arg: 'a folder' },
  k: { type: 'string', arg: 'whole numbers from 1 to 100, e.g. 1,3,5,10,20' },
  set: { type: 'string', multiple: true, arg: 'key=value, e.g. --set ingest.chunkTokens=512' },
  json: { type: 'boolean' },
  dump: { type: 'string', arg: 'a file' },
} as const;

function readArgs(argv: string[]): CliArgs<Args> {
  const p = parseCli(argv, OPTIONS);
  if (typeof p !== 'object') return p;
  const v = p.values;
  const args: Args = {
    docs: v.docs ?? '',
    questions: v.questions ?? '',
    modeName: '',
    model: v.model ?? null,
    rerank: v.rerank ?? null,
    ks: [...DEFAULT_KS],
    sets: [],
    json: v.json === true,
    dump: v.dump ?? null,
  };
  if (v.mode !== undefined) {
    if (MODES[v.mode] === undefined) return '--mode must be bm25, dense or hybrid';
    args.modeName = v.mode === 'keyword' ? 'bm25' : v.mode;
  }
  if (v.k !== undefined) {
    const ks = v.k.split(',').map(Number);
    if (ks.some((k) => !Number.isInteger(k) || k < 1 || k > 100)) return '--k needs whole numbers from 1 to 100, e.g. 1,3,5,10,20';
    args.ks = [...new Set(ks)].sort((x, y) => x - y);
  }
  for (const pair of v.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return '--set needs key=value, e.g. --set ingest.chunkTokens=512';
    args.sets.push([pair.slice(0, eq), pair.slice(eq + 1)]);
  }
  if (!args.docs) return 'missing --docs';
  if (!args.questions) return 'missing --questions';
  if (!exists(args.docs, true)) return `${args.docs} is not a folder`;
  if (!exists(args.questions, false)) return `${args.questions} is not a file`;
  for (const m of [args.model, args.rerank]) if (m !== null && !exists(m, true)) return `${m} is not a folder`;
  return args;
}

/** Applies `--set` pairs to the defaults and validates the result as the app does. */
export function settingsWith(sets: ReadonlyArray<[string, string]>, mode?: SearchMode): Settings {
  const draft = structuredClone(DEFAULT_SETTINGS) as unknown as Record<string, unknown>;
  for (const [key, raw] of sets) {
    const parts = key.split('.');
    let node = draft;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (typeof next !== 'object' || next === null) throw new AppError('InvalidSettings', `There is no setting called ${key}.`);
      node = next as Record<string, unknown>;
    }
    const leaf = parts.at(-1)!;
    if (!Object.hasOwn(node, leaf) || typeof node[leaf] === 'object')
      throw new AppError('InvalidSettings', `There is no setting called ${key}.`);
    const was = node[leaf];
    node[leaf] = typeof was === 'number' ? Number(raw) : typeof was === 'boolean' ? raw === 'true' || (raw === 'false' ? false : raw) : raw;
  }
  if (mode) (draft.retrieval as Record<string, unknown>).mode = mode;
  // Named by key, as typed after --set.
  return validateSettings(draft, 'key');
}

const fixed = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;

function row(label: string, s: Scores, ks: readonly number[], shareK: number): string {
  const cells = [
    String(s.questions).padStart(4),
    s.coverage.toFixed(2).padStart(6),
    ...ks.map((k) => s.hit[k]!.toFixed(2).padStart(k >= 10 ? 7 : 6)),
    s.mrr.toFixed(3).padStart(7),
    (s.withSources ? s.sourceHit[shareK]!.toFixed(2) : '-').padStart(7),
    (s.withSources ? s.sourceShare[shareK]!.toFixed(2) : '-').padStart(8),
  ];
  return `${label.slice(0, 30).padEnd(30)}${cells.join('')}`;
}

function printReport(r: RagEvalReport, shareK: number): void {
  const head = ['   n', ' cover', ...r.ks.map((k) => ` hit@${k}`), ' mrr@20', ` src@${shareK}`, ` share@${shareK}`];
  console.log(`${''.padEnd(30)}${head.join('')}`);
  console.log(row('all questions', r.overall, r.ks, shareK));
  for (const [g, s] of Object.entries(r.byType)) console.log(row(`  ${g}`, s, r.ks, shareK));
  for (const [g, s] of Object.entries(r.byChunkType)) console.log(row(`  answer in ${g.toLowerCase()}`, s, r.ks, shareK));
  const uncovered = r.questions.filter((q) => q.evidenceInCollection === 0 && !q.declined).map((q) => q.id);
  const declined = r.questions.filter((q) => q.declined).map((q) => q.id);
  if (uncovered.length > 0) console.log(`not covered (no passage anywhere holds the answer's facts): ${uncovered.join(', ')}`);
  if (declined.length > 0)
    console.log(`not covered by design (the reference answer says the documents do not hold it): ${declined.join(', ')}`);
  const unmatched = r.questions.filter((q) => q.unmatched.length > 0);
  if (unmatched.length > 0)
    console.log(`source globs matching no document: ${unmatched.map((q) => `${q.id} ${q.unmatched.join(' ')}`).join('; ')}`);
}

function jsonScores(s: Scores, ks: readonly number[]): Record<string, number> {
  const out: Record<string, number> = { questions: s.questions, coverage: fixed(s.coverage) };
  for (const k of ks) out[`hit@${k}`] = fixed(s.hit[k]!);
  out['mrr@20'] = fixed(s.mrr);
  for (const k of ks) out[`source_hit@${k}`] = fixed(s.sourceHit[k]!);
  for (const k of ks) out[`source_share@${k}`] = fixed(s.sourceShare[k]!);
  return out;
}

async function main(args: Args): Promise<number> {
  let settings: Settings;
  try {
    // Without --mode: the app's default mode when a model is given, else keyword search (BM25).
    const explicit = args.modeName
      ? MODES[args.modeName]
      : args.model === null && !args.sets.some(([k]) => k === 'retrieval.mode')
        ? 'keyword'
        : undefined;
    settings = settingsWith(args.sets, explicit);
  } catch (e) {
    console.error(`${isAppError(e) ? e.message : errorText(e)}\n${USAGE}`);
    return 2;
  }
  const mode = settings.retrieval.mode;
  const modeName = mode === 'keyword' ? 'bm25' : mode;
  if (mode !== 'keyword' && args.model === null) {
    console.error(`--mode ${modeName} needs --model <embedding model folder>\n${USAGE}`);
    return 2;
  }
  if (settings.retrieval.rerank && args.rerank === null) {
    console.error(`retrieval.rerank=true needs --rerank <cross-encoder folder>\n${USAGE}`);
    return 2;
  }
  const questions = parseQuestions(readFileSync(args.questions, 'utf8'), path.basename(args.questions));
  configurePdfForNode();

  const loaded = args.model !== null && mode !== 'keyword' ? await loadLocalEmbedder(args.model) : null;
  if (loaded) console.error(`loaded ${loaded.model}: ${loaded.info.dim} dimensions, ${loaded.info.backend}, ${loaded.info.dtype}`);
  const reranking = args.rerank !== null ? await loadLocalReranker(args.rerank) : null;
  if (reranking) console.error(`loaded reranker ${reranking.model}: ${reranking.info.backend}, ${reranking.info.dtype}`);
  const rerankN = settings.retrieval.rerankCandidates;
  const model = loaded?.model ?? settings.embedding.model;
  const store = await Store.open('rag-eval', { indexedDB: new IDBFactory(), channel: null, estimate: () => Promise.resolve(null) });
  const lib = await Library.open(store, { model });

  // Ingest: the app's parse → chunk → one transaction per document.
  let t = performance.now();
  const passages: CorpusPassage[] = [];
  const names: string[] = [];
  for (const file of listFiles(args.docs, { hidden: false })) {
    const name = path.relative(args.docs, file);
    try {
      const out = await ingestFile(new Blob([readFileSync(file)]), {
        name,
        maxBytes: settings.ingest.maxFileMB * 1024 * 1024,
        chunking: { chunkTokens: settings.ingest.chunkTokens, overlapTokens: settings.ingest.overlapTokens },
      });
      // The same content twice (a copy under another name) is stored once, as the app does.
      if (out.kind === 'duplicate' || (await lib.add(out.doc)).status === 'duplicate') {
        console.error(`skipped ${name}: the same content as a file already read`);
        continue;
      }
      names.push(name);
      for (const c of out.doc.chunks) passages.push({ id: c.id, doc: name, pages: c.pages, text: c.text });
    } catch (e) {
      console.error(`skipped ${name}: ${isAppError(e) ? `${e.name}: ${e.message}` : errorText(e)}`);
    }
  }
  const ingestMs = performance.now() - t;
  if (names.length === 0) throw new AppError('InvalidRequest', `${args.docs} holds no document ragscope can read.`);

  let embedMs = 0;
  if (loaded) {
    t = performance.now();
    // The library embeds each document as the library worker does: texts as indexed, one write each.
    const pending = lib.pending();
    let done = 0;
    const total = pending.reduce((s, p) => s + p.chunks, 0);
    for (const p of pending) {
      await lib.embed(p.docId, model, loaded.embedder, { batchSize: settings.embedding.batchSize });
      done += p.chunks;
      console.error(`  embedded ${done}/${total} passages`);
    }
    embedMs = performance.now() - t;
  }

  t = performance.now();
  const evaluator = new RagEvaluator(questions, names, passages);
  const judgeMs = performance.now() - t;
  const depth = Math.max(MRR_DEPTH, ...args.ks);
  let searchMs = 0;
  let rerankMs = 0;
  const report = await evaluator.run(
    async (q) => {
      const started = performance.now();
      const queryVector = loaded ? (await loaded.embedder.embed({ texts: [q.question], kind: 'query', batchSize: 1 })).vectors : undefined;
      const { rerank: _, ...first } = retrievalOptions(settings.retrieval);
      let res = await lib.search({
        ...first,
        query: q.question,
        k: reranking ? Math.max(depth, rerankN) : depth,
        ...(queryVector ? { queryVector } : {}),
      });
      if (reranking) {
        res = await rerankResult(res, q.question, depth, {
          reranker: () => Promise.resolve(reranking.reranker),
          model: reranking.model,
          candidates: rerankN,
        });
        if (res.rerankError) throw new AppError('InternalError', res.rerankError);
        rerankMs += res.rerank?.ms ?? 0;
      }
      searchMs += performance.now() - started;
      return res.hits.map((h) => ({ id: h.chunkId, doc: h.docName, pages: h.pages, text: h.text }));
    },
    { ks: args.ks },
  );
  await loaded?.embedder.dispose();
  await reranking?.reranker.dispose();

  const shareK = args.ks.includes(5) ? 5 : args.ks[Math.floor(args.ks.length / 2)]!;
  const changed = args.sets.map(([k, v]) => `${k}=${v}`).join(' ');
  // A set's folder is often <name>/docs: report the meaningful part.
  const base = path.basename(path.resolve(args.docs));
  const setName = base === 'docs' ? path.basename(path.dirname(path.resolve(args.docs))) : base;
  console.log(
    `${setName}: ${names.length} documents, ${passages.length} passages, ${questions.length} questions; ` +
      `mode ${modeName}${loaded ? ` (${model})` : ''}; chunks ${settings.ingest.chunkTokens}/${settings.ingest.overlapTokens}${changed ? `; ${changed}` : ''}`,
  );
  printReport(report, shareK);
  console.log(
    `ingest ${(ingestMs / 1000).toFixed(1)} s${embedMs ? `, embed ${(embedMs / 1000).toFixed(1)} s` : ''}, judging ${(judgeMs / 1000).toFixed(1)} s, ` +
      `search ${(searchMs / questions.length).toFixed(1)} ms per question` +
      (reranking ? ` (reranking ${rerankN} candidates with ${reranking.model}: ${(rerankMs / questions.length).toFixed(0)} ms of it)` : ''),
  );
  if (args.dump !== null) {
    const lines = report.questions.map((q) =>
      JSON.stringify({
        id: q.id,
        question: q.question,
        passages: q.ranked.map((p, i) => ({ doc: p.doc, pages: p.pages ?? [], text: p.text, evidence: q.evidenceRanks.includes(i + 1) })),
      }),
    );
    writeFileSync(args.dump, lines.join('\n') + '\n');
  }
  if (args.json) {
    const out: Record<string, unknown> = {
      docs: names.length,
      passages: passages.length,
      mode: modeName,
      ...(loaded ? { model } : {}),
      ...(reranking ? { rerank: reranking.model, rerank_candidates: rerankN, rerank_ms: fixed(rerankMs / questions.length, 1) } : {}),
      chunk_tokens: settings.ingest.chunkTokens,
      overlap_tokens: settings.ingest.overlapTokens,
      ...(changed ? { set: changed } : {}),
      ...jsonScores(report.overall, args.ks),
      by_type: Object.fromEntries(Object.entries(report.byType).map(([g, s]) => [g, jsonScores(s, args.ks)])),
      by_chunk_type: Object.fromEntries(Object.entries(report.byChunkType).map(([g, s]) => [g, jsonScores(s, args.ks)])),
      uncovered: report.questions.filter((q) => q.evidenceInCollection === 0 && !q.declined).map((q) => q.id),
      declined: report.questions.filter((q) => q.declined).map((q) => q.id),
      search_ms: fixed(searchMs / questions.length, 2),
    };
    console.log(JSON.stringify(out));
  }
  return 0;
}

runCli(USAGE, readArgs, main);
