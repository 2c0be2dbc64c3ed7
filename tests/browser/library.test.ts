/**
 * The library in the real app: documents dropped with real drag events, parsed and embedded in the
 * real workers (generated tiny BERT served by the app), stored in Chromium's real IndexedDB, and
 * searched from the page. Reloads, a page closed mid-ingest, deletes and a second tab.
 */
import { describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { networkRequests, show, useChromium } from './app';
import { pageMessagesScript } from './page-messages';
import { SETTINGS_KEY } from '../../src/state/settings.svelte';
import type { DeepPartial } from '../../src/settings/validate';
import type { Settings } from '../../src/settings/defaults';

const baseUrl = inject('baseUrl');
const chromium = useChromium();

const LOCAL_MODEL: DeepPartial<Settings> = { modelSource: '/models/', embedding: { model: 'tiny-bert', device: 'wasm', dtype: 'fp32' } };

interface TestFile {
  name: string;
  text: string;
}

const FILES: TestFile[] = [
  { name: 'tides.md', text: '# Tides\n\nThe moon pulls the oceans, so the tide rises and falls twice a day along most coasts.\n' },
  { name: 'bread.md', text: '# Baking\n\nSourdough bread rises slowly because wild yeast ferments the flour for many hours.\n' },
  { name: 'trains.txt', text: 'The night train leaves the station at ten and reaches the coast by morning.\n' },
];

/** A context (one browser profile: its IndexedDB outlives pages and reloads) with saved settings. */
async function profile(settings: DeepPartial<Settings> = LOCAL_MODEL): Promise<{ context: BrowserContext; requests: string[] }> {
  const context = await chromium.context();
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  await context.addInitScript(([key, value]) => localStorage.setItem(key, value), [SETTINGS_KEY, JSON.stringify(settings)] as const);
  return { context, requests };
}

async function openIn(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(new URL('/', baseUrl).href);
  await page.getByTestId('library-summary').waitFor();
  return { page, errors };
}

/** Drops files on the page with a real DragEvent carrying a real DataTransfer. */
async function drop(page: Page, files: TestFile[]): Promise<void> {
  const dt = await page.evaluateHandle((list: TestFile[]) => {
    const d = new DataTransfer();
    for (const f of list) d.items.add(new File([f.text], f.name, { type: 'text/plain' }));
    return d;
  }, files);
  await page.dispatchEvent('body', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('body', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
}

const docRows = (page: Page) => page.getByTestId('doc-row');

/** `n` documents of ~8 chunks each, distinct in content. */
function reports(n: number): TestFile[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `report-${String(i).padStart(2, '0')}.txt`,
    text: Array.from(
      { length: 60 },
      (_, s) => `Report ${i} section ${s} notes that measurement ${i * 100 + s} was within tolerance on day ${s % 7}.`,
    ).join(' '),
  }));
}

async function waitForDocs(page: Page, count: number, embedded: boolean): Promise<void> {
  const selector = embedded ? '[data-testid="doc-row"][data-embedded="true"]' : '[data-testid="doc-row"]';
  await expect.poll(() => page.locator(selector).count(), { timeout: 90_000 }).toBe(count);
}

interface ShownHit {
  doc: string;
  chunk: string;
  trace: string;
}

/** Searches through the page's search box and returns what the user sees. */
async function search(
  page: Page,
  query: string,
  mode: 'keyword' | 'dense' | 'hybrid',
): Promise<{ modeUsed: string; fallback: string | null; hits: ShownHit[] }> {
  await show(page, 'search');
  await page.getByTestId('search-input').fill(query);
  await page.getByTestId('search-mode').selectOption(mode);
  const meta = page.getByTestId('search-meta');
  // Read without waiting: before the first search there is no result line at all.
  const before = (await meta.count()) > 0 ? await meta.textContent() : null;
  await page.getByTestId('search-input').press('Enter');
  await expect
    .poll(
      async () => (await meta.count()) > 0 && (await meta.textContent()) !== before && (await meta.textContent())?.includes(`“${query}”`),
      { timeout: 60_000 },
    )
    .toBe(true);
  const hits = await page.getByTestId('hit').evaluateAll((els) =>
    els.map((el) => ({
      doc: el.querySelector('[data-testid="hit-doc"]')!.textContent!.trim(),
      chunk: el.getAttribute('data-chunk')!,
      trace: el.querySelector('[data-testid="hit-trace"]')!.textContent!.replace(/\s+/g, ' ').trim(),
    })),
  );
  const fallback = (await page.getByTestId('search-fallback').count()) > 0 ? await page.getByTestId('search-fallback').textContent() : null;
  return { modeUsed: (await meta.getAttribute('data-mode-used'))!, fallback, hits };
}

