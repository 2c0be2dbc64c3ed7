/**
 * Opening the built app in Chromium the way a user would, with every request recorded (including
 * those made by workers) and page errors collected so a test can assert there were none.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import { SETTINGS_KEY } from '../../src/state/settings.svelte';
import type { DeepPartial } from '../../src/settings/validate';
import type { Settings } from '../../src/settings/defaults';

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  /** Every URL requested by the page and its workers, in order. */
  requests: string[];
  /** Uncaught exceptions in the page. */
  errors: string[];
}

export interface OpenOptions {
  /**
   * Let the app's service worker run. Off by default: it precaches the whole app (~40 MB) in every
   * new browser context, which only the offline tests need.
   */
  serviceWorker?: boolean;
  /** Let `violations` inject axe-core (an inline script, which the app's policy rightly refuses). */
  bypassCSP?: boolean;
}

export async function openApp(
  browser: Browser,
  baseUrl: string,
  path = '/',
  settings?: DeepPartial<Settings>,
  opts: OpenOptions = {},
): Promise<OpenedPage> {
  const context = await browser.newContext({ serviceWorkers: opts.serviceWorker ? 'allow' : 'block', bypassCSP: opts.bypassCSP ?? false });
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  if (settings) {
    await context.addInitScript(([key, value]) => localStorage.setItem(key, value), [SETTINGS_KEY, JSON.stringify(settings)] as const);
  }
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('worker', (w) => w.on('console', () => undefined));
  await page.goto(new URL(path, baseUrl).href);
  return { page, context, requests, errors };
}

/** Requests that left the page for the network (not data:/blob: URLs, which never do). */
export function networkRequests(urls: string[]): URL[] {
  return urls
    .map((u) => new URL(u))
    .filter((u) => u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:');
}

/**
 * One Chromium for a test file, started before its tests and closed after them with every page
 * and browser profile (context) made through it.
 */
export function useChromium(): {
  browser: () => Browser;
  open: (...args: Parameters<typeof openApp> extends [Browser, ...infer R] ? R : never) => Promise<OpenedPage>;
  /** A fresh browser profile (its own IndexedDB and caches); no service worker unless asked for. */
  context: (options?: BrowserContextOptions) => Promise<BrowserContext>;
} {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchChromium(inject('chromiumPath'));
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
  });
  return {
    browser: () => browser!,
    open: async (...args) => {
      const o = await openApp(browser!, ...args);
      contexts.push(o.context);
      return o;
    },
    context: async (options = {}) => {
      const c = await browser!.newContext({ serviceWorkers: 'block', ...options });
      contexts.push(c);
      return c;
    },
  };
}

/** The generated tiny models on WASM: what app-level tests embed and answer with. */
export const TINY_MODELS = {
  modelSource: '/models/',
  embedding: { model: 'tiny-bert', device: 'wasm', dtype: 'fp32' },
  llm: { engine: 'transformers', transformersModel: 'tiny-gpt2', transformersDevice: 'wasm', transformersDtype: 'fp32' },
} as const satisfies DeepPartial<Settings>;

/** Asks in the compare view (typing `question`, or the one already there) and waits for both answers. */
export async function askAndWait(page: Page, question?: string): Promise<void> {
  if (!(await page.getByTestId('view-ask').isVisible())) await show(page, 'ask');
  if (question !== undefined) await page.getByTestId('compare-question').fill(question);
  await page.getByTestId('compare-ask').click();
  for (const pane of ['pane-plain', 'pane-grounded']) {
    // Ended ('done', or not run / failed): waiting longer changes nothing, and the page says why.
    const ended = ['done', 'not-run', 'failed', 'stopped'];
    await expect
      .poll(async () => ended.includes((await page.getByTestId(pane).getAttribute('data-status')) ?? ''), { timeout: 120_000 })
      .toBe(true);
    const status = await page.getByTestId(pane).getAttribute('data-status');
    if (status !== 'done') {
      const why = (await page.locator('[data-testid="compare"] [data-testid="error"], [data-testid="not-run"]').allTextContents()).join(
        ' | ',
      );
      expect(status, `${pane} ended ${status}: ${why}`).toBe('done');
    }
  }
}

/** Opens one of the main area's views (Ask, Search, Evaluate, This machine, Settings) as a user would, by its link. */
export async function show(page: Page, view: 'ask' | 'search' | 'evaluate' | 'machine' | 'settings'): Promise<void> {
  await page.getByTestId(`nav-${view}`).click();
  await expect.poll(() => page.getByTestId(`view-${view}`).isVisible(), { timeout: 10_000 }).toBe(true);
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** WCAG 2 A/AA violations axe-core finds on the page as it is now, with where. */
export async function violations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            c: unknown,
            o: unknown,
          ) => Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[]; failureSummary?: string }> }> }>;
        };
      }
    ).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.flatMap((v) =>
      v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${(n.failureSummary ?? '').split('\n').slice(1, 2).join('')}`),
    );
  });
  return found;
}
