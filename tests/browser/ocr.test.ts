/**
 * Text recognition in the real app: scanned PDFs, a mixed PDF and a photographed note dropped
 * into the tab are read by tesseract.js inside the ingest worker (pages drawn with pdf.js on
 * OffscreenCanvas), every OCR file served by the app itself; a long scan can be stopped while the
 * rest of the drop goes on. The scans are the project's own (tests/fixtures/docs/scanned.ts).
 */
import { describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { networkRequests, show, TINY_MODELS, useChromium, violations } from './app';
import { mixedPdf, paragraphPng, scannedPdf, SCANNED_PAGES, sidewaysPhotoJpeg } from '../fixtures/docs/scanned';

const baseUrl = inject('baseUrl');
const chromium = useChromium();

const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);

describe('text recognition', () => {
  it('reads scanned pages and an image into searchable documents, fetching OCR files from the app only; a long scan stops alone', async () => {
    const { page, requests, errors } = await chromium.open(baseUrl, '/', TINY_MODELS);
    await page.getByTestId('library-summary').waitFor();

    // A long scan and a text file: the scan is stopped while OCR reads it, the text file is added.
    const long = await scannedPdf([...SCANNED_PAGES, ...SCANNED_PAGES, ...SCANNED_PAGES]);
    await page.getByTestId('file-input').setInputFiles([
      { name: 'long-scan.pdf', mimeType: 'application/pdf', buffer: Buffer.from(long) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('The ferry timetable changes in October.') },
    ]);
    const reading = row(page, 'long-scan.pdf').getByTestId('progress');
    await expect
      .poll(() => reading.textContent().catch(() => ''), { timeout: 60_000, interval: 50 })
      .toMatch(/Recognising text \(OCR\).*ocr: [1-5] \/ 6 pages/);
    await row(page, 'long-scan.pdf').getByTestId('file-skip').click();
    await expect.poll(() => row(page, 'long-scan.pdf').getAttribute('data-status'), { timeout: 30_000 }).toBe('cancelled');
    await expect.poll(() => row(page, 'notes.txt').getAttribute('data-status'), { timeout: 30_000 }).toBe('parsed');

    const sent = requests.length;
    await page.getByTestId('file-input').setInputFiles([
      { name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await scannedPdf()) },
      { name: 'mixed.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await mixedPdf()) },
      { name: 'note.png', mimeType: 'image/png', buffer: Buffer.from(paragraphPng()) },
    ]);
    for (const name of ['scan.pdf', 'mixed.pdf', 'note.png']) {
      await expect.poll(() => row(page, name).getAttribute('data-status'), { timeout: 120_000 }).toBe('parsed');
    }
    expect(await row(page, 'scan.pdf').textContent()).toMatch(/2 of 2 pages were read by text recognition \(OCR\), mean confidence \d+%/);
    expect(await row(page, 'mixed.pdf').textContent()).toMatch(/1 of 2 pages were read by text recognition/);
    expect(await row(page, 'note.png').getByTestId('file-detail').textContent()).toMatch(/^IMAGE · 1 page/);

    // The scanned page's words are found by keyword search.
    await show(page, 'search');
    await page.getByTestId('search-mode').selectOption('keyword');
    await page.getByTestId('search-input').fill('breakwater granite blocks');
    await page.getByTestId('search-go').click();
    await expect.poll(() => page.getByTestId('hit').first().textContent(), { timeout: 30_000 }).toContain('scan.pdf');
    expect(await page.getByTestId('hit').first().textContent()).toContain('granite');
    // And the passage says it is OCR text, with how sure OCR was.
    expect(await page.getByTestId('hit').first().getByTestId('ocr-mark').textContent()).toMatch(/^OCR text, (8|9)\d% sure$/);

    // The passage on its page: drawn from the stored scan, highlighted over the words OCR read.
    await page.getByTestId('hit').first().getByTestId('show-on-page').click();
    const viewer = page.getByTestId('viewer');
    await expect.poll(() => viewer.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await viewer.locator('h2').textContent()).toBe('scan.pdf — page 1 of 2');
    const marks = viewer.getByTestId('highlight');
    const boxes = async () =>
      Promise.all(
        (await marks.all()).map(async (m) => ({ x: Number(await m.getAttribute('data-x')), y: Number(await m.getAttribute('data-y')) })),
      );
    await expect.poll(async () => (await marks.count()) > 0, { timeout: 30_000 }).toBe(true);
    // The fixture drew each page's first line 120 px from the left and top of a 1240 × 1754 px page:
    // the first highlight is over its first word.
    const first = (await boxes())[0]!;
    expect(first.x).toBeGreaterThan(0.08);
    expect(first.x).toBeLessThan(0.11);
    expect(first.y).toBeGreaterThan(0.03);
    expect(first.y).toBeLessThan(0.08);
    await page.screenshot({ path: 'tests/.output/ocr-citation-page1.png' });
    // The passage goes on over the page break: the next page (→) highlights its end there.
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => viewer.locator('h2').textContent(), { timeout: 10_000 }).toBe('scan.pdf — page 2 of 2');
    await expect
      .poll(async () => (await boxes()).some((b) => b.x > 0.08 && b.x < 0.11 && b.y > 0.03 && b.y < 0.08), { timeout: 30_000 })
      .toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => viewer.isVisible(), { timeout: 10_000 }).toBe(false);

    // A born-digital page: highlighted by its text layer's positions (the text is set 56 pt from
    // the left, its first line's top about 70 pt below the top of an 842 pt page).
    await page.getByTestId('search-input').fill('annual report harbour board vessel');
    await page.getByTestId('search-go').click();
    await expect.poll(() => page.getByTestId('hit').first().textContent(), { timeout: 30_000 }).toContain('mixed.pdf');
    await page.getByTestId('hit').first().getByTestId('show-on-page').click();
    await expect.poll(() => viewer.locator('h2').textContent(), { timeout: 10_000 }).toBe('mixed.pdf — page 1 of 2');
    await expect.poll(async () => (await boxes()).length > 0, { timeout: 30_000 }).toBe(true);
    const line = (await boxes())[0]!;
    expect(line.x).toBeGreaterThan(0.08);
    expect(line.x).toBeLessThan(0.11);
    expect(line.y).toBeGreaterThan(0.06);
    expect(line.y).toBeLessThan(0.11);
    expect(await viewer.getByTestId('viewer-status').textContent()).toBe('The passage is highlighted.');
    await page.screenshot({ path: 'tests/.output/citation-text-layer.png' });
    await viewer.getByTestId('viewer-close').click();

    // From Ask: a question whose passage comes from the scan, its citation opened on the page.
    await show(page, 'ask');
    await page.getByTestId('compare-question').fill('When did repairs to the northern breakwater begin?');
    await page.getByTestId('compare-ask').click();
    await expect.poll(() => page.getByTestId('passage').first().textContent(), { timeout: 120_000 }).toContain('scan.pdf');
    // The trace marks the passage as OCR text too.
    await page.getByTestId('trace').locator('summary').click();
    expect(await page.getByTestId('trace-ocr').first().textContent()).toMatch(/OCR text, \d+% sure/);
    await page.getByTestId('passage').first().getByTestId('show-on-page').click();
    await expect.poll(() => viewer.locator('h2').textContent(), { timeout: 10_000 }).toBe('scan.pdf — page 1 of 2');
    await expect.poll(async () => (await boxes()).length, { timeout: 30_000 }).toBeGreaterThan(10);
    await viewer.getByTestId('viewer-next').click();
    await expect
      .poll(async () => (await boxes()).some((b) => b.x > 0.08 && b.x < 0.11 && b.y > 0.03 && b.y < 0.08), { timeout: 30_000 })
      .toBe(true);
    await page.screenshot({ path: 'tests/.output/ocr-citation-from-ask.png' });
    await page.keyboard.press('Escape');

    // Every OCR file came from the app's own origin.
    const origin = new URL(baseUrl).origin;
    const urls = networkRequests(requests.slice(sent));
    expect(urls.filter((u) => u.origin !== origin)).toEqual([]);
    const paths = networkRequests(requests).map((u) => u.pathname);
    expect(paths.some((p) => /^\/ocr\/\d+\.\d+\.\d+\/lang\/eng\.traineddata\.gz$/.test(p))).toBe(true);
    expect(paths.some((p) => /^\/ocr\/\d+\.\d+\.\d+\/worker\.min\.js$/.test(p))).toBe(true);
    expect(paths.some((p) => /^\/ocr\/\d+\.\d+\.\d+\/core\/tesseract-core-.*lstm\.wasm\.js$/.test(p))).toBe(true);
    await page.screenshot({ path: 'tests/.output/ocr-drop-laptop.png' });
    expect(errors).toEqual([]);
  });
});

