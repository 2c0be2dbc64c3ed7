/**
 * Up to four panes in the real app: the generated tiny GPT-2 in the tab (transformers.js in the
 * LLM worker) beside a real OpenAI-compatible server serving the same model on 127.0.0.1
 * (tests/servers/openai-server.ts), set up with the pane editor as a user does; and a swap between
 * two local models (the tiny GPT-2 and a second one with other weights), said in words.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startOpenAIServer } from '../servers/openai-server';
import { networkRequests, show, TINY_MODELS, useChromium, violations } from './app';

const baseUrl = inject('baseUrl');
const chromium = useChromium();
const OUT = 'tests/.output';

const FILES = [
  { name: 'tides.md', text: '# Tides\n\nThe moon pulls the oceans, so the tide rises twice a day along most coasts.\n' },
  { name: 'bread.md', text: '# Baking\n\nSourdough bread rises slowly because wild yeast ferments the flour.\n' },
];

async function drop(page: Page): Promise<void> {
  await page.getByTestId('library-summary').waitFor();
  await page
    .getByTestId('file-input')
    .setInputFiles(FILES.map((f) => ({ name: f.name, mimeType: 'text/plain', buffer: Buffer.from(f.text) })));
  await expect.poll(() => page.getByTestId('doc-row').count(), { timeout: 60_000 }).toBe(2);
  // Searchable by meaning too, so that the passages come from the search the settings ask for.
  await expect.poll(() => page.getByTestId('library-summary').textContent(), { timeout: 60_000 }).toContain('2 by meaning');
}

const status = (page: Page, id: string) => page.getByTestId(`pane-${id}`).getAttribute('data-status');

/** The messages a kept comparison's pane sent, read from IndexedDB as stored. */
async function keptMessages(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(
    () =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const open = indexedDB.open('ragscope');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const cursor = db.transaction('comparisons').objectStore('comparisons').index('byTime').openCursor(null, 'prev');
          cursor.onsuccess = () => {
            const rec = cursor.result!.value as { runs: Array<{ paneId: string; messages: unknown }> };
            db.close();
            resolve(Object.fromEntries(rec.runs.map((r) => [r.paneId, r.messages])));
          };
        };
      }),
  );
}

