/**
 * Private and offline, proved in a real browser: every request of the page, its workers and its
 * service worker is recorded with its body while documents are dropped, embedded and asked about.
 * Nothing goes anywhere but the app's origin (which is also the model source here), no request
 * carries any text of the documents, and asking a second question makes no request at all. Then
 * the network is cut, the page reloaded, and the same question is answered again from the caches.
 */
import { describe, expect, inject, it } from 'vitest';
import { askAndWait, TINY_MODELS, useChromium } from './app';

const baseUrl = inject('baseUrl');
const chromium = useChromium();

const SETTINGS = { ...TINY_MODELS, llm: { ...TINY_MODELS.llm, maxTokens: 8 }, ingest: { chunkTokens: 64, overlapTokens: 8 } };

// Words that appear nowhere but in these documents: if any request carries one, a document leaked.
const SECRETS = ['Quillfeather', 'zanthorpe', 'MARROWGATE-7731'];
const FILES = [
  { name: 'memo.md', text: `# Board memo\n\nThe Quillfeather acquisition closes in March; the code name is MARROWGATE-7731.\n` },
  { name: 'notes.txt', text: 'Staff notes: the zanthorpe audit found the archive room floods every spring tide.\n' },
];

describe('privacy and offline', () => {
  it('sends nothing but the app and its model files anywhere, never a word of the documents, and answers again with the network cut', async () => {
    const o = await chromium.open(baseUrl, '/', SETTINGS, { serviceWorker: true });
    const { page, context, errors } = o;
    const sent: { url: string; body: string }[] = [];
    context.on('request', (r) => sent.push({ url: r.url(), body: r.postData() ?? '' }));

    // First visit: the app saves itself for offline use.
    await expect.poll(() => page.getByTestId('offline-status').getAttribute('data-status'), { timeout: 120_000 }).toBe('ready');

    await page
      .getByTestId('file-input')
      .setInputFiles(FILES.map((f) => ({ name: f.name, mimeType: 'text/plain', buffer: Buffer.from(f.text) })));
    await expect.poll(() => page.locator('[data-testid="doc-row"][data-embedded="true"]').count(), { timeout: 90_000 }).toBe(2);

    const ask = (question: string): Promise<void> => askAndWait(page, question);
    await ask('What is the code name of the Quillfeather acquisition?');
    // The passages reached the model: retrieval really used the documents.
    await page.getByTestId('prompts').locator('summary').click();
    expect(await page.getByTestId('prompt-grounded').textContent()).toContain('MARROWGATE-7731');

    // A second question: the model is loaded, so nothing at all goes over the network.
    const before = sent.length;
    await ask('When does the archive room flood?');
    expect(sent.slice(before).map((r) => r.url)).toEqual([]);
    expect(await page.getByTestId('requests-since-question').textContent()).toMatch(/no requests/);

    // Everything went to the app's own origin; no URL or body carried a word of the documents.
    const origin = new URL(baseUrl).origin;
    const web = sent.filter((r) => /^(https?|wss?):/.test(r.url));
    expect(web.length).toBeGreaterThan(10);
    expect(web.filter((r) => new URL(r.url).origin !== origin).map((r) => r.url)).toEqual([]);
    for (const secret of SECRETS) {
      expect(web.filter((r) => r.url.includes(secret) || r.body.includes(secret)).map((r) => r.url)).toEqual([]);
    }
    // The app's own count agrees: one destination, this app.
    const destinations = await page.getByTestId('net-destination').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-origin')));
    expect(destinations).toEqual([origin]);

    // Network off, reload: the app, the library and both models come from this device.
    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('library-summary').waitFor();
    await expect.poll(() => page.getByTestId('doc-row').count(), { timeout: 30_000 }).toBe(2);
    expect(await page.getByTestId('offline-status').textContent()).toMatch(/Offline now/);
    await ask('When does the archive room flood?');
    await page.getByTestId('prompts').locator('summary').click();
    expect(await page.getByTestId('prompt-grounded').textContent()).toContain('archive room floods');
    expect(await page.getByTestId('pane-grounded').getByTestId('answer').textContent()).not.toBe('');
    // The Network card tells it too: after the reload, every request was answered from this device.
    const app = page.locator(`[data-testid="net-destination"][data-origin="${origin}"]`);
    expect(await app.getByTestId('net-cached').textContent()).toMatch(/^\d+ from cache$/);
    expect(await app.getByTestId('net-transferred').count()).toBe(0);
    expect(await app.getByTestId('net-failed').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
