/**
 * Browser sections of the bench: builds the bench pages (tests/bench/*.html) with the repo's own
 * Vite config, as the browser tests build their harness, serves them with the tests' static server
 * (generated models under /models/), and drives Debian Chromium through playwright-core.
 *
 * Chromium runs with a persistent profile in a temporary folder: the default (incognito-like)
 * context keeps IndexedDB in memory, which would make the storage numbers meaningless.
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../browser/chromium';
import { serveStatic, type StaticServer } from '../browser/static-server';
import { pageMessagesScript, type PageMessageStats } from '../browser/page-messages';
import { median } from './stats';
import {
  IDB,
  type AppPageReadyResult,
  type EmbedPage,
  type EmbedRunResult,
  type IdbPage,
  type IdbReadyResult,
  type IdbStoreResult,
} from './page-api';
import { LIBRARY_READY_MARK } from '../../src/library/protocol';
import { SETTINGS_KEY } from '../../src/state/settings.svelte';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** Build output of the bench pages; under tests/.output/ like the browser tests' build (git-ignored). */
export const OUT_DIR = path.join(ROOT, 'tests/.output/bench');
export const MODELS_DIR = path.join(ROOT, 'tests/fixtures/generated/models');

/** Longest a bench page may take for one call, ms: 10 minutes (embedding on WASM is slow). */
const PAGE_TIMEOUT_MS = 600_000;

export async function buildPages(): Promise<void> {
  await build({
    configFile: path.join(ROOT, 'vite.config.ts'),
    root: ROOT,
    logLevel: 'error',
    build: {
      outDir: OUT_DIR,
      emptyOutDir: true,
      rollupOptions: {
        input: {
          app: path.join(ROOT, 'index.html'),
          idb: path.join(ROOT, 'tests/bench/idb.html'),
          embed: path.join(ROOT, 'tests/bench/embed.html'),
        },
      },
    },
  });
}

export class BenchBrowser {
  private constructor(
    private readonly context: BrowserContext,
    private readonly server: StaticServer,
    private readonly profile: string,
  ) {}

