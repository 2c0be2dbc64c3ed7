/**
 * Ask once, compare the answers, in the real app: documents dropped and stored, one question, the same
 * generated tiny GPT-2 (transformers.js engine in the LLM worker) answering with and without the
 * retrieved passages, the trace, the prompts, and documents carrying markup that must never run.
 */
import { describe, expect, inject, it } from 'vitest';
import { askAndWait, networkRequests, TINY_MODELS, useChromium } from './app';

const baseUrl = inject('baseUrl');
const chromium = useChromium();

const SETTINGS = { ...TINY_MODELS, llm: { ...TINY_MODELS.llm, maxTokens: 12 } };

const FILES = [
  { name: 'tides.md', text: '# Tides\n\nThe moon pulls the oceans, so the tide rises twice a day along most coasts.\n' },
  { name: 'bread.md', text: '# Baking\n\nSourdough bread rises slowly because wild yeast ferments the flour.\n' },
  {
    name: 'markup.txt',
    text: 'Harbour log: <img src=x onerror="window.__pwned = 1"> and <script>window.__pwned = 2</script> were written in this harbour log.',
  },
];

describe('the comparison', () => {
  it('answers once from the model alone and once with the passages, shows the trace and the exact prompts, and runs no document markup', async () => {
    const o = await chromium.open(baseUrl, '/', SETTINGS);
    const { page, requests, errors } = o;
    await page.getByTestId('library-summary').waitFor();
    await page
      .getByTestId('file-input')
      .setInputFiles(FILES.map((f) => ({ name: f.name, mimeType: 'text/plain', buffer: Buffer.from(f.text) })));
    await expect.poll(() => page.getByTestId('doc-row').count(), { timeout: 60_000 }).toBe(3);

    const ask = (question: string): Promise<void> => askAndWait(page, question);

    await ask('Why does the tide rise along the coasts?');
    for (const pane of ['pane-plain', 'pane-grounded']) {
      expect((await page.getByTestId(pane).getByTestId('answer').textContent())!.trim().length, pane).toBeGreaterThan(0);
      expect(await page.getByTestId(pane).getByTestId('pane-stats').textContent()).toMatch(/\d+ tokens · first token \d+ ms/);
    }
    const passages = page.getByTestId('passage');
    expect(await passages.count()).toBeGreaterThan(0);
    expect(await passages.first().textContent()).toContain('tides.md');
    await page.getByTestId('trace').locator('summary').click();
    // The trace lists every candidate; the ones in the top k are the passages, in order.
    const inTopK = page.locator('[data-testid="trace-row"][data-in-top-k="true"]');
    expect(await inTopK.count()).toBe(await passages.count());
    expect(await page.getByTestId('trace-row').count()).toBeGreaterThanOrEqual(await passages.count());
    expect(await inTopK.first().textContent()).toContain('yes, as [1]');

    // The prompts: only the grounded side carries the passages.
    await page.getByTestId('prompts').locator('summary').click();
    const plain = await page.getByTestId('prompt-plain').textContent();
    const grounded = await page.getByTestId('prompt-grounded').textContent();
    expect(plain).toContain('Why does the tide rise along the coasts?');
    expect(plain).not.toContain('<passage');
    expect(grounded).toContain('<passage number="1" source="tides.md, Tides">');
    expect(grounded).toContain('The moon pulls the oceans');

    // Markup inside a document is text everywhere: in the passages and in the prompt (escaped).
    await ask('What was written in the harbour log?');
    expect(await passages.first().textContent()).toContain('<img src=x onerror="window.__pwned = 1">');
    expect(await page.getByTestId('prompt-grounded').textContent()).toContain('&lt;script&gt;window.__pwned = 2&lt;/script&gt;');
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('[data-testid="compare"] img, [data-testid="compare"] script').count()).toBe(0);

    // Its original opens as plain text in a new tab: the markup is shown, and nothing in it runs.
    const [popup] = await Promise.all([page.waitForEvent('popup'), passages.first().getByTestId('open-original').click()]);
    await popup.waitForLoadState();
    expect(popup.url()).toMatch(/^blob:/);
    expect(await popup.evaluate(() => document.contentType)).toBe('text/plain');
    expect(await popup.evaluate(() => document.body.innerText)).toContain('<script>window.__pwned = 2</script>');
    expect(await popup.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    await popup.close();

    // A passage opens inside its surroundings, itself marked.
    await passages.nth(1).getByTestId('passage-open').click();
    await expect.poll(() => passages.nth(1).locator('[data-testid="passage-context"] mark').count(), { timeout: 10_000 }).toBe(1);
    expect(await passages.nth(1).locator('mark').textContent()).toContain('The moon pulls the oceans');

    await page.getByTestId('compare').screenshot({ path: 'tests/.output/compare-view.png' });
    const origin = new URL(baseUrl).origin;
    expect(networkRequests(requests).filter((u) => u.origin !== origin || u.pathname === '/x')).toEqual([]);

    // Both comparisons are kept: after a reload, the newest comes back exactly as it was.
    const answers = await Promise.all(['pane-plain', 'pane-grounded'].map((p) => page.getByTestId(p).getByTestId('answer').textContent()));
    await page.reload();
    await page.getByTestId('history').waitFor();
    await page.getByTestId('history').locator('summary').click();
    expect(await page.getByTestId('history-item').allTextContents()).toEqual([
      'What was written in the harbour log?',
      'Why does the tide rise along the coasts?',
    ]);
    await page.getByTestId('history-item').first().click();
    expect(await page.getByTestId('shown-from').count()).toBe(1);
    expect(await Promise.all(['pane-plain', 'pane-grounded'].map((p) => page.getByTestId(p).getByTestId('answer').textContent()))).toEqual(
      answers,
    );
    expect(await page.getByTestId('passage').first().textContent()).toContain('markup.txt');

    // A citation in an answer opens its passage. The tiny GPT-2 never writes "[2]", so the kept
    // answer is given one in IndexedDB (as a real model's would read), and the page shows it again.
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('ragscope');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const store = db.transaction('comparisons', 'readwrite').objectStore('comparisons');
            const cursor = store.index('byTime').openCursor(null, 'prev');
            cursor.onsuccess = () => {
              const c = cursor.result!;
              const rec = c.value as { runs: Array<{ paneId: string; result: { text: string } }> };
              rec.runs.find((r) => r.paneId === 'grounded')!.result.text =
                'The log mentions markup [1], and **the moon** pulls the tides [2].';
              c.update(rec).onsuccess = () => (db.close(), resolve());
            };
          };
        }),
    );
    await page.reload();
    await page.getByTestId('history').locator('summary').click();
    await page.getByTestId('history-item').first().click();
    const cite = page.getByTestId('pane-grounded').locator('button[data-cite="2"]');
    expect(await cite.textContent()).toBe('[2]');
    expect(await page.getByTestId('pane-grounded').locator('strong').textContent()).toBe('the moon');
    await cite.click();
    const second = page.getByTestId('passage').nth(1);
    await expect.poll(() => second.getAttribute('class'), { timeout: 10_000 }).toMatch(/selected/);
    await expect.poll(() => second.locator('[data-testid="passage-context"] mark').count(), { timeout: 10_000 }).toBe(1);
    expect(await second.locator('mark').textContent()).toContain('The moon pulls the oceans');
    expect(errors).toEqual([]);
  });

  it('a model that cannot be loaded: both panes say they did not run and why, instead of waiting', async () => {
    const o = await chromium.open(baseUrl, '/', { ...SETTINGS, llm: { ...SETTINGS.llm, transformersModel: 'no-such-model' } });
    const { page, errors } = o;
    await page.getByTestId('library-summary').waitFor();
    await page.getByTestId('compare-question').fill('Why does the tide rise?');
    await page.getByTestId('compare-ask').click();
    for (const pane of ['pane-plain', 'pane-grounded']) {
      await expect.poll(() => page.getByTestId(pane).getAttribute('data-status'), { timeout: 60_000 }).toBe('not-run');
      expect(await page.getByTestId(pane).getByTestId('answer').textContent()).toContain(
        'Not run: the model could not be loaded — see the error above.',
      );
    }
    expect(errors).toEqual([]);
  });

  it('the sample documents give a first-time user a question whose answer only the documents hold', async () => {
    // The tiny GPT-2 reads 512 tokens at once: small chunks, so a passage fits with the question.
    const o = await chromium.open(baseUrl, '/', { ...SETTINGS, ingest: { chunkTokens: 64, overlapTokens: 8 } });
    const { page, errors } = o;
    await page.getByTestId('library-summary').waitFor();
    await page.getByTestId('try-samples').click();
    await expect.poll(() => page.getByTestId('doc-row').count(), { timeout: 60_000 }).toBe(3);
    await expect.poll(() => page.locator('[data-testid="doc-row"][data-embedded="true"]').count(), { timeout: 60_000 }).toBe(3);
    const question = await page.getByTestId('compare-question').inputValue();
    expect(question).toMatch(/Kestrel Point tide gauge calibrated/);
    await askAndWait(page);
    // The passage that answers it (every 90 days, by Ines Okonkwo-Baird) was given to the model.
    await page.getByTestId('prompts').locator('summary').click();
    expect(await page.getByTestId('prompt-grounded').textContent()).toContain('calibrated every 90 days');
    expect(await page.getByTestId('prompt-plain').textContent()).not.toContain('90 days');
    // The answering passage, opened, shows the sentences around it with the passage marked.
    const handbook = page.getByTestId('passage').filter({ hasText: 'calibrated every 90 days' }).first();
    await handbook.getByTestId('passage-open').click();
    await expect.poll(() => handbook.locator('[data-testid="passage-context"] mark').count(), { timeout: 10_000 }).toBe(1);
    expect(await handbook.getByTestId('passage-context').textContent()).toContain('calibrated every 90 days');
    expect(errors).toEqual([]);
  });
});
