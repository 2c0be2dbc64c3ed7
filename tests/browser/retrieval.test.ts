/**
 * Retrieval on look-alike documents in the real app: generated quarterly reports (PDF) dropped and
 * embedded in the real workers; a question about one company's quarter finds that report's passage
 * first, with its section and how well its document matched in the trace; the same paragraph in
 * two quarters is shown once; the optional reranker (a generated cross-encoder in the embed worker)
 * reorders the candidates and says so; and after the chunk settings change the library offers to
 * rebuild, and rebuilds with progress, from the kept originals.
 */
import { describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { askAndWait, show, TINY_MODELS, useChromium } from './app';
import { filingFiles } from '../fixtures/docs/filings';

const baseUrl = inject('baseUrl');
const chromium = useChromium();

const SETTINGS = { ...TINY_MODELS, llm: { ...TINY_MODELS.llm, maxTokens: 8 } };

/** Drops the four reports; waits until they are stored, and embedded unless `embedded` is false. */
async function dropFilings(page: Page, embedded = true): Promise<void> {
  await page.getByTestId('library-summary').waitFor();
  await page
    .getByTestId('file-input')
    .setInputFiles(filingFiles().map((f) => ({ name: f.name, mimeType: 'application/pdf', buffer: Buffer.from(f.bytes) })));
  const rows = embedded ? '[data-testid="doc-row"][data-embedded="true"]' : '[data-testid="doc-row"]';
  await expect.poll(() => page.locator(rows).count(), { timeout: 90_000 }).toBe(4);
}

async function search(page: Page, query: string, mode = 'keyword'): Promise<void> {
  await show(page, 'search');
  await page.getByTestId('search-mode').selectOption(mode);
  await page.getByTestId('search-input').fill(query);
  await page.getByTestId('search-input').press('Enter');
  await page.getByTestId('search-meta').waitFor();
}

describe('retrieval on look-alike documents', () => {
  it('finds the named report’s passage first, names its section, shows a repeated paragraph once', async () => {
    const { page, errors } = await chromium.open(baseUrl, '/', SETTINGS);
    await dropFilings(page);

    await search(page, 'What was Marrowgate’s total revenue in the third quarter of 2023?');
    const first = page.getByTestId('hit').first();
    expect(await first.getByTestId('hit-doc').textContent()).toBe('2023 Q3 MGTE.pdf');
    expect(await first.textContent()).toContain('Revenue by Product');
    expect(await first.getByTestId('hit-trace').textContent()).toContain('document match 100%');

    // The risk paragraph is the same in both of a company's reports: the second copy comes after
    // every other passage that matches, so it never crowds one out.
    await search(page, 'harbour storms Saltmere imports risk');
    const texts = await page.getByTestId('hit').allTextContents();
    const copies = texts.map((t, i) => (t.includes('relies on the harbour at Saltmere') ? i : -1)).filter((i) => i >= 0);
    expect(texts.length).toBeGreaterThan(2);
    expect(copies).toEqual([0, texts.length - 1]);
    expect(errors).toEqual([]);
  }, 150_000);

  it('reranks with a cross-encoder in the embed worker, and says what it did in the trace', async () => {
    const settings = { ...SETTINGS, retrieval: { rerank: true, rerankModel: 'tiny-reranker', rerankCandidates: 6, topK: 3 } };
    const { page, errors, requests } = await chromium.open(baseUrl, '/', settings);
    await dropFilings(page);
    await search(page, 'Quillfeather fountain pens revenue');
    expect(await page.getByTestId('hit').count()).toBe(3);
    expect(await page.getByTestId('hit-rerank').count()).toBe(3);
    expect(await page.getByTestId('hit-rerank').first().textContent()).toMatch(/^reranked #1 \(was #\d; score -?\d+\.\d\d\)$/);
    expect(requests.some((u) => u.includes('/models/tiny-reranker/onnx/'))).toBe(true);

    await page.setViewportSize({ width: 1366, height: 900 });
    await askAndWait(page, 'What did Quillfeather earn from fountain pens in Q3 2023?');
    await page.getByTestId('trace').locator('summary').click();
    expect(await page.getByTestId('trace').locator('summary').textContent()).toMatch(/the first 6 reranked by tiny-reranker in \d+ ms/);
    expect(await page.getByTestId('trace-rerank').count()).toBe(await page.getByTestId('trace-row').count());
    expect(await page.locator('[data-testid="trace-document"]').first().textContent()).toMatch(/% match|–/);
    await page.getByTestId('compare').screenshot({ path: 'tests/.output/trace-rerank.png' });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.getByTestId('compare').screenshot({ path: 'tests/.output/trace-rerank-projector-dark.png' });
    expect(errors).toEqual([]);
  }, 240_000);

  it('offers to rebuild after the chunk settings change, and rebuilds with progress from the kept originals', async () => {
    const { page, errors } = await chromium.open(baseUrl, '/', SETTINGS);
    // Not waiting for the embedding: rebuilding while the old chunks are still queued or being
    // embedded must not let those vectors land on the new chunks.
    await dropFilings(page, false);
    const chunksBefore = Number(await page.getByTestId('chunk-total').textContent());
    expect(await page.getByTestId('rebuild').count()).toBe(0);

    // Smaller chunks in Settings: nothing is re-chunked by itself, the library says so.
    await show(page, 'settings');
    await page.locator('input[name="chunkTokens"]').fill('64');
    await page.locator('input[name="overlapTokens"]').fill('0');
    await page.getByTestId('setting-rerank').check();
    await page
      .getByTestId('settings-form')
      .locator('fieldset', { hasText: 'Retrieval' })
      .screenshot({ path: 'tests/.output/settings-retrieval.png' });
    await page.getByTestId('setting-rerank').uncheck();
    await page.getByTestId('settings-save').click();
    const notice = page.getByTestId('stored').getByTestId('rebuild');
    await expect.poll(() => notice.innerText(), { timeout: 10_000 }).toMatch(/4 documents of 4 were chunked otherwise/);
    expect(Number(await page.getByTestId('chunk-total').textContent())).toBe(chunksBefore);
    await page.getByTestId('stored').screenshot({ path: 'tests/.output/rebuild-offer.png' });

    await notice.getByTestId('rebuild-start').click();
    await expect.poll(() => page.getByTestId('rebuild-done').first().innerText(), { timeout: 60_000 }).toMatch(/Rebuilt 4 of 4 documents/);
    expect(await page.getByTestId('rebuild').count()).toBe(0);
    await expect
      .poll(async () => Number(await page.getByTestId('chunk-total').textContent()), { timeout: 10_000 })
      .toBeGreaterThan(chunksBefore);
    // Embedded again with the new chunks, and searchable by them.
    await expect.poll(() => page.locator('[data-testid="doc-row"][data-embedded="true"]').count(), { timeout: 90_000 }).toBe(4);
    await search(page, 'Marrowgate lanterns third quarter 2023');
    expect(await page.getByTestId('hit-doc').first().textContent()).toBe('2023 Q3 MGTE.pdf');

    // The library remembers how its documents were chunked: this test's start-up script puts the
    // default settings (384/48) back on reload, and the 64-token chunks are then the odd ones out.
    await page.reload();
    await page.getByTestId('library-summary').waitFor();
    await expect.poll(() => page.getByTestId('doc-row').count(), { timeout: 10_000 }).toBe(4);
    await expect
      .poll(() => page.getByTestId('stored').getByTestId('rebuild').innerText(), { timeout: 10_000 })
      .toMatch(/4 documents of 4 were chunked otherwise than new ones are now\.\s+New documents get 384-token chunks/);
    expect(errors).toEqual([]);
  }, 240_000);
});
