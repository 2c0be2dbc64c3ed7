/**
 * An update never breaks an open tab: a tab runs version A (saved by its service worker); version
 * B is deployed over it, replacing every file on the server. The tab is told an update is ready,
 * keeps working on A (its lazily loaded workers and models come from A's saved copy, though the
 * server no longer has them), and switches to B only when the user asks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { askAndWait, TINY_MODELS, useChromium } from './app';
import { serveStatic, type StaticServer } from './static-server';
import { MODELS_DIR } from './global-setup';
import { contentSecurityPolicy, MODEL_HOSTS } from '../../src/platform/csp';

const chromium = useChromium();
let server: StaticServer;
const root = mkdtempSync(path.join(tmpdir(), 'ragscope-update-'));
const live = path.join(root, 'live');
const versions = { a: path.join(root, 'a'), b: path.join(root, 'b') };

/** Two builds that differ (their default top-k), so every hashed file and the service worker differ. */
async function buildVersion(outDir: string, topK: number): Promise<void> {
  const previous = process.env.RAGSCOPE_DEFAULTS;
  process.env.RAGSCOPE_DEFAULTS = JSON.stringify({ retrieval: { topK } });
  try {
    await build({ configFile: path.resolve('vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  } finally {
    if (previous === undefined) delete process.env.RAGSCOPE_DEFAULTS;
    else process.env.RAGSCOPE_DEFAULTS = previous;
  }
}

/** Replaces everything the server has, as a deploy does. */
function deploy(version: string): void {
  rmSync(live, { recursive: true, force: true });
  cpSync(version, live, { recursive: true });
}

beforeAll(async () => {
  await buildVersion(versions.a, 5);
  await buildVersion(versions.b, 6);
  deploy(versions.a);
  server = await serveStatic(
    [
      { prefix: '/', dir: live },
      { prefix: '/models/', dir: MODELS_DIR },
    ],
    { headers: { 'content-security-policy': contentSecurityPolicy({ modelHosts: MODEL_HOSTS, header: true }) } },
  );
}, 300_000);

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const SETTINGS = { ...TINY_MODELS, llm: { ...TINY_MODELS.llm, maxTokens: 8 } };

describe('updates', () => {
  it('a new version waits for the user; the open tab keeps working on its own saved copy meanwhile', async () => {
    const o = await chromium.open(server.url, '/', SETTINGS, { serviceWorker: true });
    const { page, errors } = o;
    await expect.poll(() => page.getByTestId('offline-status').getAttribute('data-status'), { timeout: 120_000 }).toBe('ready');
    // Version A's saved settings are the user's; its build default shows where none was saved.
    expect(await page.locator('form.ask input[type="number"]').first().inputValue()).toBe('5');

    deploy(versions.b);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    await expect
      .poll(
        () =>
          page
            .getByTestId('update-notice')
            .textContent()
            .catch(() => ''),
        { timeout: 60_000 },
      )
      .toMatch(/new version of ragscope is ready/);

    // Still version A, and whole: the LLM worker and the models load now, for the first time,
    // although the server has only version B's files.
    await page
      .getByTestId('file-input')
      .setInputFiles([{ name: 'tides.md', mimeType: 'text/plain', buffer: Buffer.from('# Tides\n\nThe tide rises twice a day.\n') }]);
    await expect.poll(() => page.locator('[data-testid="doc-row"][data-embedded="true"]').count(), { timeout: 90_000 }).toBe(1);
    await askAndWait(page, 'How often does the tide rise?');
    expect(await page.locator('form.ask input[type="number"]').first().inputValue()).toBe('5');

    // The user accepts: the tab reloads into version B, and the library is still there.
    await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), page.getByRole('button', { name: 'Reload to update' }).click()]);
    await page.getByTestId('library-summary').waitFor();
    await expect.poll(() => page.locator('form.ask input[type="number"]').first().inputValue(), { timeout: 10_000 }).toBe('6');
    expect(await page.getByTestId('doc-row').count()).toBe(1);
    expect(await page.getByTestId('update-notice').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
