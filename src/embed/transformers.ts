/**
 * The in-process embedder on transformers.js: feature extraction with the model's own pooling,
 * L2-normalised, in batches, written into one contiguous Float32Array.
 *
 * Runs inside the embed worker in the app, and directly in Node for tests and CLIs (backend 'cpu').
 */

import { pipeline, type FeatureExtractionPipeline, type ProgressInfo } from '@huggingface/transformers';
import { throwIfCancelled } from '../core/errors';
import { DownloadTally } from '../core/progress';
import { ModelHost } from './model-host';
import { probeWebGPU, type GpuStatus } from '../platform/webgpu';
import {
  applyModelSource,
  modelLoadError,
  openWithFallback,
  resolveBackend,
  resolveDtype,
  type Backend,
} from '../platform/transformers-env';
import { embeddingCard } from './models';
import type { Embedder, EmbedderInfo, EmbedLoadRequest, EmbedRequest, Embeddings, RunOptions } from './embedder';

interface Loaded {
  extractor: FeatureExtractionPipeline;
  info: EmbedderInfo;
  prefixes: { query: string; passage: string };
}

export class TransformersEmbedder extends ModelHost<EmbedLoadRequest, Loaded> implements Embedder {
  constructor(gpuProbe: () => Promise<GpuStatus> = () => probeWebGPU()) {
    super((l) => l.extractor.dispose(), gpuProbe, 'embedding model');
  }

  load(req: EmbedLoadRequest, opts: RunOptions = {}): Promise<EmbedderInfo> {
    return this.loadOnce(req, opts);
  }

  protected async create(req: EmbedLoadRequest, opts: RunOptions): Promise<Loaded> {
    const started = performance.now();
    const backend = resolveBackend(req.device, await this.gpuStatus());
    applyModelSource(req.source);
    const card = embeddingCard(req.model);
    const tally = new DownloadTally('download', req.model);

    const open = async (b: Backend): Promise<{ extractor: FeatureExtractionPipeline; dtype: string }> => {
      const dtype = resolveDtype(req.dtype, b, { webgpu: 'fp32', other: b === 'wasm' ? 'q8' : 'fp32' });
      try {
        const extractor = await pipeline('feature-extraction', req.model, {
          device: b,
          dtype,
          progress_callback: (info: ProgressInfo) => {
            if (info.status === 'progress') opts.onProgress?.(tally.update(info.file, info.loaded, info.total));
          },
        });
        return { extractor, dtype };
      } catch (e) {
        throw modelLoadError(e, req.model, req.source);
      }
    };

    const { value: opened, backend: usedBackend, fallbackReason } = await openWithFallback(backend, req.device, open);
    opts.onProgress?.(tally.finish());

    const probe = await opened.extractor('dimension probe', { pooling: card.pooling, normalize: true });
    const dim = probe.dims[probe.dims.length - 1] ?? 0;
    const info: EmbedderInfo = {
      model: req.model,
      backend: usedBackend,
      dtype: opened.dtype,
      dim,
      pooling: card.pooling,
      loadMs: Math.round(performance.now() - started),
    };
    if (fallbackReason !== undefined) info.fallbackReason = fallbackReason;
    return {
      extractor: opened.extractor,
      info,
      prefixes: { query: card.queryPrefix, passage: card.passagePrefix },
    };
  }

  async embed(req: EmbedRequest, opts: RunOptions = {}): Promise<Embeddings> {
    const { extractor, info, prefixes } = await this.current();
    const started = performance.now();
    const prefix = req.kind === 'query' ? prefixes.query : prefixes.passage;
    const total = req.texts.length;
    const dim = info.dim;
    const out = new Float32Array(total * dim);
    const batchSize = Math.max(1, Math.floor(req.batchSize));
    // A batch is padded to its longest text, so texts of similar length are batched together
    // (longest first, so a too-large batch fails at once) and the rows are put back in order.
    const order = byLengthDescending(req.texts);
    for (let start = 0; start < total; start += batchSize) {
      throwIfCancelled(opts.signal);
      const ids = order.subarray(start, start + batchSize);
      const batch = Array.from(ids, (i) => prefix + req.texts[i]!);
      const tensor = await extractor(batch, { pooling: info.pooling, normalize: true });
      const data = tensor.data as Float32Array;
      for (let j = 0; j < ids.length; j++) out.set(data.subarray(j * dim, (j + 1) * dim), ids[j]! * dim);
      tensor.dispose();
      const done = Math.min(total, start + batchSize);
      opts.onProgress?.({ stage: 'embed', unit: 'chunks', loaded: done, total, done: done === total });
    }
    return { dim, count: total, vectors: out, ms: performance.now() - started };
  }
}

/** Indices of `texts`, longest first (character length is a close enough proxy for tokens here). */
export function byLengthDescending(texts: readonly string[]): Uint32Array {
  const order = Uint32Array.from(texts.keys());
  return order.sort((a, b) => texts[b]!.length - texts[a]!.length || a - b);
}
