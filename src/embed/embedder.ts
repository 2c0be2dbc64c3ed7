/**
 * The `Embedder` interface, implemented in-process (`TransformersEmbedder`, used inside the embed
 * worker and directly by Node tests and CLIs) and across the worker boundary (`WorkerEmbedder`).
 * Callers cannot tell the two apart, which is what lets tests hand in the real implementation.
 */

import type { Progress } from '../core/progress';
import type { DevicePreference, OnnxDtype } from '../core/devices';
import type { Backend } from '../platform/transformers-env';
import type { ModelSource } from '../platform/model-source';

export interface EmbedLoadRequest {
  model: string;
  source: ModelSource;
  device: DevicePreference;
  dtype: OnnxDtype;
}

export interface EmbedderInfo {
  model: string;
  backend: Backend;
  dtype: string;
  dim: number;
  pooling: 'mean' | 'cls';
  /** Set when WebGPU was wanted but the model had to run on WASM instead. */
  fallbackReason?: string;
  loadMs: number;
}

/** Queries and passages are embedded differently by retrievers that use an instruction prefix. */
export type TextKind = 'query' | 'passage';

export interface EmbedRequest {
  texts: string[];
  kind: TextKind;
  /** Texts per inference call; see EmbeddingSettings.batchSize. */
  batchSize: number;
}

/** Row-major `count × dim` unit vectors in one contiguous buffer (transferable, no per-row arrays). */
export interface Embeddings {
  dim: number;
  count: number;
  vectors: Float32Array;
  ms: number;
}

export interface RunOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
}

export interface Embedder {
  load(req: EmbedLoadRequest, opts?: RunOptions): Promise<EmbedderInfo>;
  embed(req: EmbedRequest, opts?: RunOptions): Promise<Embeddings>;
  dispose(): Promise<void>;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Row `i` of a `count × dim` matrix, as a view (no copy). */
export function row(e: Embeddings, i: number): Float32Array {
  return e.vectors.subarray(i * e.dim, (i + 1) * e.dim);
}
