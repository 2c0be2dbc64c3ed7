/**
 * Parser robustness report over a folder of real files, with the app's own parsing code.
 *
 *   npm run --silent corpus -- <folder> [--json] [--timeout-ms N] [--threads N] [--max-mb N] [--no-ocr] [--verbose]
 *
 * Every file below the folder is parsed in a pool of worker threads (default 2). A file still
 * parsing after the time limit (default 60 s, as in the app) is abandoned: its thread is terminated
 * and replaced, and the others go on. Prints a table per format: files, parsed, each named error,
 * crashes (exceptions no parser turned into a named error: the target is zero), timeouts, pages,
 * characters and pages per second. Text recognition is on, as in the app (--no-ocr: off, as before
 * it existed): scanned PDF pages and images are read by OCR, and a line reports the pages read,
 * pages per second and mean confidence. With --json, the last line is one JSON object:
 *   {"files":N,"parsed":N,"errors":{"<ErrorName>":N},"crashes":N,"timeouts":N,"pages":N,"seconds":X,
 *    "ocr":{"files":N,"pages":N,"leftOut":N,"pagesPerSecond":X,"confidence":X}}
 * Exit code 0 whatever the files do (it is a report); 2 for bad arguments.
 * Passwords are never looked up: encrypted PDFs are expected to report PasswordProtectedPdf.
 */

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_MAX_BYTES } from '../ingest/registry';
import { OCR_PAGE_TIMEOUT_MS } from '../ingest/ocr';
import { sniff } from '../ingest/sniff';
import type { CorpusJob, CorpusOutcome } from './corpus-worker';
import { parseCli, runCli, type CliArgs } from './args';
import { listFiles } from './node-env';

interface Args {
  folder: string;
  json: boolean;
  timeoutMs: number;
  threads: number;
  maxBytes: number;
  verbose: boolean;
  ocr: boolean;
}

const USAGE = 'usage: npm run --silent corpus -- <folder> [--json] [--timeout-ms N] [--threads N] [--max-mb N] [--no-ocr] [--verbose]';

const OPTIONS = {
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'no-ocr': { type: 'boolean' },
  'timeout-ms': { type: 'string', arg: 'a positive number' },
  threads: { type: 'string', arg: 'a positive number' },
  'max-mb': { type: 'string', arg: 'a positive number' },
} as const;

function readArgs(argv: string[]): CliArgs<Args> {
  const p = parseCli(argv, OPTIONS, { positionals: true });
  if (typeof p !== 'object') return p;
  const { values: v, positionals } = p;
  let error = '';
  const positive = (flag: 'timeout-ms' | 'threads' | 'max-mb', fallback: number): number => {
    const raw = v[flag];
    const n = Number(raw);
    if (raw === undefined) return fallback;
    if (!(Number.isFinite(n) && n > 0)) error ||= `--${flag} needs a positive number`;
    return n;
  };
  const timeoutMs = positive('timeout-ms', 60_000);
  const threads = Math.floor(positive('threads', 2));
  const maxBytes = positive('max-mb', DEFAULT_MAX_BYTES / (1024 * 1024)) * 1024 * 1024;
  if (error) return error;
  const [folder, extra] = positionals;
  if (extra !== undefined) return `unexpected argument ${extra}`;
  if (!folder) return 'missing <folder>';
  try {
    if (!statSync(folder).isDirectory()) return `${folder} is not a folder`;
  } catch {
    return `${folder} does not exist`;
  }
  return { folder, json: v.json === true, verbose: v.verbose === true, timeoutMs, threads, maxBytes, ocr: v['no-ocr'] !== true };
}

interface FileResult {
  file: string;
  format: string;
  outcome: CorpusOutcome | { kind: 'timeout'; ms: number };
}

