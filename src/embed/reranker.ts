/**
 * The cross-encoder reranker: reads the question and each candidate passage together and gives the
 * pair one relevance score, which first-stage retrieval (BM25, cosine over separately embedded
 * vectors) cannot do. ms-marco/bge-style models: transformers.js' AutoModelForSequenceClassification
 * with the tokenizer's text pairs, one relevance score per pair (a model's single logit, or the
 * log-odds of its "relevant" class). Runs in the embed worker next to the embedder (WebGPU with a WASM
 * fallback, as the embedder does), and in Node for tests and rag-eval.
 *
 * Cost grows with candidates × passage length: measured with a generated model of
 * ms-marco-MiniLM-L-6-v2's shape (npm run bench -- --only rerank), see the issue note; so it reranks
 * only the top N fused candidates (retrieval.rerankCandidates).
 */

import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type ProgressInfo,
  type Tensor,
} from '@huggingface/transformers';
import { throwIfCancelled } from '../core/errors';
import { DownloadTally } from '../core/progress';
import { ModelHost } from './model-host';
import type { ModelSource } from '../platform/model-source';
import {
  applyModelSource,
  modelLoadError,
  openWithFallback,
  resolveBackend,
  resolveDtype,
  type Backend,
} from '../platform/transformers-env';
import { probeWebGPU, type GpuStatus } from '../platform/webgpu';
import type { DevicePreference, OnnxDtype } from '../core/devices';
import type { RunOptions } from './embedder';

export interface RerankLoadRequest {
  model: string;
  source: ModelSource;
  device: DevicePreference;
  dtype: OnnxDtype;
}

export interface RerankerInfo {
  model: string;
  backend: Backend;
  dtype: string;
  fallbackReason?: string;
  loadMs: number;
}

export interface RerankRequest {
  query: string;
  /** Candidate passages, each scored with the query. */
  passages: string[];
  /** Pairs per inference call. Range 1..64; default 8. */
  batchSize?: number;
}

export interface RerankResult {
  /** One score per passage, in the order given (higher = more relevant). */
  scores: Float32Array;
  ms: number;
}

export interface Reranker {
  loadReranker(req: RerankLoadRequest, opts?: RunOptions): Promise<RerankerInfo>;
  rerank(req: RerankRequest, opts?: RunOptions): Promise<RerankResult>;
}

/** Pairs per inference call when the caller does not say. */
const DEFAULT_BATCH = 8;

interface Loaded {
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  info: RerankerInfo;
}

export class TransformersReranker extends ModelHost<RerankLoadRequest, Loaded> implements Reranker {
  constructor(gpuProbe: () => Promise<GpuStatus> = () => probeWebGPU()) {
    super((l) => l.model.dispose(), gpuProbe, 'reranking model');
  }

  loadReranker(req: RerankLoadRequest, opts: RunOptions = {}): Promise<RerankerInfo> {
    return this.loadOnce(req, opts);
  }

  protected async create(req: RerankLoadRequest, opts: RunOptions): Promise<Loaded> {
    const started = performance.now();
    const gpu = await this.gpuStatus();
    applyModelSource(req.source);
    const tally = new DownloadTally('download', req.model);
    const progress_callback = (info: ProgressInfo): void => {
      if (info.status === 'progress') opts.onProgress?.(tally.update(info.file, info.loaded, info.total));
    };
    const open = async (b: Backend): Promise<{ tokenizer: PreTrainedTokenizer; model: PreTrainedModel; dtype: string }> => {
      const dtype = resolveDtype(req.dtype, b, { webgpu: 'fp32', other: b === 'wasm' ? 'q8' : 'fp32' });
      try {
        const [tokenizer, model] = await Promise.all([
          AutoTokenizer.from_pretrained(req.model, { progress_callback }),
          AutoModelForSequenceClassification.from_pretrained(req.model, { device: b, dtype, progress_callback }),
        ]);
        return { tokenizer, model, dtype };
      } catch (e) {
        throw modelLoadError(e, req.model, req.source);
      }
    };
    const { value, backend, fallbackReason } = await openWithFallback(resolveBackend(req.device, gpu), req.device, open);
    opts.onProgress?.(tally.finish());
    const info: RerankerInfo = { model: req.model, backend, dtype: value.dtype, loadMs: Math.round(performance.now() - started) };
    if (fallbackReason !== undefined) info.fallbackReason = fallbackReason;
    return { tokenizer: value.tokenizer, model: value.model, info };
  }

  async rerank(req: RerankRequest, opts: RunOptions = {}): Promise<RerankResult> {
    const { tokenizer, model } = await this.current();
    const started = performance.now();
    const n = req.passages.length;
    const scores = new Float32Array(n);
    const batch = Math.min(64, Math.max(1, Math.floor(req.batchSize ?? DEFAULT_BATCH)));
    for (let start = 0; start < n; start += batch) {
      throwIfCancelled(opts.signal);
      const passages = req.passages.slice(start, start + batch);
      const inputs = tokenizer(new Array<string>(passages.length).fill(req.query), {
        text_pair: passages,
        padding: true,
        truncation: true,
      });
      const { logits } = (await model(inputs)) as { logits: Tensor };
      const labels = logits.dims[1] ?? 1;
      const data = logits.data as Float32Array;
      // One logit: the relevance score. Two (not relevant, relevant): their difference, the log-odds
      // of "relevant". More: the last class's logit.
      for (let i = 0; i < passages.length; i++) {
        const row = i * labels;
        scores[start + i] = labels === 2 ? data[row + 1]! - data[row]! : data[row + labels - 1]!;
      }
      logits.dispose();
      const done = Math.min(n, start + batch);
      opts.onProgress?.({ stage: 'rerank', unit: 'chunks', loaded: done, total: n, done: done === n });
    }
    return { scores, ms: performance.now() - started };
  }
}
