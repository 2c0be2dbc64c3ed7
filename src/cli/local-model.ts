/**
 * Loads transformers.js model folders from disk for the Node CLIs (eval, rag-eval): the folder's
 * name is the model id and its parent the local model path, as transformers.js resolves
 * `<localModelPath>/<model id>/...`. Runs on the CPU in fp32 (a chat model may ask for another
 * weight file, e.g. q4 for onnx/model_q4.onnx).
 */

import path from 'node:path';
import { TransformersEmbedder } from '../embed/transformers';
import type { EmbedderInfo } from '../embed/embedder';
import type { OnnxDtype } from '../core/devices';
import type { ChatModelInfo } from '../generate/engine';
import { TransformersChatEngine } from '../generate/transformers-engine';
import { TransformersReranker, type RerankerInfo } from '../embed/reranker';
import type { ModelSource } from '../platform/model-source';
import type { GpuStatus } from '../platform/webgpu';

const noGpu = (): Promise<GpuStatus> => Promise.resolve({ available: false, reason: 'not used by the CLIs', fix: '' });

/** A model folder as a load request: its name is the model id, its parent the local model path. */
function localRequest(folder: string): { model: string; source: ModelSource; device: 'auto'; dtype: 'fp32' } {
  const abs = path.resolve(folder);
  return { model: path.basename(abs), source: { kind: 'local', path: `${path.dirname(abs)}/` }, device: 'auto', dtype: 'fp32' };
}

export async function loadLocalEmbedder(folder: string): Promise<{ embedder: TransformersEmbedder; model: string; info: EmbedderInfo }> {
  const req = localRequest(folder);
  const embedder = new TransformersEmbedder(noGpu);
  const info = await embedder.load(req);
  return { embedder, model: req.model, info };
}

/** A cross-encoder folder (see src/embed/reranker.ts), loaded the same way. */
export async function loadLocalReranker(folder: string): Promise<{ reranker: TransformersReranker; model: string; info: RerankerInfo }> {
  const req = localRequest(folder);
  const reranker = new TransformersReranker(noGpu);
  const info = await reranker.loadReranker(req);
  return { reranker, model: req.model, info };
}

/**
 * A text-generation model folder (config.json, tokenizer files, onnx/model.onnx for fp32), loaded
 * into the transformers.js chat engine the app runs without WebGPU. `dtype` picks the weight file.
 */
export async function loadLocalChat(
  folder: string,
  dtype: Exclude<OnnxDtype, 'auto'> = 'fp32',
): Promise<{ engine: TransformersChatEngine; model: string; info: ChatModelInfo }> {
  const req = localRequest(folder);
  const engine = new TransformersChatEngine(noGpu);
  const info = await engine.load({ engine: 'transformers', ...req, dtype });
  return { engine, model: req.model, info };
}
