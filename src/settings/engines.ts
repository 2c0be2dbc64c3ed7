/**
 * Which engine and model this machine runs for these settings, and what to ask each worker to
 * load: pure functions of the settings, the GPU probe and the page's origin (for an app-served
 * model folder), shared by the compare view, the self-test, search and embedding. DOM-free.
 */

import type { EmbedLoadRequest } from '../embed/embedder';
import type { RerankLoadRequest } from '../embed/reranker';
import type { EngineKind, LocalChatLoadRequest, LocalEngineKind } from '../generate/engine';
import { parseModelSource } from '../platform/model-source';
import type { GpuStatus } from '../platform/webgpu';
import type { Settings } from './defaults';

/**
 * 'auto' means web-llm on a hardware GPU (fastest), the transformers.js engine elsewhere: on a
 * software (fallback) adapter web-llm's shaders would run on the CPU far slower than WASM.
 */
export function engineFor(settings: Settings, gpu: GpuStatus | null): LocalEngineKind {
  if (settings.llm.engine !== 'auto') return settings.llm.engine;
  return gpu?.available && !gpu.isFallbackAdapter ? 'webllm' : 'transformers';
}

export function modelFor(settings: Settings, engine: EngineKind): string {
  return engine === 'webllm' ? settings.llm.webllmModel : settings.llm.transformersModel;
}

/** What the LLM worker loads for these settings on this GPU (every view asks for the same). */
export function chatLoadRequest(settings: Settings, gpu: GpuStatus | null, origin: string): LocalChatLoadRequest {
  const kind = engineFor(settings, gpu);
  return localChatRequest(settings, { engine: kind, model: modelFor(settings, kind) }, origin);
}

/** What the LLM worker loads for a given local model (a comparison pane's), with the settings' source, device and cache. */
export function localChatRequest(settings: Settings, m: { engine: LocalEngineKind; model: string }, origin: string): LocalChatLoadRequest {
  return {
    engine: m.engine,
    model: m.model,
    source: parseModelSource(settings.modelSource, origin),
    device: settings.llm.transformersDevice,
    dtype: settings.llm.transformersDtype,
    webllmCache: settings.llm.webllmCache,
  };
}

/** What the embed worker loads to embed passages and questions. */
export function embedLoadRequest(settings: Settings, origin: string): EmbedLoadRequest {
  const e = settings.embedding;
  return { model: e.model, source: parseModelSource(settings.modelSource, origin), device: e.device, dtype: e.dtype };
}

/** A cross-encoder beside the embedder, on the embedding model's device and source. */
export function rerankLoadRequest(settings: Settings, model: string, origin: string): RerankLoadRequest {
  return { model, source: parseModelSource(settings.modelSource, origin), device: settings.embedding.device, dtype: 'auto' };
}
