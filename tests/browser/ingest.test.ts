/**
 * Dropping documents onto the real app: a real DragEvent carrying a real DataTransfer, parsing in
 * the real ingest workers, outcomes listed per file, and a main thread that never stalls.
 */
import { describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { networkRequests, useChromium, type OpenedPage } from './app';
import { dropFixtures, lockedPdf, type DropFile } from './drop';
import { makePdf } from '../fixtures/docs/pdf-writer';

const baseUrl = inject('baseUrl');
const chromium = useChromium();

async function openPage(): Promise<OpenedPage> {
  // Added documents are embedded next: with the generated model the app serves itself, as a
  // workshop mirror would, so no request needs to leave the origin.
  const o = await chromium.open(baseUrl, '/', {
    modelSource: '/models/',
    embedding: { model: 'tiny-bert', device: 'wasm', dtype: 'fp32' },
  });
  await o.page.getByTestId('library').waitFor();
  return o;
}

async function open(): Promise<Page> {
  return (await openPage()).page;
}

function upload(f: DropFile, name = f.name) {
  return { name, mimeType: f.type, buffer: Buffer.from(f.base64, 'base64') };
}

/** Starts recording main-thread long tasks (over 50 ms, as the browser defines them). */
async function watchLongTasks(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const w = globalThis as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });
  return () => page.evaluate(() => (globalThis as unknown as { longTasks: number[] }).longTasks);
}

async function rowsSettled(page: Page, count: number): Promise<void> {
  await expect
    .poll(
      () =>
        page
          .locator('[data-testid="file-row"]:not([data-status="queued"]):not([data-status="reading"]):not([data-status="storing"])')
          .count(),
      {
        timeout: 60_000,
      },
    )
    .toBe(count);
}

function row(page: Page, name: string) {
  return page.locator(`[data-testid="file-row"][data-name="${name}"]`);
}

