/**
 * The workbench as people see it, at a laptop's size (1366×768) and a projector's (1920×1080, in
 * Present mode), light and dark: the comparison is the first thing on screen after a drop, views are
 * a click or a key away and survive a reload, and axe-core finds no WCAG 2 A/AA violation on any
 * view. Screenshots of every view go to tests/.output/ (workbench-*.png).
 */
import { mkdirSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { show, TINY_MODELS, useChromium, violations } from './app';
import { SETTINGS_KEY } from '../../src/state/settings.svelte';
import { lockedPdf } from './drop';

const baseUrl = inject('baseUrl');
const chromium = useChromium();
const SETTINGS = { ...TINY_MODELS, llm: { ...TINY_MODELS.llm, maxTokens: 12 } };
const OUT = 'tests/.output';

const LAPTOP = { width: 1366, height: 768 };
const PROJECTOR = { width: 1920, height: 1080 };

type Scheme = 'light' | 'dark';

/** A fresh profile at a screen size and colour scheme, with the tiny models, optionally in Present mode. */
async function open(
  viewport: { width: number; height: number },
  colorScheme: Scheme,
  present = false,
  settings: unknown = SETTINGS,
): Promise<{ page: Page; context: BrowserContext }> {
  // bypassCSP: axe-core is injected as an inline script, which the app's policy (rightly) refuses.
  const context = await chromium.context({ viewport, colorScheme, bypassCSP: true });
  await context.addInitScript(
    ([key, value, p]) => {
      localStorage.setItem(key, value);
      if (p) localStorage.setItem('ragscope.present', '1');
    },
    [SETTINGS_KEY, JSON.stringify(settings), present] as const,
  );
  const page = await context.newPage();
  await page.goto(new URL('/', baseUrl).href);
  await page.getByTestId('compare-question').waitFor();
  return { page, context };
}

async function dropFiles(page: Page, n: number): Promise<void> {
  const files = Array.from({ length: n }, (_, i) => ({
    name: `field-notes-${String(i + 1).padStart(2, '0')}.md`,
    mimeType: 'text/markdown',
    buffer: Buffer.from(
      `# Field notes ${i + 1}\n\nThe tide gauge at station ${i + 1} read ${i + 3} metres at noon; the harbour master logged it.\n`,
    ),
  }));
  await page.getByTestId('file-input').setInputFiles(files);
  await expect.poll(() => page.getByTestId('doc-row').count(), { timeout: 60_000 }).toBe(n);
}

async function ask(page: Page, question: string): Promise<void> {
  await page.getByTestId('compare-question').fill(question);
  await page.getByTestId('compare-ask').click();
  for (const pane of ['pane-plain', 'pane-grounded']) {
    await expect.poll(() => page.getByTestId(pane).getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
  }
}

/** Whether the top `lines` text lines of an element are inside the viewport. */
async function firstLinesVisible(page: Page, selector: string, height: number): Promise<boolean> {
  const box = await page.locator(selector).boundingBox();
  const line = await page.locator(selector).evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 20);
  return box !== null && box.y >= 0 && box.y + line <= height;
}

describe('the workbench', () => {
  it('after a drop of 20 files and a question, both answers start on screen at 1366×768, light and dark', async () => {
    mkdirSync(OUT, { recursive: true });
    for (const scheme of ['light', 'dark'] as const) {
      const { page } = await open(LAPTOP, scheme);
      await dropFiles(page, 20);
      await ask(page, 'What did the tide gauge at station 3 read?');
      for (const pane of ['pane-plain', 'pane-grounded']) {
        expect(await firstLinesVisible(page, `[data-testid="${pane}"] [data-testid="answer"]`, LAPTOP.height), `${pane} (${scheme})`).toBe(
          true,
        );
      }
      await page.screenshot({ path: `${OUT}/workbench-ask-laptop-${scheme}.png` });
    }
  });

  it('Present mode at 1920×1080: the question, both answers and passage [1] fit one screen; the side is hidden; the mode is remembered', async () => {
    const { page } = await open(PROJECTOR, 'light');
    await dropFiles(page, 5);
    await page.getByTestId('present-toggle').click();
    await expect.poll(() => page.getByRole('complementary', { name: 'Your documents' }).isVisible(), { timeout: 10_000 }).toBe(false);
    await ask(page, 'What did the tide gauge at station 2 read?');
    await page.screenshot({ path: `${OUT}/workbench-ask-projector-present.png` });
    for (const id of ['compare-question', 'pane-plain', 'pane-grounded']) {
      const box = (await page.getByTestId(id).boundingBox())!;
      expect(box.y + box.height, id).toBeLessThanOrEqual(PROJECTOR.height);
    }
    const first = (await page.getByTestId('passage').first().boundingBox())!;
    expect(first.y + first.height).toBeLessThanOrEqual(PROJECTOR.height);
    await page.reload();
    await page.getByTestId('compare-question').waitFor();
    expect(await page.getByTestId('present-toggle').getAttribute('aria-pressed')).toBe('true');
    // A file dropped while presenting: the side opens again, so the drop is seen to land.
    const dt = await page.evaluateHandle(() => {
      const d = new DataTransfer();
      d.items.add(new File(['The lighthouse lamp was relit at dusk.'], 'late-note.txt', { type: 'text/plain' }));
      return d;
    });
    for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('body', type, { dataTransfer: dt });
    await expect.poll(() => page.getByTestId('present-toggle').getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('false');
    await expect.poll(() => page.locator('[data-testid="doc-row"][data-name="late-note.txt"]').isVisible(), { timeout: 30_000 }).toBe(true);
    // The key P turns it on and off (focus not in a field).
    await page.locator('body').press('p');
    await expect.poll(() => page.getByTestId('present-toggle').getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('true');
    await page.locator('body').press('p');
    await expect.poll(() => page.getByTestId('present-toggle').getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('false');
  });

  it('views are a click or a key away, and Back and reload keep the view', async () => {
    const { page } = await open(LAPTOP, 'light');
    await show(page, 'settings');
    expect(page.url()).toMatch(/#\/settings$/);
    await page.locator('body').press('4');
    await expect.poll(() => page.getByTestId('view-machine').isVisible(), { timeout: 10_000 }).toBe(true);
    await page.goBack();
    await expect.poll(() => page.getByTestId('view-settings').isVisible(), { timeout: 10_000 }).toBe(true);
    await page.reload();
    await expect.poll(() => page.getByTestId('view-settings').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.getByTestId('view-ask').isVisible()).toBe(false);
    // Typing in a field never switches views.
    await show(page, 'ask');
    await page.getByTestId('compare-question').fill('');
    await page.getByTestId('compare-question').press('2');
    expect(await page.getByTestId('view-ask').isVisible()).toBe(true);
    // A key pressed on a button of the view it hides: focus moves to the new view, not to the page.
    await show(page, 'settings');
    await page.getByTestId('settings-save').focus();
    await page.keyboard.press('1');
    await expect.poll(() => page.getByTestId('view-ask').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('view-ask');
    // Single-key shortcuts can be turned off (and stay off after a reload).
    await show(page, 'settings');
    await page.getByTestId('shortcuts').uncheck();
    await page.reload();
    await page.getByTestId('shortcuts').waitFor();
    expect(await page.getByTestId('shortcuts').isChecked()).toBe(false);
    await page.locator('body').press('2');
    expect(await page.getByTestId('view-settings').isVisible()).toBe(true);
    await page.getByTestId('shortcuts').check();
    await show(page, 'ask');
    // On a fresh page, the skip link is the first stop.
    await page.reload();
    await page.getByTestId('compare-question').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the main content');
  });

  it('below 900 px wide the page is one column: the comparison first, the library after it', async () => {
    const { page } = await open({ width: 800, height: 1000 }, 'light');
    await dropFiles(page, 3);
    const main = (await page.locator('main').boundingBox())!;
    const side = (await page.getByRole('complementary', { name: 'Your documents' }).boundingBox())!;
    expect(side.y).toBeGreaterThanOrEqual(main.y + main.height - 1);
    expect(Math.round(side.width)).toBe(Math.round(main.width));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
    await page.screenshot({ path: `${OUT}/workbench-ask-narrow-light.png`, fullPage: true });
  });

  for (const [size, viewport, present] of [
    ['laptop', LAPTOP, false],
    ['projector', PROJECTOR, true],
  ] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      it(`axe-core finds no WCAG 2 A/AA violation on any view (${size}, ${scheme})`, async () => {
        const { page } = await open(viewport, scheme);
        const found: Record<string, string[]> = {};
        found['first screen'] = await violations(page);
        await page.getByTestId('try-samples').click();
        await expect.poll(() => page.getByTestId('compare-question').inputValue(), { timeout: 30_000 }).not.toBe('');
        await expect
          .poll(() => page.locator('[data-testid="doc-row"][data-embedded="true"]').count(), { timeout: 90_000 })
          .toBeGreaterThan(0);
        await page.getByTestId('compare-ask').click();
        for (const pane of ['pane-plain', 'pane-grounded']) {
          await expect.poll(() => page.getByTestId(pane).getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
        }
        // The grounded answer's sentences are marked once judged with the embedding model.
        await expect.poll(() => page.getByTestId('grounding').count(), { timeout: 60_000 }).toBe(1);
        await page.getByTestId('grounding').locator('summary').click();
        const marks = await page.getByTestId('grounding-sentence').evaluateAll((els) => els.map((e) => e.getAttribute('data-supported')));
        expect(marks.length).toBeGreaterThan(0);
        for (const m of marks) expect(['true', 'false', 'unjudged']).toContain(m);
        await page.getByTestId('trace').locator('summary').click();
        await page.getByTestId('prompts').locator('summary').click();
        // What the room sees on a projector: Present mode.
        if (present) await page.getByTestId('present-toggle').click();
        found['ask, answered, trace and prompts open'] = await violations(page);
        await page.screenshot({ path: `${OUT}/workbench-ask-${size}-${scheme}-samples.png`, fullPage: true });
        for (const view of ['search', 'evaluate', 'machine', 'settings'] as const) {
          await show(page, view);
          if (view === 'search') {
            // With results and their trace on screen.
            await page.getByTestId('search-input').fill('tide gauge harbour');
            await page.getByTestId('search-input').press('Enter');
            await page.getByTestId('search-meta').waitFor();
          }
          found[view] = await violations(page);
          await page.screenshot({ path: `${OUT}/workbench-${view}-${size}-${scheme}.png`, fullPage: true });
        }
        expect(found).toEqual({
          'first screen': [],
          'ask, answered, trace and prompts open': [],
          search: [],
          evaluate: [],
          machine: [],
          settings: [],
        });
      });
    }
  }

  for (const scheme of ['light', 'dark'] as const) {
    it(`axe-core finds no violation where things fail either: refused files, a password form, panes that did not run, a named error (${scheme})`, async () => {
      const broken = { ...SETTINGS, llm: { ...SETTINGS.llm, transformersModel: 'no-such-model' } };
      const { page } = await open(LAPTOP, scheme, false, broken);
      const locked = lockedPdf();
      await page.getByTestId('file-input').setInputFiles([
        { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('The tide gauge was read at noon.') },
        { name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) },
        { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]) },
        { name: locked.name, mimeType: locked.type, buffer: Buffer.from(locked.base64, 'base64') },
      ]);
      await expect.poll(() => page.getByTestId('pdf-password').count(), { timeout: 60_000 }).toBe(1);
      await expect.poll(() => page.locator('[data-testid="file-row"][data-status="error"]').count(), { timeout: 60_000 }).toBe(2);
      await page.getByTestId('compare-question').fill('When was the tide gauge read?');
      await page.getByTestId('compare-ask').click();
      await expect.poll(() => page.getByTestId('pane-plain').getAttribute('data-status'), { timeout: 60_000 }).toBe('not-run');
      const found = await violations(page);
      await page.screenshot({ path: `${OUT}/workbench-failures-laptop-${scheme}.png` });
      expect(found).toEqual([]);
    });
  }
});