describe('the page viewer', () => {
  it('shows a photographed note with its words highlighted, passes axe-core light and dark, and closes with Escape', async () => {
    // The policy is bypassed only so that axe-core can be injected.
    const { page, errors } = await chromium.open(baseUrl, '/', TINY_MODELS, { bypassCSP: true });
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.getByTestId('library-summary').waitFor();
    await page.getByTestId('file-input').setInputFiles([{ name: 'note.png', mimeType: 'image/png', buffer: Buffer.from(paragraphPng()) }]);
    await expect.poll(() => row(page, 'note.png').getAttribute('data-status'), { timeout: 60_000 }).toBe('parsed');
    await show(page, 'search');
    await page.getByTestId('search-mode').selectOption('keyword');
    await page.getByTestId('search-input').fill('sourdough yeast');
    await page.getByTestId('search-go').click();
    await expect.poll(() => page.getByTestId('hit').count(), { timeout: 30_000 }).toBe(1);
    await page.getByTestId('hit').getByTestId('show-on-page').click();
    const viewer = page.getByTestId('viewer');
    await expect.poll(() => viewer.getByTestId('highlight').count(), { timeout: 30_000 }).toBeGreaterThan(10);
    expect(await viewer.locator('h2').textContent()).toBe('note.png');
    // The note's first word, drawn 120 px from the left of a 1240 px wide image.
    const x = Number(await viewer.getByTestId('highlight').first().getAttribute('data-x'));
    expect(x).toBeGreaterThan(0.08);
    expect(x).toBeLessThan(0.11);
    expect(await violations(page)).toEqual([]);
    await page.screenshot({ path: 'tests/.output/viewer-image-laptop.png' });
    await page.keyboard.press('Escape');

    // A phone photo stored sideways with an EXIF turn: read upright, highlighted where the browser shows the words.
    await page
      .getByTestId('file-input')
      .setInputFiles([{ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(await sidewaysPhotoJpeg()) }]);
    await expect.poll(() => row(page, 'photo.jpg').getAttribute('data-status'), { timeout: 60_000 }).toBe('parsed');
    await page.getByTestId('search-input').fill('sourdough yeast');
    await page.getByTestId('search-go').click();
    await expect.poll(() => page.getByTestId('hit').count(), { timeout: 30_000 }).toBe(2);
    await page.locator('[data-testid="hit"]', { hasText: 'photo.jpg' }).getByTestId('show-on-page').click();
    await expect.poll(() => viewer.locator('h2').textContent(), { timeout: 10_000 }).toBe('photo.jpg');
    await expect.poll(() => viewer.getByTestId('highlight').count(), { timeout: 30_000 }).toBeGreaterThan(10);
    const turned = Number(await viewer.getByTestId('highlight').first().getAttribute('data-x'));
    expect(turned).toBeGreaterThan(0.08);
    expect(turned).toBeLessThan(0.11);
    // The frame has the upright photo's shape (wider than tall), as the browser shows the image.
    const frame = (await viewer.getByTestId('viewer-page').boundingBox())!;
    expect(frame.width).toBeGreaterThan(frame.height * 2);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await violations(page)).toEqual([]);
    await page.screenshot({ path: 'tests/.output/viewer-image-laptop-dark.png' });
    await page.keyboard.press('Escape');
    await expect.poll(() => viewer.isVisible(), { timeout: 10_000 }).toBe(false);
    expect(errors).toEqual([]);
  });
});