describe('dropping documents', () => {
  it('parses the good files, names the broken one, and never blocks the page for over 100 ms', async () => {
    const { page, requests, errors } = await openPage();
    const files = await dropFixtures();
    const longTasks = await watchLongTasks(page);

    const dt = await page.evaluateHandle((list: DropFile[]) => {
      const d = new DataTransfer();
      for (const f of list) d.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
      return d;
    }, files);
    await page.dispatchEvent('body', 'dragenter', { dataTransfer: dt });
    await page.dispatchEvent('body', 'dragover', { dataTransfer: dt });
    await expect.poll(() => page.getByTestId('drop-overlay').isVisible(), { timeout: 10_000 }).toBe(true);
    await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
    await expect.poll(() => page.getByTestId('drop-overlay').count(), { timeout: 10_000 }).toBe(0);

    await rowsSettled(page, files.length);
    for (const f of files) {
      const r = row(page, f.name);
      if (f.expect === 'parsed') {
        await expect.poll(() => r.getAttribute('data-status'), { timeout: 10_000 }).toBe('parsed');
        expect(Number(await r.getByTestId('chunk-count').textContent())).toBeGreaterThan(0);
        if (f.pages) expect(await r.getByTestId('file-detail').textContent()).toContain(`${f.pages} pages`);
      } else {
        await expect.poll(() => r.getAttribute('data-status'), { timeout: 10_000 }).toBe('error');
        expect(await r.getByTestId('file-error').getAttribute('data-error-name')).toBe(f.expect);
      }
    }
    expect(await page.getByTestId('ingest-count').textContent()).toBe(`${files.length} / ${files.length} files`);
    // What the drop did, by outcome; pressing one lists just those files.
    const refused = files.filter((f) => f.expect !== 'parsed').length;
    expect((await page.getByTestId('ingest-summary').innerText()).replace(/\s+/g, ' ')).toBe(
      `${files.length - refused} added · ${refused} not added`,
    );
    await page.locator('[data-testid="ingest-filter"][data-outcome="error"]').click();
    expect(await page.getByTestId('file-row').count()).toBe(refused);
    expect(new Set(await page.getByTestId('file-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))))).toEqual(
      new Set(['error']),
    );

    const tasks = await longTasks();
    expect(Math.max(0, ...tasks), `long tasks (ms): ${tasks.join(', ')}`).toBeLessThanOrEqual(100);

    // Parsing fetched nothing but the app's own files, and the saved page's script never ran.
    const origin = new URL(baseUrl).origin;
    expect(networkRequests(requests).filter((u) => u.origin !== origin || u.pathname === '/leak')).toEqual([]);
    expect(await page.title()).not.toBe('ran');
    expect(errors).toEqual([]);
  });

  it('does not add the same content twice, and adds pasted text as a document', async () => {
    const page = await open();
    const file = (await dropFixtures()).find((f) => f.expect === 'parsed')!;
    for (const name of [file.name, `copy of ${file.name}`]) {
      await page.getByTestId('file-input').setInputFiles(upload(file, name));
      await rowsSettled(page, name === file.name ? 1 : 2);
    }
    expect(await row(page, `copy of ${file.name}`).getAttribute('data-status')).toBe('duplicate');

    await page.getByRole('button', { name: 'Paste text…' }).click();
    await page.getByTestId('paste-title').fill('Meeting notes');
    await page.getByTestId('paste-text').fill('The launch moved to March.\n\nBudget approved.');
    await page.getByTestId('paste-add').click();
    await rowsSettled(page, 3);
    expect(await row(page, 'Meeting notes.txt').getAttribute('data-status')).toBe('parsed');
  });

  it('asks for the password of an encrypted PDF, says when it is wrong, and reads it with the right one', async () => {
    const page = await open();
    const pdf = lockedPdf();
    await page.getByTestId('file-input').setInputFiles(upload(pdf));
    const r = row(page, pdf.name);
    await expect.poll(() => r.getAttribute('data-status'), { timeout: 10_000 }).toBe('needs-password');
    expect(await r.getByTestId('file-error').getAttribute('data-error-name')).toBe('PasswordProtectedPdf');

    await r.getByTestId('pdf-password').fill('guess');
    await r.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => r.getByTestId('file-error').textContent(), { timeout: 10_000 }).toContain('is not correct');
    expect(await r.getAttribute('data-status')).toBe('needs-password');

    await r.getByTestId('pdf-password').fill('open sesame');
    await r.getByTestId('pdf-password').press('Enter');
    await expect.poll(() => r.getAttribute('data-status'), { timeout: 10_000 }).toBe('parsed');
    expect(await r.getByTestId('file-detail').textContent()).toContain('3 pages');
  });

  it('counts one page and one chunk in the singular, in the drop list and in the library', async () => {
    const page = await open();
    const pdf = makePdf({ title: 'Memo', pages: [{ heading: 'Memo', paragraphs: ['The gauge was checked on Monday.'] }] });
    await page.getByTestId('file-input').setInputFiles({ name: 'memo.pdf', mimeType: 'application/pdf', buffer: Buffer.from(pdf) });
    await rowsSettled(page, 1);
    const detail = (await row(page, 'memo.pdf').getByTestId('file-detail').textContent())!.replace(/\s+/g, ' ').trim();
    expect(detail).toMatch(/^PDF · 1 page · \d+ characters · 1 chunk$/);
    const stored = page.locator('[data-testid="doc-row"][data-name="memo.pdf"]');
    await expect.poll(() => stored.count(), { timeout: 30_000 }).toBe(1);
    expect((await stored.textContent())!.replace(/\s+/g, ' ')).toContain('PDF · 1 page ·');
    expect(await stored.getByTestId('doc-chunks').textContent()).toBe('1 chunk');
  });

  it('reads a whole folder, sub-folders included, and skips hidden files', async () => {
    const page = await open();
    const dir = mkdtempSync(join(tmpdir(), 'ragscope-folder-'));
    try {
      const root = join(dir, 'project');
      mkdirSync(join(root, 'minutes', '2026'), { recursive: true });
      writeFileSync(join(root, 'readme.md'), '# Project\n\nWhat we build.\n');
      writeFileSync(join(root, 'minutes', 'jan.txt'), 'January: agreed the scope.');
      writeFileSync(join(root, 'minutes', '2026', 'feb.txt'), 'February: shipped the beta.');
      writeFileSync(join(root, '.DS_Store'), 'junk');
      await page.getByTestId('folder-input').setInputFiles(root);
      await rowsSettled(page, 3);
      const names = await page.getByTestId('file-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')).sort());
      expect(names).toEqual(['project/minutes/2026/feb.txt', 'project/minutes/jan.txt', 'project/readme.md']);
      for (const n of names) expect(await row(page, n!).getAttribute('data-status')).toBe('parsed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
