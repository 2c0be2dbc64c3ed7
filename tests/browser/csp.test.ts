/**
 * The Content-Security-Policy holds in the page and in the workers: a request to a host that is
 * neither the app, a model host nor a language-model server it names is refused by the browser
 * before it leaves. The target is a real server listening here, reached as 127.0.0.2: a loopback
 * address (Linux routes all of 127/8 to this machine) that the policy does not name, since it names
 * only localhost and 127.0.0.1 for servers on this computer. Without the policy the request would
 * arrive; its request log shows none did.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { show, useChromium } from './app';

const baseUrl = inject('baseUrl');
const chromium = useChromium();
let outside: Server;
let outsideUrl = '';
const arrived: string[] = [];

beforeAll(async () => {
  outside = createServer((req, res) => {
    arrived.push(req.url ?? '');
    res.writeHead(200, { 'access-control-allow-origin': '*' }).end('ok');
  });
  await new Promise<void>((resolve) => outside.listen(0, '127.0.0.2', resolve));
  outsideUrl = `http://127.0.0.2:${(outside.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => outside.close(() => resolve()));
});

/** Runs in the page or a worker: tries to send, and reports what the browser did. */
const attempt = async (url: string): Promise<{ sent: boolean; violation: string | null }> => {
  let violation: string | null = null;
  addEventListener('securitypolicyviolation', (e) => (violation = (e as SecurityPolicyViolationEvent).violatedDirective));
  const sent = await fetch(url, { method: 'POST', body: 'a secret from the documents' }).then(
    () => true,
    () => false,
  );
  await new Promise((r) => setTimeout(r, 50));
  return { sent, violation };
};

describe('Content-Security-Policy', () => {
  it('refuses requests to other hosts from the page and from its workers', async () => {
    // The target is reachable: a request without the policy (from Node) arrives.
    await fetch(`${outsideUrl}probe`);
    expect(arrived).toEqual(['/probe']);

    const o = await chromium.open(baseUrl, '/');
    const { page } = o;
    await page.getByTestId('library-summary').waitFor();

    expect(await page.evaluate(attempt, `${outsideUrl}from-page`)).toEqual({ sent: false, violation: 'connect-src' });
    // The library worker starts with the page; its policy comes from its own script's response header.
    const worker = page.workers().find((w) => w.url().includes('library'));
    expect(
      worker,
      page
        .workers()
        .map((w) => w.url())
        .join(', '),
    ).toBeDefined();
    expect(await worker!.evaluate(attempt, `${outsideUrl}from-worker`)).toEqual({ sent: false, violation: 'connect-src' });
    expect(arrived).toEqual(['/probe']);

    // The page carries the policy itself too, for hosts that send no header.
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(meta).toMatch(/connect-src 'self' blob: data: https:\/\/huggingface\.co/);
    expect(meta).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);

    // Settings says so when a mirror is one the policy blocks, before anything fails.
    await show(page, 'settings');
    const source = page.locator('input[name="modelSource"]');
    await source.fill(outsideUrl);
    expect(await page.getByTestId('mirror-blocked').textContent()).toMatch(/RAGSCOPE_MODEL_HOSTS/);
    await source.fill('http://127.0.0.1:8999/');
    expect(await page.getByTestId('mirror-blocked').count()).toBe(0);
  });
});
