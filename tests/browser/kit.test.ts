/**
 * A whole workshop kit, as an instructor makes it and an attendee runs it: `buildKit` fetches the
 * models from a local server imitating the model hosts and builds the app into the kit; the kit's
 * own `serve.mjs` serves it; Chromium opens it with no saved settings. The documents are embedded
 * and the question answered with the kit's models, and nothing is requested from anywhere but the
 * kit's server.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium';
import { openApp, type OpenedPage } from './app';
import { buildKit, parseKitArgs } from '../../src/cli/kit';
import { MIRROR_MODEL, serveMirror, type Mirror } from '../fixtures/webllm-mirror';
import { fixtureModels } from '../fixtures/models';

let browser: Browser;
let hostServer: Mirror;
let kitServer: ChildProcess | null = null;
let kitUrl = '';
const opened: OpenedPage[] = [];

beforeAll(async () => {
  browser = await launchChromium(inject('chromiumPath'));
  const models = fixtureModels();
  hostServer = await serveMirror({
    pauseMs: 0,
    transformers: { 'tiny-bert': path.join(models, 'tiny-bert'), 'tiny-gpt2': path.join(models, 'tiny-gpt2') },
  });
  const out = mkdtempSync(path.join(tmpdir(), 'ragscope-kit-app-'));
  const args = parseKitArgs([
    '--out',
    out,
    '--source',
    hostServer.url,
    '--llm',
    MIRROR_MODEL,
    '--embed',
    'tiny-bert',
    '--embed-dtype',
    'fp32',
    '--tjs-llm',
    'tiny-gpt2',
    '--tjs-dtype',
    'fp32',
    // This machine's GPU is a software one: run both models on WASM, briefly.
    '--defaults',
    JSON.stringify({
      embedding: { device: 'wasm' },
      llm: { engine: 'transformers', transformersDevice: 'wasm', maxTokens: 8 },
      ingest: { chunkTokens: 64, overlapTokens: 8 },
    }),
  ]);
  if (typeof args === 'string') throw new Error(args);
  const report = await buildKit(args, () => undefined);
  if (!report.ok || !report.app) throw new Error(`kit incomplete: ${JSON.stringify(report.models)}`);

  // Served exactly as the kit's README says, by the kit's own server.
  const server = spawn(process.execPath, [path.join(out, 'serve.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  kitServer = server;
  kitUrl = await new Promise<string>((resolve, reject) => {
    server.stdout.on('data', (b: Buffer) => {
      const m = /(http:\/\/\S+)/.exec(b.toString());
      if (m) resolve(m[1]!);
    });
    server.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
  });
}, 300_000);

afterAll(async () => {
  for (const o of opened) await o.context.close();
  await browser?.close();
  kitServer?.kill();
  await hostServer?.close();
});

describe('workshop kit', () => {
  it("serves the app with its models from the kit's folder: documents embedded, questions answered, nothing fetched from elsewhere", async () => {
    const o = await openApp(browser, kitUrl, '/');
    opened.push(o);
    const { page, requests, errors } = o;
    hostServer.requests.length = 0;
    await page.getByTestId('library-summary').waitFor();

    await page.getByTestId('file-input').setInputFiles([
      {
        name: 'room.md',
        mimeType: 'text/plain',
        buffer: Buffer.from('# Room\n\nThe workshop room has no internet, only a kit on each laptop.\n'),
      },
    ]);
    await expect.poll(() => page.locator('[data-testid="doc-row"][data-embedded="true"]').count(), { timeout: 90_000 }).toBe(1);
    await page.getByTestId('compare-question').fill('What does the workshop room have?');
    await page.getByTestId('compare-ask').click();
    for (const pane of ['pane-plain', 'pane-grounded']) {
      await expect.poll(() => page.getByTestId(pane).getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    }
    expect(await page.getByTestId('compare').textContent()).toMatch(/tiny-gpt2 \(transformers, wasm\)/);

    // Every request went to the kit's server; the model host was never asked.
    const origin = new URL(kitUrl).origin;
    const web = requests.filter((u) => /^https?:/.test(u));
    expect(web.filter((u) => new URL(u).origin !== origin)).toEqual([]);
    expect(web.some((u) => u.includes('/models/tiny-bert/'))).toBe(true);
    expect(web.some((u) => u.includes('/models/tiny-gpt2/'))).toBe(true);
    expect(hostServer.requests).toEqual([]);
    // The kit's server sends the app's policy, which binds the workers too.
    const res = await fetch(`${kitUrl}index.html`);
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(errors).toEqual([]);
  });
});