describe('panes', () => {
  it('three panes: the tab without and with documents and a server with them; the same passages; the server gets exactly the grounded prompt and nothing else leaves', async () => {
    const origin = new URL(baseUrl).origin;
    // A pause per token, so the server pane is seen streaming before it is done.
    // It also sends reasoning apart from the answer, as llama-server and DeepSeek do.
    const server = await startOpenAIServer({
      cors: { origins: [origin] },
      tokenDelayMs: 40,
      reasoning: { style: 'reasoning_content', text: 'The passages say the moon pulls the oceans.' },
    });
    const refusing = await startOpenAIServer({ cors: false });
    try {
      const settings = {
        ...TINY_MODELS,
        retrieval: { topK: 2 },
        llm: { ...TINY_MODELS.llm, maxTokens: 12, serverUrl: server.url, serverModel: 'tiny-gpt2' },
      };
      const { page, requests, errors } = await chromium.open(baseUrl, '/', settings);
      await page.setViewportSize({ width: 1920, height: 1080 });
      await drop(page);

      // The pane editor: the default two panes, and a third that asks the server.
      await page.getByTestId('pane-editor').locator('summary').click();
      expect(await page.getByTestId('pane-row').count()).toBe(2);
      await page.getByTestId('pane-add').click();
      const third = page.getByTestId('pane-row').nth(2);
      // As added, it asks the tab's model with documents again: the same answer twice, refused with why.
      expect(await page.getByTestId('pane-problems').textContent()).toContain('ask the same model the same way');
      expect(await page.getByTestId('compare-ask').isDisabled()).toBe(true);
      await third.getByTestId('pane-engine').selectOption('openai');
      await third.getByTestId('pane-label').fill('Server model + your documents');
      await third.getByTestId('pane-label').dispatchEvent('change');
      expect(await third.getByTestId('pane-server').inputValue()).toBe(server.url);
      expect(await page.getByTestId('pane-problems').count()).toBe(0);

      await page.getByTestId('compare-question').fill('Why does the tide rise along the coasts?');
      const sent = requests.length;
      await page.getByTestId('compare-ask').click();
      const ids = ['plain', 'grounded', 'pane-3'];
      // The server pane streams: part of its answer is on screen before it is done.
      await expect
        .poll(
          async () =>
            (await status(page, 'pane-3')) === 'running' &&
            ((await page.getByTestId('pane-pane-3').getByTestId('answer').textContent()) ?? '').trim().length > 0,
          {
            timeout: 60_000,
            interval: 20,
          },
        )
        .toBe(true);
      for (const id of ids) await expect.poll(() => status(page, id), { timeout: 120_000 }).toBe('done');
      for (const id of ids) {
        expect((await page.getByTestId(`pane-${id}`).getByTestId('answer').textContent())!.trim().length, id).toBeGreaterThan(0);
        expect(await page.getByTestId(`pane-${id}`).getByTestId('pane-stats').textContent()).toMatch(/\d+ tokens · first token \d+ ms/);
      }
      const host = new URL(server.url).host;
      // The server's reasoning is folded away under its answer, never in it.
      const reasoning = page.getByTestId('pane-pane-3').getByTestId('pane-reasoning');
      expect(await reasoning.textContent()).toContain('The passages say the moon pulls the oceans.');
      expect(await page.getByTestId('pane-pane-3').getByTestId('answer').textContent()).not.toContain('The passages say');
      expect(await page.getByTestId('pane-pane-3').getByTestId('pane-sent-to').textContent()).toBe(`sent to ${host}`);
      expect(await page.getByTestId('pane-grounded').getByTestId('pane-sent-to').count()).toBe(0);
      expect(await page.getByTestId('same-settings').textContent()).toContain(
        'Same settings in every pane: seed 42, temperature 0, top-p 1, at most 12 tokens; every pane with documents reads the same passages.',
      );
      await page.getByTestId('pane-editor').locator('summary').click();
      await page.getByTestId('compare').screenshot({ path: `${OUT}/panes-three-projector.png` });
      await page.screenshot({ path: `${OUT}/panes-three-page-projector.png` });

      // The comparison as Markdown: every pane under its name, the server pane saying where it was sent.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-md').click()]);
      expect(download.suggestedFilename()).toBe('why-does-the-tide-rise-along-the-coasts.md');
      const md = readFileSync(await download.path(), 'utf8');
      expect(md).toContain(`## Server model + your documents\n\ntiny-gpt2, sent to ${host}, with your documents.`);
      expect(md).toContain('## Model only\n\ntiny-gpt2, in this tab (transformers.js), without documents.');

      // The same passages in both panes with documents, and the server got exactly that prompt, streamed.
      const kept = await keptMessages(page);
      expect(kept['pane-3']).toEqual(kept['grounded']);
      expect(JSON.stringify(kept['pane-3'])).toContain('The moon pulls the oceans');
      const chats = server.requests.filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions');
      expect(chats).toHaveLength(1);
      expect((chats[0]!.body as { messages: unknown }).messages).toEqual(kept['pane-3']);
      expect(chats[0]!.body).toMatchObject({ model: 'tiny-gpt2', stream: true, max_tokens: 12, temperature: 0, top_p: 1, seed: 42 });
      // Nothing else left the page: the app's own origin and the server, nothing more.
      const left = networkRequests(requests.slice(sent)).filter((u) => u.origin !== origin);
      expect(left.length).toBeGreaterThan(0);
      expect(left.filter((u) => u.origin !== new URL(server.url).origin)).toEqual([]);
      // ... and the Network card counts what went to the server.
      await page.getByTestId('nav-machine').click();
      await expect.poll(() => page.getByTestId('requests-since-question').textContent(), { timeout: 10_000 }).toContain(host);
      await page.getByTestId('nav-ask').click();
      await page.getByTestId('pane-editor').locator('summary').click();

      // The server pane at a server that refuses this page (no CORS): its error and the fix, in that pane only.
      await third.getByTestId('pane-server').fill(refusing.url);
      await third.getByTestId('pane-server').dispatchEvent('change');
      await page.getByTestId('compare-ask').click();
      await expect.poll(() => status(page, 'pane-3'), { timeout: 60_000 }).toBe('failed');
      const err = page.getByTestId('pane-pane-3').getByTestId('error');
      expect(await err.getAttribute('data-error-name')).toBe('CorsRefused');
      expect(await err.textContent()).toContain(`OLLAMA_ORIGINS=${origin}`);
      for (const id of ['plain', 'grounded']) await expect.poll(() => status(page, id), { timeout: 60_000 }).toBe('done');

      // A server that is not running: named, with how to start one.
      await third.getByTestId('pane-server').fill(server.url);
      await third.getByTestId('pane-server').dispatchEvent('change');
      await server.close();
      await page.getByTestId('compare-ask').click();
      await expect.poll(() => status(page, 'pane-3'), { timeout: 60_000 }).toBe('failed');
      expect(await err.getAttribute('data-error-name')).toBe('ServerUnreachable');
      expect(await err.textContent()).toContain('ollama serve');
      for (const id of ['plain', 'grounded']) await expect.poll(() => status(page, id), { timeout: 60_000 }).toBe('done');
      expect(errors).toEqual([]);
    } finally {
      await server.close();
      await refusing.close();
    }
  });

  it('pretraining vs fine-tuning vs retrieval on two local models: the swap is said, with why, and the panes still answer', async () => {
    // The policy is bypassed only so that axe-core can be injected.
    // The answer models on WebGPU (the software adapter here): how much GPU memory a transformers.js
    // model takes is not known, so the plan does not hold two side by side and swaps them.
    const { page, errors } = await chromium.open(
      baseUrl,
      '/',
      { ...TINY_MODELS, llm: { ...TINY_MODELS.llm, maxTokens: 8, transformersDevice: 'webgpu' } },
      { bypassCSP: true },
    );
    await page.setViewportSize({ width: 1366, height: 768 });
    await drop(page);
    await page.getByTestId('pane-editor').locator('summary').click();
    await page.getByTestId('preset-training').check();
    // transformers.js has no example pair: the fine-tuned pane asks for its model.
    expect(await page.getByTestId('pane-problems').textContent()).toContain('"Fine-tuned model" has no model: choose one.');
    const tuned = page.getByTestId('pane-row').nth(1).getByTestId('pane-model');
    await tuned.fill('tiny-gpt2-tuned');
    await tuned.dispatchEvent('change');
    await page.getByTestId('compare-question').fill('Why does bread rise?');
    await page.getByTestId('compare-ask').click();
    for (const id of ['base', 'tuned', 'base-docs']) await expect.poll(() => status(page, id), { timeout: 120_000 }).toBe('done');
    const plan = page.getByTestId('plan');
    expect(await plan.locator('summary').textContent()).toContain('1 model swap');
    expect(await plan.getAttribute('open')).not.toBeNull();
    expect(await plan.textContent()).toContain(
      'tiny-gpt2-tuned ("Fine-tuned model") is loaded after tiny-gpt2 ("Base model", "Base model + your documents") is unloaded: the memory tiny-gpt2 needs is not known, so it is not held beside another model.',
    );
    expect(await page.getByTestId('pane-tuned').getByTestId('pane-about').textContent()).toContain('tiny-gpt2-tuned');
    await page.getByTestId('compare').screenshot({ path: `${OUT}/panes-training-laptop.png` });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByTestId('compare').screenshot({ path: `${OUT}/panes-training-laptop-dark.png` });
    expect(await violations(page)).toEqual([]);

    // Evaluate asks a question set with the same three panes, and scores each.
    await show(page, 'evaluate');
    await page.getByTestId('typed-question').fill('Why does bread rise slowly?');
    await page.getByTestId('typed-answer').fill('Wild yeast ferments the flour.');
    await page.getByTestId('typed-add').click();
    await page.getByTestId('run-mode').selectOption('keyword');
    await page.getByTestId('run-panes').check();
    await page.getByTestId('run-start').click();
    await expect.poll(() => page.getByTestId('run-row').getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    expect(await page.getByTestId('run-row').textContent()).toContain('3 panes');
    await page.getByTestId('run-open').click();
    const table = page.getByTestId('run-panes-summary');
    await expect
      .poll(() => table.locator('tbody th').allTextContents(), { timeout: 10_000 })
      .toEqual(['Base model', 'Fine-tuned model', 'Base model + your documents']);
    await page.getByTestId('run-detail').screenshot({ path: `${OUT}/panes-evaluate-laptop-dark.png` });
    expect(await violations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
