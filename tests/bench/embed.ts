/**
 * Bench page: reranking latency of the app's path (the embed worker's cross-encoder), and
 * embedding throughput of the app's path (the embed worker through its client, as the
 * app creates it, with TransformersEmbedder's length-sorted batching) against the least code that
 * does the same job: a bare transformers.js `pipeline('feature-extraction')` called in input order
 * on this page's own thread. Same model, backend (WASM, one thread: the page is not cross-origin
 * isolated, as the app isn't), dtype (fp32), batch size and texts.
 */
import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import mjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { applyModelSource, configureRuntime } from '../../src/platform/transformers-env';
import { browserWorkers } from '../../src/state/workers';
import type { EmbedPage, EmbedRunOptions, EmbedRunResult, RerankRunOptions, RerankRunResult } from './page-api';

const SOURCE = { kind: 'local', path: '/models/' } as const;
/**
 * Untimed texts each path embeds first (the longest ones): ONNX Runtime's first run allocates and
 * initialises. 4 is enough; a full batch of the longest texts would only add seconds of warm-up.
 */
const WARMUP_TEXTS = 4;

/** The bare loop: what a developer would write without the app's batching. */
async function bareEmbed(extractor: FeatureExtractionPipeline, texts: string[], batchSize: number, dim: number): Promise<Float32Array> {
  const out = new Float32Array(texts.length * dim);
  for (let start = 0; start < texts.length; start += batchSize) {
    const tensor = await extractor(texts.slice(start, start + batchSize), { pooling: 'mean', normalize: true });
    out.set(tensor.data as Float32Array, start * dim);
    tensor.dispose();
  }
  return out;
}

async function embed(o: EmbedRunOptions): Promise<EmbedRunResult> {
  const warm = [...o.texts].sort((a, b) => b.length - a.length).slice(0, Math.min(WARMUP_TEXTS, o.batchSize));

  const { client, terminate } = browserWorkers.embedder();
  try {
    let t = performance.now();
    const info = await client.load({ model: o.model, source: SOURCE, device: 'wasm', dtype: 'fp32' });
    const appLoadMs = performance.now() - t;
    await client.embed({ texts: warm, kind: 'passage', batchSize: o.batchSize });

    configureRuntime({ wasm, mjs });
    applyModelSource(SOURCE);
    t = performance.now();
    const extractor = await pipeline('feature-extraction', o.model, { device: 'wasm', dtype: 'fp32' });
    const bareLoadMs = performance.now() - t;
    await bareEmbed(extractor, warm, o.batchSize, info.dim);

    const appMs: number[] = [];
    const bareMs: number[] = [];
    let appVectors: Float32Array = new Float32Array(0);
    let bareVectors: Float32Array = new Float32Array(0);
    for (let r = 0; r < o.reps; r++) {
      t = performance.now();
      appVectors = (await client.embed({ texts: o.texts, kind: 'passage', batchSize: o.batchSize })).vectors;
      appMs.push(performance.now() - t);
      t = performance.now();
      bareVectors = await bareEmbed(extractor, o.texts, o.batchSize, info.dim);
      bareMs.push(performance.now() - t);
    }
    await extractor.dispose();

    let maxAbsDiff = 0;
    for (let i = 0; i < appVectors.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(appVectors[i]! - bareVectors[i]!));
    if (appVectors.length !== bareVectors.length) maxAbsDiff = Infinity;
    return { appMs, bareMs, backend: info.backend, dtype: info.dtype, dim: info.dim, maxAbsDiff, appLoadMs, bareLoadMs };
  } finally {
    terminate();
  }
}

/** The app's reranking path: the embed worker's cross-encoder (WASM, fp32), timed per candidate count. */
async function rerank(o: RerankRunOptions): Promise<RerankRunResult> {
  const { client, terminate } = browserWorkers.embedder();
  try {
    let t = performance.now();
    const info = await client.loadReranker({ model: o.model, source: SOURCE, device: 'wasm', dtype: 'fp32' });
    const loadMs = performance.now() - t;
    await client.rerank({ query: o.query, passages: o.passages.slice(0, WARMUP_TEXTS) });
    const runs: RerankRunResult['runs'] = [];
    for (const n of o.counts) {
      const ms: number[] = [];
      for (let r = 0; r < o.reps; r++) {
        t = performance.now();
        await client.rerank({ query: o.query, passages: o.passages.slice(0, n) });
        ms.push(performance.now() - t);
      }
      runs.push({ n, ms });
    }
    return { backend: info.backend, dtype: info.dtype, loadMs, runs };
  } finally {
    terminate();
  }
}

const page: EmbedPage = { embed, rerank };
(globalThis as unknown as { bench: EmbedPage }).bench = page;
document.body.dataset.ready = 'true';
