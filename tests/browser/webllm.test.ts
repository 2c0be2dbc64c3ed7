/**
 * The real web-llm engine in the app's LLM worker, against a model mirror served by the test on
 * another origin (as a workshop's server would be). No real model library can be built here, so
 * the run ends at the library step; everything up to it is real: the files requested, the byte
 * progress in the compare view, web-llm reading our cache (Cache API) instead of the network,
 * the named error, the broken library dropped from the cache and the weights kept; then Settings'
 * model list, downloading ahead of time, and deleting.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { show, useChromium } from './app';
import { LIBRARY_FILE, MIRROR_MODEL, serveMirror, type Mirror } from '../fixtures/webllm-mirror';

const baseUrl = inject('baseUrl');
const chromium = useChromium();
let mirror: Mirror;

beforeAll(async () => {
  // Big enough, and slow enough (~1.5 s), that the progress bar is seen moving.
  mirror = await serveMirror({ shards: [1_200_000, 1_000_000, 800_000, 600_000], pieceBytes: 65_536, pauseMs: 20 });
});
afterAll(async () => {
  await mirror?.close();
});

/** URLs of a Cache API cache in the page, e.g. web-llm's 'webllm/model'. */
const cachedUrls = (page: Page, scope: string): Promise<string[]> =>
  page.evaluate(async (s) => (await (await caches.open(s)).keys()).map((r) => r.url), scope);

/** Every text the progress bars show, recorded in the page as they change. */
async function recordProgress(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { __progress: string[] };
    w.__progress = [];
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[role="progressbar"]')) {
        const t = el.textContent ?? '';
        if (w.__progress.at(-1) !== t) w.__progress.push(t);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  return () => page.evaluate(() => (window as unknown as { __progress: string[] }).__progress);
}

