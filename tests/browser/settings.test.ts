/**
 * The Settings form as people use it: every field readable in full on a laptop and on a phone-sized
 * window, and a refused value explained with the name of the field the user typed it in.
 */
import { describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { show, TINY_MODELS, useChromium } from './app';
import { startOpenAIServer } from '../servers/openai-server';

const baseUrl = inject('baseUrl');
const chromium = useChromium();

/** Opens Settings by its link, as a user would, and waits for web-llm's model list (the widest select). */
async function openSettings(page: Page): Promise<void> {
  await show(page, 'settings');
  await page.getByTestId('settings-form').waitFor();
  await page.locator('select[name="webllmModel"]').waitFor({ timeout: 60_000 });
}

interface Box {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** The right edge of the fieldset the control is in. */
  groupRight: number;
}

/** Every visible control of the form with where it is drawn (CSS pixels). */
function controls(page: Page): Promise<Box[]> {
  return page.getByTestId('settings-form').evaluate((form) =>
    [...form.querySelectorAll('input, select')]
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => {
        const r = el.getBoundingClientRect();
        return {
          name: el.getAttribute('name') ?? el.tagName,
          x: r.x,
          y: r.y,
          width: r.width,
          height: r.height,
          groupRight: el.closest('fieldset')!.getBoundingClientRect().right,
        };
      }),
  );
}

/** Pairs of controls drawn over each other, and controls sticking out of their group, by name. */
function layoutProblems(boxes: Box[]): string[] {
  const problems: string[] = [];
  // Half a pixel of slack for sub-pixel rounding between neighbours.
  const overlap = (a: Box, b: Box): boolean =>
    a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5;
  boxes.forEach((a, i) => {
    if (a.x + a.width > a.groupRight + 0.5) problems.push(`${a.name} sticks out of its group`);
    for (const b of boxes.slice(i + 1)) if (overlap(a, b)) problems.push(`${a.name} overlaps ${b.name}`);
  });
  return problems;
}

describe('Settings', () => {
  it('draws every field in a place of its own, at 1366×768 and at 400 px wide', async () => {
    const { page, errors } = await chromium.open(baseUrl, '/', TINY_MODELS);
    await page.setViewportSize({ width: 1366, height: 768 });
    await openSettings(page);
    // The reranking fields appear once reranking is on: check them too.
    await page.getByTestId('setting-rerank').check();
    const wide = await controls(page);
    expect(wide.length).toBeGreaterThan(20);
    expect(layoutProblems(wide)).toEqual([]);

    await page.setViewportSize({ width: 400, height: 800 });
    const narrow = await controls(page);
    expect(layoutProblems(narrow)).toEqual([]);
    // Nothing runs off the side of the window either.
    for (const b of narrow) expect(b.x + b.width, b.name).toBeLessThanOrEqual(400);
    expect(errors).toEqual([]);
  });

  it('refuses an overlap larger than half a chunk, naming the field as the form labels it', async () => {
    const { page } = await chromium.open(baseUrl, '/', TINY_MODELS);
    await openSettings(page);
    await page.getByLabel('Chunk size (tokens)').fill('64');
    await page.getByLabel('Chunk overlap (tokens)').fill('40');
    await page.getByTestId('settings-save').click();
    const error = page.getByTestId('settings-form').getByTestId('error');
    await expect.poll(() => error.count(), { timeout: 10_000 }).toBe(1);
    const message = await error.textContent();
    expect(message).toContain('Chunk overlap (tokens) must be at most half the chunk size (32)');
    expect(message).not.toContain('ingest.');
  });
});

describe('a model server in Settings', () => {
  it("lists a server's models, and names a CORS refusal and a server that is not running with the fix for each", async () => {
    const origin = new URL(baseUrl).origin;
    // Real OpenAI-compatible servers around the tiny model (tests/servers/openai-server.ts): one
    // that allows this page, one that sends no CORS headers, and the address of one that stopped.
    const allowing = await startOpenAIServer({ cors: { origins: [origin] } });
    const refusing = await startOpenAIServer({ cors: false });
    const stopped = await startOpenAIServer({ cors: { origins: [origin] } });
    await stopped.close();
    try {
      const { page, errors } = await chromium.open(baseUrl, '/', TINY_MODELS);
      await page.setViewportSize({ width: 1366, height: 768 });
      await openSettings(page);
      const url = page.getByTestId('server-url');
      const error = page.getByTestId('server-settings').getByTestId('error');

      await url.fill(allowing.url);
      expect(await page.getByTestId('server-policy').textContent()).toMatch(/this computer/i);
      await page.getByTestId('server-list').click();
      await expect
        .poll(() => page.getByTestId('server-model').locator('option').allTextContents(), { timeout: 30_000 })
        .toContain('tiny-gpt2');
      expect(allowing.requests.map((r) => r.path)).toContain('/v1/models');

      await url.fill(refusing.url);
      await page.getByTestId('server-list').click();
      await expect.poll(() => error.getAttribute('data-error-name'), { timeout: 30_000 }).toBe('CorsRefused');
      expect(await error.textContent()).toContain(`OLLAMA_ORIGINS=${origin}`);

      await url.fill(stopped.url);
      await page.getByTestId('server-list').click();
      await expect.poll(() => error.getAttribute('data-error-name'), { timeout: 30_000 }).toBe('ServerUnreachable');
      expect(await error.textContent()).toContain('ollama serve');

      // Another computer, not named when this copy was built: refused before anything is sent.
      await url.fill('http://192.168.1.5:11434/v1');
      expect(await page.getByTestId('server-policy').textContent()).toMatch(/RAGSCOPE_LLM_SERVERS/);
      expect(await page.getByTestId('server-list').isDisabled()).toBe(true);
      // The last failure was about another address: it is not shown against this one.
      expect(await error.count()).toBe(0);
      await page.getByTestId('server-settings').screenshot({ path: 'tests/.output/settings-server.png' });
      expect(errors).toEqual([]);
    } finally {
      await allowing.close();
      await refusing.close();
    }
  });
});
