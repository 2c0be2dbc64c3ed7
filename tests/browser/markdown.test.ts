/**
 * Answers rendered as the compare view renders them, in Chromium: Markdown formatting and citation
 * buttons survive; scripts, handlers, images, frames, styles and javascript: links never do, and
 * nothing in an answer makes the browser fetch anything.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useChromium, type OpenedPage } from './app';

const baseUrl = inject('baseUrl');
const chromium = useChromium();
let opened: OpenedPage;

beforeAll(async () => {
  opened = await chromium.open(baseUrl, '/tests/browser/harness.html');
  await opened.page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
});

function render(page: Page, text: string, passages: number): Promise<string> {
  return page.evaluate(
    ([t, n]) => (globalThis as unknown as { harness: { renderAnswer(t: string, n: number): string } }).harness.renderAnswer(t, n),
    [text, passages] as const,
  );
}

describe('answers as HTML', () => {
  it('keeps Markdown formatting and turns citations into buttons, flagging ones to passages that were not given', async () => {
    const html = await render(
      opened.page,
      '**Spring tides** are largest [1].\n\n- at new moon [2]\n- at full moon [7]\n\n`gauge` [docs](https://example.org/x)',
      2,
    );
    expect(html).toContain('<strong>Spring tides</strong>');
    expect(html).toMatch(/<ul>\s*<li>at new moon <button[^>]*data-cite="2"/);
    expect(html).toContain('<code>gauge</code>');
    expect(html).toMatch(/<button [^>]*class="cite"[^>]*>\[1\]<\/button>/);
    expect(html).toMatch(/<button [^>]*data-unknown="true"[^>]*>\[7\]<\/button>/);
    expect(html).toMatch(/<a href="https:\/\/example\.org\/x" target="_blank" rel="noopener noreferrer">docs<\/a>/);
  });

  it('never runs, loads or styles anything an answer contains', async () => {
    const { page, requests } = opened;
    const before = requests.length;
    const payloads = [
      '<img src=x onerror="window.__pwned = 1">',
      '<script>window.__pwned = 2</script>',
      '[click me](javascript:window.__pwned=3)',
      '<a href="javascript:window.__pwned=4">x</a>',
      '<button onclick="window.__pwned=5" data-cite="1">[1]</button>',
      '<svg onload="window.__pwned=6"></svg>',
      '<iframe src="https://example.com/frame"></iframe>',
      '<style>body { display: none }</style>',
      '![tracking pixel](https://example.com/pixel.png)',
      '<details open ontoggle="window.__pwned=7">x</details>',
    ];
    const html = await render(page, payloads.join('\n\n'), 3);
    expect(html).not.toMatch(/<(img|script|svg|iframe|style|details|object|embed|video|audio)\b/i);
    expect(html).not.toMatch(/\son\w+=/i);
    expect(html).not.toMatch(/javascript:/i);
    // Give anything that could fire a moment to do so.
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(requests.slice(before).filter((u) => u.includes('example.com'))).toEqual([]);
    expect(await page.evaluate(() => getComputedStyle(document.body).display)).not.toBe('none');
  });
});
