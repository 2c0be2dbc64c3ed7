/**
 * The store in Chromium's real IndexedDB: the shared behaviour cases (tests/store-cases.ts), one
 * test each, run inside a built test page; then what only a browser has: a real quota failure
 * (quota lowered through the DevTools protocol), two real tabs, and a measurement of writing and
 * loading 10k chunks with 384-d vectors.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { useChromium } from './app';
import { SCHEMA_VERSION } from '../../src/store/schema';
import { storeCases } from '../store-cases';
import type { StoreHarness } from './store-harness';

const baseUrl = inject('baseUrl');
const PAGE = '/tests/browser/store-harness.html';

const chromium = useChromium();

async function harnessPage(context?: BrowserContext): Promise<Page> {
  let page: Page;
  if (context) {
    page = await context.newPage();
    await page.goto(new URL(PAGE, baseUrl).href);
  } else {
    page = (await chromium.open(baseUrl, PAGE)).page;
  }
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  return page;
}

function call<K extends keyof StoreHarness>(
  page: Page,
  method: K,
  ...args: Parameters<StoreHarness[K]>
): Promise<Awaited<ReturnType<StoreHarness[K]>>> {
  return page.evaluate(
    ([m, a]) => {
      const h = (globalThis as unknown as { storeHarness: Record<string, (...x: unknown[]) => unknown> }).storeHarness;
      return h[m]!(...a) as never;
    },
    [method, args] as const,
  ) as Promise<Awaited<ReturnType<StoreHarness[K]>>>;
}

describe('store cases in Chromium', () => {
  let page: Page;
  beforeAll(async () => {
    page = await harnessPage();
    // The page was built from the same file the names come from; a stale build would show here.
    expect(await call(page, 'caseNames')).toEqual(Object.keys(storeCases));
  });

  for (const name of Object.keys(storeCases)) {
    it(name, async () => {
      await page.evaluate((n) => (globalThis as unknown as { runCase: (n: string) => Promise<void> }).runCase(n), name);
    });
  }
});

describe('store in Chromium only', () => {
  it('a write over the quota fails as StorageQuotaExceeded, with numbers, and stores nothing', async () => {
    const o = await chromium.open(baseUrl, PAGE);
    await o.page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    const cdp = await o.context.newCDPSession(o.page);
    const origin = new URL(baseUrl).origin;
    const db = `ragscope-quota-${Date.now()}`;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 3 * 1024 * 1024 });
    const full = await call(o.page, 'quotaWrite', db, 8 * 1024 * 1024);
    expect(full.error?.name).toBe('StorageQuotaExceeded');
    // The numbers come from navigator.storage.estimate(), which does not reflect the overridden quota.
    expect(full.error?.message).toMatch(/is full \(.+ of .+ used\), so nothing was stored\. Delete documents/);
    expect(full.error?.data).toMatchObject({ usage: expect.any(Number), quota: expect.any(Number) });
    expect(full).toMatchObject({ status: null, documents: 0, chunks: 0, keyword: 0 });
    // With room again the same document goes in as new: nothing of the failed write was left.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    expect(await call(o.page, 'quotaWrite', db, 8 * 1024 * 1024)).toMatchObject({
      status: 'added',
      error: null,
      documents: 1,
      chunks: 1,
      keyword: 1,
    });
    await call(o.page, 'deleteDb', db);
  });

  it('two tabs: a write in one reaches the other; an upgrade in a third closes both without blocking', async () => {
    const context = await chromium.context();
    const [a, b, c] = [await harnessPage(context), await harnessPage(context), await harnessPage(context)];
    const db = `ragscope-tabs-${Date.now()}`;
    await call(a, 'tabOpen', db, `${db}-channel`);
    await call(b, 'tabOpen', db, `${db}-channel`);
    expect(await call(a, 'tabAdd', 'doc-from-a')).toBe('added');
    await expect
      .poll(async () => (await call(b, 'tabEvents')).changes, { timeout: 10_000 })
      .toEqual([{ type: 'document-added', collectionId: 'default', docId: 'doc-from-a' }]);
    expect(await call(b, 'tabDocuments')).toEqual(['doc-from-a']);
    expect((await call(a, 'tabEvents')).changes).toEqual([]);

    // A newer version of the app opening the same database in a third tab.
    expect(await call(c, 'tabUpgrade', db, SCHEMA_VERSION + 1)).toBe('opened');
    await expect.poll(async () => (await call(a, 'tabEvents')).closed, { timeout: 10_000 }).toEqual(['upgraded-elsewhere']);
    await expect.poll(async () => (await call(b, 'tabEvents')).closed, { timeout: 10_000 }).toEqual(['upgraded-elsewhere']);
  });

  it('measures storing and loading 10k chunks with 384-d vectors (100 documents × 100 chunks)', async () => {
    const page = await harnessPage();
    const m = await call(page, 'measure', 100, 100, 384);
    expect(m.loadedEntries).toBe(10_000);
    expect(m.loadedRows).toBe(10_000);
    const mb = (n: number): string => `${(n / 1_048_576).toFixed(1)} MB`;
    const ms = (n: number): string => `${n.toFixed(0)} ms`;
    console.log(
      [
        `store, ${m.docs} docs × ${m.chunks / m.docs} chunks × ${m.dim}-d (vectors ${mb(m.vectorBytes)}, texts + keyword entries ${mb(m.otherBytes)} as JSON; origin usage after writing ${m.usage === null ? '?' : mb(m.usage)}):`,
        `  addDocument ×${m.docs} ${ms(m.addDocumentsMs)}, putVectors ×${m.docs} ${ms(m.putVectorsMs)} (total ${ms(m.addDocumentsMs + m.putVectorsMs)})`,
        `  loadIndex(keyword + vectors) first ${ms(m.loadIndexFirstMs)}, best of 3 ${ms(m.loadIndexBestMs)}; keyword only ${ms(m.loadKeywordOnlyMs)}`,
        `  baseline, one record of the same bytes: write ${ms(m.baselineWriteMs)}, read ${ms(m.baselineReadMs)}, read + decode ${ms(m.baselineReadDecodeMs)}`,
      ].join('\n'),
    );
  });
});