/**
 * Reads the raw IndexedDB and checks every stored document is whole: all its chunks, one keyword
 * entry per chunk, and, where vectors are stored, one vector per chunk. Returns what it found.
 */
function storedDocuments(
  page: Page,
): Promise<Array<{ name: string; chunkCount: number; chunks: number; entries: number; vectors: number[] }>> {
  return page.evaluate(async () => {
    const req = <T>(r: IDBRequest<T>): Promise<T> =>
      new Promise((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const open = indexedDB.open('ragscope');
    const db = await req(open);
    const tx = db.transaction(['documents', 'chunks', 'keyword', 'vectors'], 'readonly');
    const docs = (await req(tx.objectStore('documents').getAll())) as Array<{
      collectionId: string;
      id: string;
      name: string;
      chunkCount: number;
    }>;
    const out = [];
    for (const d of docs) {
      const range = IDBKeyRange.bound([d.collectionId, d.id], [d.collectionId, d.id, []]);
      const chunks = await req(tx.objectStore('chunks').count(range));
      const kw = (await req(tx.objectStore('keyword').get([d.collectionId, d.id]))) as { entries: unknown[] } | undefined;
      const vecs = (await req(tx.objectStore('vectors').getAll(range))) as Array<{ count: number; vectors: Float32Array; dim: number }>;
      out.push({
        name: d.name,
        chunkCount: d.chunkCount,
        chunks,
        entries: kw?.entries.length ?? -1,
        vectors: vecs.map((v) => v.vectors.length / v.dim),
      });
    }
    db.close();
    return out;
  });
}

describe('the library', () => {
  it("a dropped document's text goes from worker to worker: none of it crosses the page on the way to searchable by meaning", async () => {
    const first = 'The keeper of Quillfeather Point logs the lamp at dusk.';
    const last = 'Fog horns sounded for nine hours on the longest night.';
    const body = reports(1)[0]!.text;
    const doc = { name: 'lighthouse.md', text: `# Lighthouse log\n\n${first} ${body.repeat(20)} ${last}\n` };
    const { context } = await profile();
    await context.addInitScript({ content: pageMessagesScript([first, last]) });
    const { page, errors } = await openIn(context);
    await drop(page, [doc]);
    await waitForDocs(page, 1, true);
    const m = (await page.evaluate(() => window.__pageMessages))!;
    // The file itself went to the ingest worker by handle; no message string held the text.
    expect(m.blobBytes).toBe(new Blob([doc.text]).size);
    expect(m.needleHits).toEqual({ [first]: 0, [last]: 0 });
    // What did cross (progress, summaries, the list) is a small fraction of the document.
    expect(m.postedBytes + m.receivedBytes).toBeLessThan(doc.text.length / 10);
    expect(Number(await page.getByTestId('chunk-total').textContent())).toBeGreaterThan(20);
    // Asking is when passages come to the page: the search shows the one asked for.
    const found = await search(page, 'keeper Quillfeather lamp dusk', 'hybrid');
    expect(found.modeUsed).toBe('hybrid');
    expect(found.hits[0]!.doc).toContain('lighthouse.md');
    expect(await page.getByTestId('hit').first().textContent()).toContain('Quillfeather');
    expect(errors).toEqual([]);
  });

  it('embeds dropped documents, and after a reload the same question returns the same passages', async () => {
    // WebGPU here (the software adapter): the path users with a GPU take.
    const { context, requests } = await profile({ ...LOCAL_MODEL, embedding: { model: 'tiny-bert', device: 'webgpu', dtype: 'fp32' } });
    const { page, errors } = await openIn(context);
    await drop(page, FILES);
    await waitForDocs(page, 3, true);
    expect(await page.getByTestId('embedded-total').textContent()).toBe(await page.getByTestId('chunk-total').textContent());

    const q = 'The moon pulls the oceans, so the tide rises';
    const first = await search(page, q, 'hybrid');
    expect(first.modeUsed).toBe('hybrid');
    expect(first.fallback).toBeNull();
    expect(first.hits[0]!.doc).toBe('tides.md');
    expect(first.hits[0]!.trace).toMatch(/BM25 #1 .*cosine #1 .*fused #1/);
    expect(first.hits).toHaveLength(3);

    await page.reload();
    await page.getByTestId('library-summary').waitFor();
    await waitForDocs(page, 3, true);
    const again = await search(page, q, 'hybrid');
    expect(again).toEqual(first);

    const origin = new URL(baseUrl).origin;
    expect(networkRequests(requests).filter((u) => u.origin !== origin)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('searches by keyword the moment documents are stored, before any embedding model is available', async () => {
    const { context } = await profile({ modelSource: '/models/', embedding: { model: 'no-such-model', device: 'wasm', dtype: 'fp32' } });
    const { page } = await openIn(context);
    await drop(page, FILES);
    await waitForDocs(page, 3, false);
    // The embedding model cannot be loaded: said by name, with a way to retry; nothing is lost.
    await expect.poll(() => page.getByTestId('embedding').getAttribute('data-phase'), { timeout: 30_000 }).toBe('error');
    expect(await page.getByTestId('embedding').getByTestId('error').getAttribute('data-error-name')).toBe('ModelNotFound');

    const r = await search(page, 'sourdough yeast', 'hybrid');
    expect(r.modeUsed).toBe('keyword');
    expect(r.fallback).toMatch(/keyword search was used/);
    expect(r.hits.map((h) => h.doc)).toEqual(['bread.md']);
    expect(r.hits[0]!.trace).toContain('BM25 #1');
  });

  it('a page closed in the middle of adding documents leaves only whole documents, and embedding resumes on reopening', async () => {
    const { context } = await profile();
    const { page } = await openIn(context);
    // 24 documents of ~8 chunks: storing and embedding take long enough to be interrupted.
    const many: TestFile[] = Array.from({ length: 24 }, (_, i) => ({
      name: `report-${String(i).padStart(2, '0')}.txt`,
      text: Array.from(
        { length: 60 },
        (_, s) => `Report ${i} section ${s} notes that measurement ${i * 100 + s} was within tolerance on day ${s % 7}.`,
      ).join(' '),
    }));
    await drop(page, many);
    await expect.poll(() => docRows(page).count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    await page.close();

    const { page: reopened } = await openIn(context);
    const stored = await storedDocuments(reopened);
    // The close did interrupt the work: some documents never made it (and are not half there).
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(stored.length).toBeLessThan(many.length);
    for (const d of stored) {
      expect(d.chunkCount, d.name).toBeGreaterThan(1);
      expect([d.chunks, d.entries], d.name).toEqual([d.chunkCount, d.chunkCount]);
      for (const v of d.vectors) expect(v, d.name).toBe(d.chunkCount);
    }
    expect(stored.length).toBe(await docRows(reopened).count());
    // What was stored without vectors is embedded now, without being dropped again.
    await waitForDocs(reopened, stored.length, true);
    for (const d of await storedDocuments(reopened)) expect(d.vectors, d.name).toEqual([d.chunkCount]);
  });

  it('a deleted document no longer comes back in search, after a reload either', async () => {
    const { context } = await profile();
    const { page } = await openIn(context);
    await drop(page, FILES);
    await waitForDocs(page, 3, true);
    expect((await search(page, 'sourdough yeast flour', 'keyword')).hits.map((h) => h.doc)).toContain('bread.md');

    const row = page.locator('[data-testid="doc-row"][data-name="bread.md"]');
    await row.getByTestId('doc-delete').click();
    await row.getByTestId('doc-delete-confirm').click();
    await waitForDocs(page, 2, true);
    for (const mode of ['keyword', 'dense', 'hybrid'] as const) {
      const r = await search(page, 'Sourdough bread rises slowly because wild yeast ferments the flour', mode);
      expect(
        r.hits.map((h) => h.doc),
        mode,
      ).not.toContain('bread.md');
      expect(r.hits.length, mode).toBeGreaterThan(0);
    }
    await page.reload();
    await waitForDocs(page, 2, true);
    expect((await search(page, 'sourdough yeast flour', 'keyword')).hits).toEqual([]);
    expect((await storedDocuments(page)).map((d) => d.name).sort()).toEqual(['tides.md', 'trains.txt']);
  });

  it('choosing another embedding model never mixes vectors: it offers to re-embed, then searches by meaning with the new one', async () => {
    const { context } = await profile();
    const { page } = await openIn(context);
    await drop(page, FILES);
    await waitForDocs(page, 3, true);

    await show(page, 'settings');
    await page.locator('input[name="embeddingModel"]').fill('tiny-bert-48');
    await page.getByTestId('settings-save').click();
    // Reopened for the new model: nothing has its vectors yet, and the user is asked first.
    await expect.poll(() => page.getByTestId('reembed-offer').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('embedded-total').textContent()).toBe('0');
    expect(await page.locator('[data-testid="doc-row"][data-embedded="true"]').count()).toBe(0);
    const before = await search(page, 'moon tide', 'hybrid');
    expect(before.modeUsed).toBe('keyword');
    expect(before.hits[0]!.doc).toBe('tides.md');

    await page.getByTestId('reembed').click();
    await waitForDocs(page, 3, true);
    expect(await page.getByTestId('reembed-offer').count()).toBe(0);
    const after = await search(page, 'The moon pulls the oceans, so the tide rises', 'dense');
    expect(after.modeUsed).toBe('dense');
    expect(after.hits[0]!.doc).toBe('tides.md');
    // Both models' vectors are kept, each whole: switching back needs no re-embedding.
    for (const d of await storedDocuments(page)) expect(d.vectors, d.name).toEqual([d.chunkCount, d.chunkCount]);
  });

  it('switching the embedding model while documents are being embedded finishes them all with the new one, without an error', async () => {
    const { context } = await profile();
    const { page } = await openIn(context);
    await drop(page, reports(30));
    await expect.poll(() => page.getByTestId('embedding').getAttribute('data-phase'), { timeout: 60_000 }).toBe('embedding');
    await show(page, 'settings');
    await page.locator('input[name="embeddingModel"]').fill('tiny-bert-48');
    // The premise: embedding is still under way when the model changes.
    expect(await page.locator('[data-testid="doc-row"][data-embedded="true"]').count()).toBeLessThan(30);
    await page.getByTestId('settings-save').click();
    await expect.poll(() => page.getByTestId('embedded-total').textContent(), { timeout: 10_000 }).toBe('0');
    // Documents the old model finished are offered for re-embedding (the offer follows the counts);
    // the rest just go on.
    const embeddedRows = page.locator('[data-testid="doc-row"][data-embedded="true"]');
    await expect
      .poll(async () => (await page.getByTestId('reembed-offer').count()) > 0 || (await embeddedRows.count()) === 30, { timeout: 60_000 })
      .toBe(true);
    if ((await page.getByTestId('reembed-offer').count()) > 0) await page.getByTestId('reembed').click();
    await waitForDocs(page, 30, true);
    expect(await page.getByTestId('embedding').getByTestId('error').count()).toBe(0);
    const stored = await storedDocuments(page);
    expect(stored).toHaveLength(30);
    // Every document has whole vectors of the new model (and maybe of the old one).
    for (const d of stored) expect(d.vectors, d.name).toContain(d.chunkCount);
    expect(await page.getByTestId('chunk-total').textContent()).toBe(await page.getByTestId('embedded-total').textContent());
  });

  it('a collection exported on one machine and imported on another searches the same; a damaged file changes nothing', async () => {
    const a = await profile();
    const { page: from } = await openIn(a.context);
    await drop(from, FILES);
    await waitForDocs(from, 3, true);
    await from.getByRole('button', { name: 'Export…' }).click();
    const [download] = await Promise.all([from.waitForEvent('download'), from.getByTestId('collection-export').click()]);
    expect(download.suggestedFilename()).toBe('My documents.ragscope.zip');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ragscope-bundle-')), download.suggestedFilename());
    await download.saveAs(file);
    await expect
      .poll(() => from.getByTestId('bundle-status').textContent(), { timeout: 10_000 })
      .toMatch(/Saved My documents\.ragscope\.zip/);

    // Another browser profile: a damaged copy is refused by name and leaves its library as it was.
    const b = await profile();
    const { page: to, errors } = await openIn(b.context);
    const bytes = readFileSync(file);
    await to
      .getByTestId('collection-import-file')
      .setInputFiles({ name: 'damaged.ragscope.zip', mimeType: 'application/zip', buffer: bytes.subarray(0, bytes.length >> 1) });
    await expect.poll(() => to.getByTestId('error').getAttribute('data-error-name'), { timeout: 10_000 }).toBe('InvalidBundle');
    expect(await to.getByTestId('bundle-status').count()).toBe(0);
    expect(await docRows(to).count()).toBe(0);

    await to.getByTestId('collection-import-file').setInputFiles(file);
    await expect
      .poll(() => to.getByTestId('bundle-status').textContent(), { timeout: 30_000 })
      .toMatch(/Imported “My documents \(imported\)”: 3 documents/);
    await waitForDocs(to, 3, true);
    for (const mode of ['keyword', 'dense', 'hybrid'] as const) {
      const q = 'Why does bread rise slowly?';
      expect(await search(to, q, mode), mode).toEqual(await search(from, q, mode));
    }
    expect(errors).toEqual([]);
  });

  it('the Storage card shows each collection and cached model with its size, and deletes a model from this browser', async () => {
    const { context } = await profile();
    const { page, errors } = await openIn(context);
    await drop(page, FILES);
    await waitForDocs(page, 3, true);
    await show(page, 'machine');
    const card = page.getByTestId('storage-card');
    await card.getByRole('button', { name: 'Refresh' }).click();
    const collection = card.locator('[data-testid="storage-collection"][data-name="My documents"]');
    await expect.poll(() => collection.textContent(), { timeout: 10_000 }).toMatch(/3 documents\)\s*[\d.]+ (kB|bytes)/);
    const model = card.locator('[data-testid="storage-model"][data-model="tiny-bert"]');
    await expect.poll(() => model.textContent(), { timeout: 10_000 }).toMatch(/this app \(\/models\/\).*[\d.]+ (kB|MB)/);
    expect(await card.getByTestId('storage-usage').textContent()).toMatch(/used of .* this browser allows/);

    await model.getByRole('button', { name: /Delete model/ }).click();
    await model.getByTestId('storage-model-delete').click();
    await expect.poll(() => model.count(), { timeout: 10_000 }).toBe(0);
    const left = await page.evaluate(async () => (await (await caches.open('transformers-cache')).keys()).map((r) => r.url));
    expect(left.filter((u) => u.includes('/models/tiny-bert/'))).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('offers the sample documents only while the open collection is empty, not whenever the drop list is', async () => {
    const { context } = await profile();
    const { page } = await openIn(context);
    const samples = page.getByTestId('try-samples');
    await expect.poll(() => samples.isVisible(), { timeout: 10_000 }).toBe(true);
    await drop(page, FILES);
    await waitForDocs(page, 3, false);
    await page.getByRole('button', { name: 'Clear list' }).click();
    await expect.poll(() => page.getByTestId('file-row').count(), { timeout: 10_000 }).toBe(0);
    expect(await samples.count()).toBe(0);
    // A reload empties the drop list too; the library still holds the documents.
    await page.reload();
    await page.getByTestId('library-summary').waitFor();
    await waitForDocs(page, 3, false);
    expect(await samples.count()).toBe(0);
    // A new, empty collection: a first visit again, as far as this one knows.
    await page.getByTestId('collection-new').click();
    await page.getByTestId('collection-name').fill('Empty');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => samples.isVisible(), { timeout: 10_000 }).toBe(true);
  });

  it('says so, with what to do, when the browser refuses to keep the library', async () => {
    const { context } = await profile();
    // The browser's answer, made certain: Chromium decides from how much a site was used.
    await context.addInitScript(() => {
      StorageManager.prototype.persist = () => Promise.resolve(false);
      StorageManager.prototype.persisted = () => Promise.resolve(false);
    });
    const { page, errors } = await openIn(context);
    await show(page, 'machine');
    const card = page.getByTestId('storage-card');
    await card.getByTestId('storage-persist').click();
    const answer = card.getByTestId('storage-persist-answer');
    await expect.poll(() => answer.count(), { timeout: 10_000 }).toBe(1);
    expect(await answer.textContent()).toMatch(/The browser said no\..*bookmarking ragscope or installing it.*Export…/s);
    expect(errors).toEqual([]);
  });

  it('two tabs on the app: a document added in one is listed and searchable in the other', async () => {
    const { context } = await profile();
    const { page: a } = await openIn(context);
    const { page: b } = await openIn(context);
    await drop(a, [FILES[0]!]);
    await waitForDocs(b, 1, false);
    expect((await search(b, 'moon tide', 'keyword')).hits.map((h) => h.doc)).toEqual(['tides.md']);
    // Both tabs resume pending work; the document is still embedded once and listed once.
    await waitForDocs(a, 1, true);
    await waitForDocs(b, 1, true);
    expect((await storedDocuments(b)).map((d) => d.vectors)).toEqual([[1]]);
  });
});