  static async start(): Promise<BenchBrowser> {
    if (!existsSync(OUT_DIR)) throw new Error(`bench pages not built (${OUT_DIR})`);
    const server = await serveStatic([
      { prefix: '/', dir: OUT_DIR },
      { prefix: '/models/', dir: MODELS_DIR },
    ]);
    const profile = mkdtempSync(path.join(tmpdir(), 'ragscope-bench-profile-'));
    try {
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath(),
        headless: true,
        args: [...CHROMIUM_ARGS],
      });
      context.setDefaultTimeout(PAGE_TIMEOUT_MS);
      return new BenchBrowser(context, server, profile);
    } catch (e) {
      await server.close();
      rmSync(profile, { recursive: true, force: true });
      throw e;
    }
  }

  /** Opens a bench page and waits for its script to say it is ready; page errors are rethrown. */
  async open(file: string): Promise<Page> {
    const page = await this.context.newPage();
    await page.goto(new URL(file, this.server.url).href);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    const error = await page.evaluate(() => document.body.dataset.error);
    if (error) throw new Error(`${file}: ${error}`);
    return page;
  }

  /**
   * Loads the real app page and waits for its library to be open (the LIBRARY_READY_MARK mark).
   * The app reads its settings from localStorage, so `settings` is saved there first.
   */
  async openApp(settings: unknown, init?: string): Promise<{ page: Page; ready: AppPageReadyResult }> {
    const page = await this.context.newPage();
    if (init) await page.addInitScript(init);
    await page.goto(new URL('/tests/bench/idb.html', this.server.url).href);
    await page.evaluate(([key, value]) => localStorage.setItem(key, value), [SETTINGS_KEY, JSON.stringify(settings)] as const);
    await page.goto(new URL('/', this.server.url).href);
    const handle = await page.waitForFunction((mark) => {
      const e = performance.getEntriesByName(mark)[0] as PerformanceMark | undefined;
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      if (!e || !nav || nav.loadEventEnd === 0) return null;
      return { readyAt: e.startTime, loadedAt: nav.loadEventEnd, ...(e.detail as { chunks: number; embeddedChunks: number }) };
    }, LIBRARY_READY_MARK);
    return { page, ready: (await handle.jsonValue())! };
  }

  async close(): Promise<void> {
    await this.context.close();
    await this.server.close();
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export interface IdbOptions {
  texts: string[];
  chunksPerDoc: number;
  dim: number;
  /** Store repetitions (each on emptied databases); the median is reported. */
  storeReps: number;
  /** Page loads per path for "ready", alternated app/raw; the median is reported. */
  readyReps: number;
}

export interface IdbResult {
  chunks: number;
  documents: number;
  dim: number;
  rawBytes: number;
  app: { storeMs: number; readyMs: number; loadMs: number; buildMs: number };
  raw: { storeMs: number; readyMs: number; loadMs: number; buildMs: number };
  /**
   * The real app page: navigation start → library open in its worker and the snapshot on the page;
   * and the same end point counted from the page's load event.
   */
  page: { readyMs: number; afterLoadMs: number };
}

export async function benchIdb(b: BenchBrowser, o: IdbOptions): Promise<IdbResult> {
  const stores: IdbStoreResult[] = [];
  const page = await b.open('/tests/bench/idb.html');
  for (let r = 0; r < o.storeReps; r++) {
    stores.push(
      await page.evaluate((args) => (globalThis as unknown as { bench: IdbPage }).bench.store(args), {
        texts: o.texts,
        chunksPerDoc: o.chunksPerDoc,
        dim: o.dim,
        seed: 11,
      }),
    );
  }
  await page.close();

  const ready: Record<'app' | 'raw', IdbReadyResult[]> = { app: [], raw: [] };
  const appPage: AppPageReadyResult[] = [];
  // The app opens with the stored vectors' model, from the app-served models: nothing to download,
  // and no embedding starts (every document already has vectors of that model).
  const settings = { modelSource: '/models/', embedding: { model: IDB.model } };
  for (let r = 0; r < o.readyReps; r++) {
    for (const mode of ['app', 'raw'] as const) {
      const p = await b.open(`/tests/bench/idb.html?ready=${mode}`);
      const result = JSON.parse((await p.evaluate(() => document.body.dataset.result))!) as IdbReadyResult;
      if (result.chunks !== o.texts.length) throw new Error(`${mode}: ready with ${result.chunks} of ${o.texts.length} chunks`);
      ready[mode].push(result);
      await p.close();
    }
    const { page: p, ready: pageReady } = await b.openApp(settings);
    if (pageReady.embeddedChunks !== o.texts.length) {
      throw new Error(`app page: ready with ${pageReady.chunks} chunks, ${pageReady.embeddedChunks} with vectors, of ${o.texts.length}`);
    }
    appPage.push(pageReady);
    await p.close();
  }
  const summary = (mode: 'app' | 'raw') => ({
    storeMs: median(stores.map((s) => (mode === 'app' ? s.appMs : s.rawMs))),
    readyMs: median(ready[mode].map((r) => r.readyAt)),
    loadMs: median(ready[mode].map((r) => r.loadedAt - r.scriptAt)),
    buildMs: median(ready[mode].map((r) => r.readyAt - r.loadedAt)),
  });
  return {
    chunks: stores[0]!.chunks,
    documents: stores[0]!.documents,
    dim: o.dim,
    rawBytes: stores[0]!.rawBytes,
    app: summary('app'),
    raw: summary('raw'),
    page: { readyMs: median(appPage.map((r) => r.readyAt)), afterLoadMs: median(appPage.map((r) => r.readyAt - r.loadedAt)) },
  };
}

export interface EmbedOptions {
  model: string;
  texts: string[];
  batchSize: number;
  reps: number;
}

export interface EmbedResult extends Omit<EmbedRunResult, 'appMs' | 'bareMs'> {
  texts: number;
  batchSize: number;
  /** Chunks per second from the median run of each path. */
  appChunksPerSec: number;
  bareChunksPerSec: number;
}

export async function benchEmbed(b: BenchBrowser, o: EmbedOptions): Promise<EmbedResult> {
  const page = await b.open('/tests/bench/embed.html');
  const r = await page.evaluate((args) => (globalThis as unknown as { bench: EmbedPage }).bench.embed(args), o);
  await page.close();
  const { appMs, bareMs, ...rest } = r;
  return {
    ...rest,
    texts: o.texts.length,
    batchSize: o.batchSize,
    appChunksPerSec: o.texts.length / (median(appMs) / 1000),
    bareChunksPerSec: o.texts.length / (median(bareMs) / 1000),
  };
}

export interface RerankOptions {
  model: string;
  query: string;
  passages: string[];
  counts: number[];
  reps: number;
}

export interface RerankResult {
  backend: string;
  dtype: string;
  loadMs: number;
  /** Median ms per candidate count, and per candidate. */
  runs: Array<{ n: number; medianMs: number; perCandidateMs: number }>;
}

export async function benchRerank(b: BenchBrowser, o: RerankOptions): Promise<RerankResult> {
  const page = await b.open('/tests/bench/embed.html');
  const r = await page.evaluate((args) => (globalThis as unknown as { bench: EmbedPage }).bench.rerank(args), o);
  await page.close();
  return {
    backend: r.backend,
    dtype: r.dtype,
    loadMs: r.loadMs,
    runs: r.runs.map(({ n, ms }) => ({ n, medianMs: median(ms), perCandidateMs: median(ms) / n })),
  };
}

export interface DropOptions {
  /** The files dropped, all at once (e.g. the 8 10-Q filings of the dev set). */
  files: string[];
  model: string;
}

export interface DropResult {
  files: number;
  chunks: number;
  /** File chooser → every document listed as searchable by keyword / by meaning, ms. */
  keywordMs: number;
  meaningMs: number;
  /** What crossed the page on the way (see tests/browser/page-messages.ts). */
  messages: PageMessageStats;
}

/**
 * Drop → searchable: the real app page, the files given to its file input at once, timed until
 * every document's row says it is searchable by keyword and then by meaning (vectors of `model`
 * stored), counting the messages and bytes the page posted and received on the way.
 */
export async function benchDrop(b: BenchBrowser, o: DropOptions): Promise<DropResult> {
  const settings = { modelSource: '/models/', embedding: { model: o.model, device: 'wasm', dtype: 'fp32' } };
  const { page } = await b.openApp(settings, pageMessagesScript());
  const start = Date.now();
  await page.getByTestId('file-input').setInputFiles(o.files);
  const rows = (embedded: boolean): Promise<unknown> =>
    page.waitForFunction(
      ([n, e]) => document.querySelectorAll(`[data-testid="doc-row"]${e ? '[data-embedded="true"]' : ''}`).length >= n,
      [o.files.length, embedded] as const,
      { polling: 250 },
    );
  await rows(false);
  const keywordMs = Date.now() - start;
  await rows(true);
  const meaningMs = Date.now() - start;
  const messages = (await page.evaluate(() => window.__pageMessages))!;
  const chunks = Number(
    await page
      .getByTestId('chunk-total')
      .textContent()
      .then((t) => (t ?? '').replace(/\D/g, '')),
  );
  await page.close();
  return { files: o.files.length, chunks, keywordMs, meaningMs, messages };
}