/** A worker thread that runs TypeScript: tsx's loader is registered inside it before the entry loads. */
function spawnWorker(): Worker {
  const entry = new URL('./corpus-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
}

class Lane {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private pending: ((o: CorpusOutcome) => void) | null = null;
  private failed: ((e: Error) => void) | null = null;

  private start(): Promise<void> {
    const w = spawnWorker();
    this.worker = w;
    this.ready = new Promise((resolve, reject) => {
      w.on('message', (m: CorpusOutcome | { ready: true }) => {
        if ('ready' in m) resolve();
        else this.pending?.(m);
      });
      w.on('error', (e) => {
        reject(e);
        this.failed?.(e);
      });
      w.on('exit', (code) => {
        if (this.worker === w) {
          this.worker = null;
          this.failed?.(new Error(`worker thread exited with code ${code}`));
        }
      });
    });
    return this.ready;
  }

  /** Parses one file; resolves 'timeout' after `timeoutMs` (the thread is then replaced). */
  async run(job: CorpusJob, timeoutMs: number): Promise<CorpusOutcome | { kind: 'timeout'; ms: number }> {
    if (!this.worker) await this.start();
    else await this.ready;
    const w = this.worker!;
    const started = performance.now();
    return new Promise((resolve) => {
      const finish = (o: CorpusOutcome | { kind: 'timeout'; ms: number }): void => {
        clearTimeout(timer);
        this.pending = null;
        this.failed = null;
        resolve(o);
      };
      const timer = setTimeout(() => {
        this.worker = null;
        void w.terminate();
        finish({ kind: 'timeout', ms: Math.round(performance.now() - started) });
      }, timeoutMs);
      this.pending = finish;
      // The thread died under this file (out of memory, a native crash): a crash of this file.
      this.failed = (e) => {
        this.worker = null;
        void w.terminate();
        finish({
          id: job.id,
          kind: 'crash',
          message: `worker thread died: ${e.message}`,
          stack: e.stack ?? '',
          ms: Math.round(performance.now() - started),
        });
      };
      w.postMessage(job, [job.bytes.buffer]);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

interface Row {
  files: number;
  parsed: number;
  errors: Map<string, number>;
  crashes: number;
  timeouts: number;
  pages: number;
  chars: number;
  ms: number;
}

function newRow(): Row {
  return { files: 0, parsed: 0, errors: new Map(), crashes: 0, timeouts: 0, pages: 0, chars: 0, ms: 0 };
}

function add(row: Row, r: FileResult): void {
  row.files++;
  row.ms += r.outcome.ms;
  const o = r.outcome;
  if (o.kind === 'parsed') {
    row.parsed++;
    row.pages += o.pages;
    row.chars += o.chars;
  } else if (o.kind === 'error') row.errors.set(o.error, (row.errors.get(o.error) ?? 0) + 1);
  else if (o.kind === 'crash') row.crashes++;
  else row.timeouts++;
}

function table(rows: Map<string, Row>, total: Row): string {
  const errorNames = [...new Set([...rows.values()].flatMap((r) => [...r.errors.keys()]))].sort();
  const head = ['format', 'files', 'parsed', ...errorNames, 'crashes', 'timeouts', 'pages', 'chars', 'pages/s'];
  const line = (name: string, r: Row): string[] => {
    const secs = r.ms / 1000;
    return [
      name,
      String(r.files),
      String(r.parsed),
      ...errorNames.map((n) => String(r.errors.get(n) ?? 0)),
      String(r.crashes),
      String(r.timeouts),
      r.pages ? String(r.pages) : '-',
      String(r.chars),
      r.pages && secs > 0 ? (r.pages / secs).toFixed(1) : '-',
    ];
  };
  const body = [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, r]) => line(name, r));
  const all = [head, ...body, line('all', total)];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
  return all.map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

async function main(args: Args): Promise<number> {
  const started = performance.now();
  const files = listFiles(args.folder);
  const results: FileResult[] = new Array(files.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(args.threads, files.length)) }, () => new Lane());
  await Promise.all(
    lanes.map(async (lane) => {
      for (let i = next++; i < files.length; i = next++) {
        const file = files[i]!;
        const rel = path.relative(args.folder, file);
        const buf = readFileSync(file);
        const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        const format = sniff(bytes, file).format ?? 'unsupported';
        const outcome = await lane.run(
          {
            id: i,
            name: path.basename(file),
            bytes,
            maxBytes: args.maxBytes,
            ...(args.ocr ? { ocr: { languages: ['eng'], pageTimeoutMs: OCR_PAGE_TIMEOUT_MS } } : {}),
          },
          args.timeoutMs,
        );
        results[i] = { file: rel, format, outcome };
        if (args.verbose) {
          const o = outcome;
          const what =
            o.kind === 'parsed'
              ? `parsed ${o.pages ? `${o.pages} pages, ` : ''}${o.chars} chars${o.ocr ? `, ${o.ocr.pages} by OCR (${Math.round(o.ocr.confidence * 100)}%)` : ''}`
              : o.kind === 'error'
                ? `${o.error}: ${o.message}`
                : o.kind === 'crash'
                  ? `CRASH ${o.message}`
                  : 'TIMEOUT';
          console.log(`${rel}\t${format}\t${what}\t${o.ms} ms`);
        }
      }
    }),
  );
  await Promise.all(lanes.map((l) => l.close()));
  const seconds = (performance.now() - started) / 1000;

  const rows = new Map<string, Row>();
  const total = newRow();
  for (const r of results) {
    if (!rows.has(r.format)) rows.set(r.format, newRow());
    add(rows.get(r.format)!, r);
    add(total, r);
  }
  console.log(`${files.length} files under ${args.folder}, ${lanes.length} threads, ${seconds.toFixed(1)} s wall clock`);
  console.log('(pages/s: pages parsed per second of parsing time in one thread; pages are PDF pages)');
  console.log(table(rows, total));
  const ocr = ocrSummary(results);
  if (args.ocr) {
    console.log(
      ocr.pages === 0
        ? 'OCR: no page or image needed it'
        : `OCR: ${ocr.pages} pages or images in ${ocr.files} files read in ${(ocr.ms / 1000).toFixed(1)} s (${ocr.pagesPerSecond.toFixed(2)} pages/s in one thread), mean confidence ${Math.round(ocr.confidence * 100)}%, ${ocr.leftOut} left out as too unsure`,
    );
  } else console.log('OCR: off (--no-ocr)');
  const bad = results.filter((r) => r.outcome.kind === 'crash' || r.outcome.kind === 'timeout');
  if (bad.length > 0) {
    console.log('\ncrashes and timeouts:');
    for (const r of bad) {
      const o = r.outcome;
      console.log(`  ${r.file}: ${o.kind === 'crash' ? `crash: ${o.message}` : `timeout after ${o.ms} ms`}`);
    }
  }
  if (args.json) {
    console.log(
      JSON.stringify({
        files: total.files,
        parsed: total.parsed,
        errors: Object.fromEntries([...total.errors.entries()].sort()),
        crashes: total.crashes,
        timeouts: total.timeouts,
        pages: total.pages,
        seconds: Math.round(seconds * 100) / 100,
        ...(args.ocr
          ? {
              ocr: {
                files: ocr.files,
                pages: ocr.pages,
                leftOut: ocr.leftOut,
                pagesPerSecond: Math.round(ocr.pagesPerSecond * 100) / 100,
                confidence: Math.round(ocr.confidence * 1000) / 1000,
              },
            }
          : {}),
      }),
    );
  }
  return 0;
}

/** OCR over the files: pages read, in how many files, their time, pages per second and mean confidence (per page). */
function ocrSummary(results: readonly FileResult[]): {
  files: number;
  pages: number;
  leftOut: number;
  ms: number;
  pagesPerSecond: number;
  confidence: number;
} {
  const read = results.flatMap((r) => (r.outcome.kind === 'parsed' && r.outcome.ocr ? [r.outcome.ocr] : []));
  const pages = read.reduce((n, o) => n + o.pages, 0);
  const ms = read.reduce((n, o) => n + o.ms, 0);
  return {
    files: read.length,
    pages,
    leftOut: read.reduce((n, o) => n + o.leftOut, 0),
    ms,
    pagesPerSecond: ms > 0 ? pages / (ms / 1000) : 0,
    confidence: pages > 0 ? read.reduce((n, o) => n + o.confidence * o.pages, 0) / pages : 0,
  };
}

runCli(USAGE, readArgs, main);
