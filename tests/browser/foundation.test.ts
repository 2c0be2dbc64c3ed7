/**
 * The foundation in a real browser: the built app in Debian Chromium with a real (SwiftShader)
 * WebGPU adapter, real workers and the real transformers.js runtime on generated models.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { resolve } from 'node:path';
import { networkRequests, show, type OpenedPage, useChromium } from './app';
import { TransformersEmbedder } from '../../src/embed/transformers';
import { TransformersChatEngine } from '../../src/generate/transformers-engine';
import { cosine, row, type EmbedderInfo, type EmbedLoadRequest } from '../../src/embed/embedder';
import type { ChatLoadRequest, ChatModelInfo, GenerationParams, GenerationResult } from '../../src/generate/engine';
import type { GpuStatus } from '../../src/platform/webgpu';
import type { Progress } from '../../src/core/progress';

const baseUrl = inject('baseUrl');
const MODELS = `${resolve('tests/fixtures/generated/models')}/`;
const SENTENCES = ['The cat sat on the mat.', 'A cat was sitting on a rug.', 'Quarterly revenue rose by four percent.'];
const BROWSER_SOURCE = { kind: 'local', path: '/models/' } as const;
const PROMPT = 'The capital of France is';
const GREEDY: GenerationParams = { maxTokens: 12, temperature: 0, topP: 1, seed: 42 };

interface HarnessEmbed {
  info: EmbedderInfo;
  dim: number;
  vectors: number[];
  firstMs: number;
  ms: number;
  progress: Progress[];
  workerGpu: GpuStatus;
}
interface HarnessGenerate {
  info: ChatModelInfo;
  tokens: string[];
  result: GenerationResult;
}
type Harness = {
  embed(load: EmbedLoadRequest, texts: string[]): Promise<HarnessEmbed>;
  generate(load: ChatLoadRequest, prompt: string, params: GenerationParams): Promise<HarnessGenerate>;
};

const chromium = useChromium();
let nodeVectors: Float32Array;
let nodeDim: number;

beforeAll(async () => {
  // The reference: the same model through the same code in Node (onnxruntime-node, CPU).
  const embedder = new TransformersEmbedder();
  await embedder.load({ model: 'tiny-bert', source: { kind: 'local', path: MODELS }, device: 'auto', dtype: 'fp32' });
  const out = await embedder.embed({ texts: SENTENCES, kind: 'passage', batchSize: 8 });
  nodeVectors = out.vectors;
  nodeDim = out.dim;
  await embedder.dispose();
});

async function harness(): Promise<OpenedPage> {
  const o = await chromium.open(baseUrl, '/tests/browser/harness.html');
  await o.page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  return o;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

describe('WebGPU in Chromium', () => {
  it('finds an adapter and shows it on the page', async () => {
    const o = await chromium.open(baseUrl, '/');
    const { page } = o;
    await expect.poll(() => page.getByTestId('gpu-status').textContent(), { timeout: 10_000 }).toBe('Available');
    expect((await page.getByTestId('gpu-vendor').textContent())?.trim()).not.toBe('');
    // SwiftShader is a software adapter; the page must say so rather than promise GPU speed.
    expect(await page.getByTestId('gpu-fallback').textContent()).toMatch(/software/);
    expect(await page.getByTestId('gpu-f16').textContent()).toMatch(/shader-f16/);

    // The preflight says the same in plain words, before anything is downloaded.
    const level = (id: string) => page.locator(`[data-testid="preflight-check"][data-check="${id}"]`).getAttribute('data-level');
    await expect.poll(() => level('webgpu'), { timeout: 10_000 }).toBe('warn');
    expect(await page.locator('[data-check="webgpu"]').textContent()).toMatch(/software.*Fix: Turn on hardware acceleration/);
    expect(await level('secure')).toBe('ok');
    expect(await level('f16')).toBe('warn');
    await expect.poll(() => level('storage'), { timeout: 10_000 }).toBe('ok');
    expect(await page.locator('[data-check="storage"]').textContent()).toMatch(/GB free for ragscope/);
    // The service worker is blocked in this context: not saved for offline use, said as a note.
    expect(await level('offline')).toBe('warn');
    // Nothing here stops the app from working: no problem notice at the top.
    expect(await page.getByTestId('preflight-notice').count()).toBe(0);
    expect(o.errors).toEqual([]);
  });
});

describe('embed worker', () => {
  it('embeds on WebGPU and on WASM with the same numbers as Node (within 1e-4)', async () => {
    const { page } = await harness();
    const run = (device: 'webgpu' | 'wasm'): Promise<HarnessEmbed> =>
      page.evaluate(([load, texts]) => (globalThis as unknown as { harness: Harness }).harness.embed(load, texts), [
        { model: 'tiny-bert', source: BROWSER_SOURCE, device, dtype: 'fp32' } satisfies EmbedLoadRequest,
        SENTENCES,
      ] as const);
    const gpu = await run('webgpu');
    const wasm = await run('wasm');

    expect(gpu.workerGpu.available).toBe(true);
    expect(gpu.info.backend).toBe('webgpu');
    expect(wasm.info.backend).toBe('wasm');
    expect(gpu.dim).toBe(nodeDim);
    expect(maxAbsDiff(gpu.vectors, nodeVectors)).toBeLessThan(1e-4);
    expect(maxAbsDiff(wasm.vectors, nodeVectors)).toBeLessThan(1e-4);

    // Progress reached the page as typed events: download bytes rising to done, then chunks to done.
    const downloads = gpu.progress.filter((p) => p.stage === 'download');
    expect(downloads.at(-1)).toMatchObject({ done: true, unit: 'bytes' });
    expect(downloads.at(-1)!.total).toBeGreaterThan(0);
    for (let i = 1; i < downloads.length; i++) expect(downloads[i]!.loaded).toBeGreaterThanOrEqual(downloads[i - 1]!.loaded);
    expect(gpu.progress.filter((p) => p.stage === 'embed').at(-1)).toMatchObject({ done: true, loaded: 3, total: 3 });

    console.log(
      `embed latency (tiny-bert, 3 sentences; first call / warm): webgpu ${gpu.firstMs.toFixed(1)} / ${gpu.ms.toFixed(1)} ms, wasm ${wasm.firstMs.toFixed(1)} / ${wasm.ms.toFixed(1)} ms`,
    );
  });

  it('reports a missing model as ModelNotFound, by name, across the worker boundary', async () => {
    const { page } = await harness();
    const err = await page.evaluate(async (src) => {
      try {
        await (globalThis as unknown as { harness: Harness }).harness.embed(
          { model: 'no-such-model', source: src, device: 'wasm', dtype: 'fp32' },
          ['x'],
        );
        return null;
      } catch (e) {
        return { name: (e as Error).name, message: (e as Error).message };
      }
    }, BROWSER_SOURCE);
    expect(err?.name).toBe('ModelNotFound');
    expect(err?.message).toMatch(/no-such-model.*Settings/);
  });
});

describe('the app page', () => {
  it('runs the self-test: similarity equal to Node, tokens streamed from the LLM worker, and no request left the origin', async () => {
    const o = await chromium.open(baseUrl, '/', {
      modelSource: '/models/',
      embedding: { model: 'tiny-bert', device: 'webgpu', dtype: 'fp32' },
      llm: {
        engine: 'transformers',
        transformersModel: 'tiny-gpt2',
        transformersDevice: 'wasm',
        transformersDtype: 'fp32',
        maxTokens: GREEDY.maxTokens,
        temperature: 0,
      },
    });
    const { page } = o;

    await show(page, 'machine');
    await page.getByTestId('sentence-a').fill(SENTENCES[0]!);
    await page.getByTestId('sentence-b').fill(SENTENCES[1]!);
    await page.getByTestId('embed-run').click();
    await page.getByTestId('embed-result').waitFor();
    const expected = cosine(
      row({ dim: nodeDim, count: 3, vectors: nodeVectors, ms: 0 }, 0),
      row({ dim: nodeDim, count: 3, vectors: nodeVectors, ms: 0 }, 1),
    );
    const shown = Number(await page.getByTestId('similarity').textContent());
    expect(Math.abs(shown - expected)).toBeLessThan(1e-4);
    expect(await page.getByTestId('embed-backend').textContent()).toBe('webgpu');

    // Record what the answer box shows while tokens arrive, to see it grow (streaming), not jump.
    await page.evaluate(() => {
      const seen: string[] = ((globalThis as unknown as { seen: string[] }).seen = []);
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="generated"]');
        if (el && el.textContent !== seen.at(-1)) seen.push(el.textContent ?? '');
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('prompt').fill(PROMPT);
    await page.getByTestId('generate-run').click();
    await page.getByTestId('generate-stats').waitFor();
    const text = (await page.getByTestId('generated').textContent()) ?? '';
    const seen = await page.evaluate(() => (globalThis as unknown as { seen: string[] }).seen);

    const engine = new TransformersChatEngine();
    await engine.load({
      engine: 'transformers',
      model: 'tiny-gpt2',
      source: { kind: 'local', path: MODELS },
      device: 'auto',
      dtype: 'fp32',
    });
    const reference = await engine.generate([{ role: 'user', content: PROMPT }], GREEDY);
    await engine.unload();

    expect(reference.text.length).toBeGreaterThan(0);
    expect(text).toBe(reference.text);
    expect(seen.filter((s) => s.length > 0).length).toBeGreaterThan(1);
    expect(await page.getByTestId('generate-stats').textContent()).toMatch(/transformers \/ wasm/);
    expect(o.errors).toEqual([]);

    // Privacy: every request went to the page's own origin, and the recorder saw the workers'
    // own fetches (model files, runtime .wasm), so this check is not vacuous.
    const origin = new URL(baseUrl).origin;
    const network = networkRequests(o.requests);
    expect(network.filter((u) => u.origin !== origin).map((u) => u.href)).toEqual([]);
    const paths = network.map((u) => u.pathname);
    expect(paths).toContain('/models/tiny-bert/onnx/model.onnx');
    expect(paths).toContain('/models/tiny-gpt2/onnx/model.onnx');
    expect(paths.some((p) => p.endsWith('.wasm'))).toBe(true);
  });

  it('streams tokens through the ChatEngine interface from the worker on WebGPU too', async () => {
    const { page } = await harness();
    const out = await page.evaluate(
      ([load, prompt, params]) => (globalThis as unknown as { harness: Harness }).harness.generate(load, prompt, params),
      [
        { engine: 'transformers', model: 'tiny-gpt2', source: BROWSER_SOURCE, device: 'webgpu', dtype: 'fp32' } satisfies ChatLoadRequest,
        PROMPT,
        GREEDY,
      ] as const,
    );
    expect(out.info.backend).toBe('webgpu');
    expect(out.tokens.length).toBeGreaterThan(1);
    expect(out.tokens.join('')).toBe(out.result.text);
    expect(out.result.completionTokens).toBeGreaterThan(1);
    expect(out.result.promptTokens).toBeGreaterThan(0);
  });
});