describe('web-llm from a mirror', () => {
  it('downloads every file once with byte progress, then stops at the model library with a named error', async () => {
    const o = await chromium.open(baseUrl, '/', {
      modelSource: mirror.url,
      llm: { engine: 'webllm', webllmModel: MIRROR_MODEL },
    });
    const { page, errors } = o;
    await page.getByTestId('library-summary').waitFor();
    const progress = await recordProgress(page);

    await page.getByTestId('compare-question').fill('When is high tide at Kestrel Point?');
    await page.getByTestId('compare-ask').click();
    const error = page.getByTestId('compare').getByTestId('error');
    await error.waitFor({ timeout: 120_000 });
    expect(await error.getAttribute('data-error-name')).toBe('ModelLibraryUnavailable');
    expect(await error.textContent()).toMatch(new RegExp(`${MIRROR_MODEL}.*could not be started.*another model`));

    // Each file of the model was fetched exactly once: web-llm read config and library from our cache.
    const want = [
      'mlc-chat-config.json',
      'tensor-cache.json',
      'tokenizer.json',
      ...[0, 1, 2, 3].map((i) => `params_shard_${i}.bin`),
      LIBRARY_FILE,
    ];
    expect([...mirror.requests].sort()).toEqual(want.sort());

    // The bar counted bytes, moving through the download, ending at the model's size.
    const texts = await progress();
    const mb = (n: number): string => (n / 1_048_576).toFixed(1);
    const bytes = texts.filter((t) => /download: [\d.]+ \/ [\d.]+ MB/.test(t));
    expect(bytes.length, texts.join('\n')).toBeGreaterThan(5);
    expect(bytes.at(-1)).toContain(`${mb(mirror.totalBytes)} / ${mb(mirror.totalBytes)} MB`);

    // The weights stay for the next try; the library that cannot start was dropped, so a fixed
    // mirror is asked again rather than failing from the cache forever.
    const model = await cachedUrls(page, 'webllm/model');
    for (const i of [0, 1, 2, 3]) expect(model).toContain(`${mirror.folder}params_shard_${i}.bin`);
    expect(await cachedUrls(page, 'webllm/wasm')).toEqual([]);
    expect(errors).toEqual([]);

    // Asking again fetches only the library.
    mirror.requests.length = 0;
    await page.getByTestId('compare-ask').click();
    await expect.poll(() => error.getAttribute('data-error-name'), { timeout: 60_000 }).toBe('ModelLibraryUnavailable');
    await expect.poll(() => mirror.requests, { timeout: 10_000 }).toEqual([LIBRARY_FILE]);
  });

  it("lists web-llm's models for this GPU in Settings, downloads one ahead of time and deletes it", async () => {
    const o = await chromium.open(baseUrl, '/', { modelSource: mirror.url, llm: { webllmModel: MIRROR_MODEL } });
    const { page, errors } = o;
    await show(page, 'settings');
    const row = page.locator(`[data-testid="webllm-model"][data-model="${MIRROR_MODEL}"]`);
    await row.waitFor({ timeout: 60_000 });
    expect(await row.textContent()).toMatch(/chosen/);
    // The software adapter has no shader-f16: the q4f32 build of each model is offered; a model
    // built only with 16-bit floats is listed apart, with the reason, and cannot be downloaded.
    const rows = await page
      .getByTestId('webllm-model')
      .evaluateAll((els) => els.map((r) => ({ id: r.getAttribute('data-model')!, text: r.textContent ?? '' })));
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.some((r) => r.id === 'Llama-3.2-1B-Instruct-q4f32_1-MLC')).toBe(true);
    const f16 = rows.filter((r) => r.id.includes('q4f16'));
    for (const r of f16) expect(r.text, r.id).toMatch(/16-bit float shaders/);
    const ids = rows.map((r) => r.id);
    // The Settings select offers the same list.
    expect(await page.locator('select[name="webllmModel"] option').count()).toBe(ids.length);
    expect(await row.getByTestId('webllm-stored').textContent()).toBe('—');

    mirror.requests.length = 0;
    await row.getByTestId('webllm-download').click();
    await expect
      .poll(
        () =>
          page
            .getByTestId('webllm-status')
            .textContent()
            .catch(() => ''),
        { timeout: 60_000 },
      )
      .toMatch(/works without internet/);
    expect(await row.getByTestId('webllm-stored').textContent()).toMatch(/MB/);
    expect(mirror.requests.length).toBe(8);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('webllm-models').screenshot({ path: 'tests/.output/webllm-models.png' });

    await row.getByTestId('webllm-delete').click();
    await row.getByTestId('webllm-delete-confirm').click();
    await expect.poll(() => row.getByTestId('webllm-stored').textContent(), { timeout: 30_000 }).toBe('—');
    const left = [
      ...(await cachedUrls(page, 'webllm/model')),
      ...(await cachedUrls(page, 'webllm/config')),
      ...(await cachedUrls(page, 'webllm/wasm')),
    ];
    expect(left.filter((u) => u.startsWith(mirror.folder))).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('keeps a download that found no network on screen with its named error, counts the failed requests apart, and Try again finishes it', async () => {
    // A mirror that is down: its address refuses connections, as with the network off.
    const down = await serveMirror({ pauseMs: 0 });
    const { port } = new URL(down.url);
    await down.close();
    const o = await chromium.open(baseUrl, '/', { modelSource: down.url, llm: { webllmModel: MIRROR_MODEL } });
    const { page, errors } = o;
    await show(page, 'settings');
    const row = page.locator(`[data-testid="webllm-model"][data-model="${MIRROR_MODEL}"]`);
    await row.waitFor({ timeout: 60_000 });
    await row.getByTestId('webllm-download').click();

    const models = page.getByTestId('webllm-models');
    const error = models.getByTestId('error');
    await expect
      .poll(async () => (await error.isVisible()) && (await row.getByTestId('webllm-download').isEnabled()), { timeout: 60_000 })
      .toBe(true);
    // The model list is read again after every download; that used to wipe the error away a moment
    // after it appeared. Give it that moment (the list is read from this device's cache).
    await page.waitForTimeout(1500);
    expect(await error.isVisible()).toBe(true);
    expect(await error.getAttribute('data-error-name')).toBe('ModelDownloadFailed');
    expect(await error.textContent()).toMatch(new RegExp(`${MIRROR_MODEL}.*the network did not answer. Try again`));
    expect(await row.getByTestId('webllm-stored').textContent()).toBe('—');

    // The Network card (This machine) counts the refused requests as failed, never as cached or transferred.
    await show(page, 'machine');
    const mirrorRow = page.locator(`[data-testid="net-destination"][data-origin="${new URL(down.url).origin}"]`);
    await expect
      .poll(
        () =>
          mirrorRow
            .getByTestId('net-failed')
            .textContent({ timeout: 1_000 })
            .catch(() => ''),
        { timeout: 10_000 },
      )
      .toMatch(/^\d+ failed \(network error\)$/);
    expect(await mirrorRow.textContent()).not.toMatch(/cache/i);
    expect(await mirrorRow.getByTestId('net-cached').count()).toBe(0);
    expect(await mirrorRow.getByTestId('net-transferred').count()).toBe(0);
    await page.getByTestId('net-requests').locator('summary').click();
    const failed = page.locator('[data-testid="net-request"][data-outcome="failed"]');
    expect(await failed.first().textContent()).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}/.*failed: network error`));

    await page.getByTestId('network-card').screenshot({ path: 'tests/.output/network-card.png' });
    await show(page, 'settings');

    // The mirror is back: Try again fetches the model.
    const back = await serveMirror({ port: Number(port), pauseMs: 0 });
    try {
      await models.getByTestId('webllm-retry').click();
      await expect
        .poll(
          () =>
            models
              .getByTestId('webllm-status')
              .textContent()
              .catch(() => ''),
          { timeout: 60_000 },
        )
        .toMatch(/works without internet/);
      expect(await error.count()).toBe(0);
      // The list is read again after the download: the row shows its size once that read is back.
      await expect.poll(() => row.getByTestId('webllm-stored').textContent(), { timeout: 10_000 }).toMatch(/^[\d.]+ [kM]B$/);
      expect(back.completed.length).toBe(back.files.size);
    } finally {
      await back.close();
    }
    expect(errors).toEqual([]);
  });
});
