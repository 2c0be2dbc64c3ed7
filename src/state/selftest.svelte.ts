/**
 * The self-test: proves on the user's own machine that embeddings and generation work, and shows
 * where they run. Owns one embed worker and one LLM worker for the page's lifetime.
 */

import { AppError, serializeError, type SerializedError } from '../protocol/errors';
import type { Progress } from '../protocol/progress';
import { cosine, row, type EmbedderInfo } from '../embed/embedder';
import type { ChatModelInfo, EngineKind, GenerationResult } from '../generate/engine';
import { parseModelSource } from '../platform/model-source';
import { probeWebGPU, type GpuStatus } from '../platform/webgpu';
import type { Settings } from '../settings/defaults';
import { createChatEngine, createEmbedder } from './workers';

export type Phase = 'idle' | 'loading' | 'running' | 'done' | 'error';

function asError(e: unknown): SerializedError {
  return e instanceof AppError ? e.toJSON() : serializeError(e);
}

export class EmbedCheck {
  phase = $state<Phase>('idle');
  progress = $state.raw<Progress | null>(null);
  info = $state.raw<EmbedderInfo | null>(null);
  similarity = $state<number | null>(null);
  ms = $state<number | null>(null);
  error = $state.raw<SerializedError | null>(null);
  private controller: AbortController | null = null;
  // Created on first use: the worker pulls in transformers.js, which a page visit alone shouldn't load.
  private workerHandle: ReturnType<typeof createEmbedder> | null = null;
  private get worker(): ReturnType<typeof createEmbedder> {
    return (this.workerHandle ??= createEmbedder());
  }

  async run(settings: Settings, a: string, b: string): Promise<void> {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    const { signal } = controller;
    this.error = null;
    this.similarity = null;
    this.progress = null;
    try {
      this.phase = 'loading';
      const e = settings.embedding;
      this.info = await this.worker.embedder.load(
        { model: e.model, source: parseModelSource(settings.modelSource, location.origin), device: e.device, dtype: e.dtype },
        { signal, onProgress: (p) => (this.progress = p) },
      );
      this.phase = 'running';
      const out = await this.worker.embedder.embed(
        { texts: [a, b], kind: 'passage', batchSize: e.batchSize },
        { signal, onProgress: (p) => (this.progress = p) },
      );
      this.similarity = cosine(row(out, 0), row(out, 1));
      this.ms = out.ms;
      this.phase = 'done';
    } catch (err) {
      this.error = asError(err);
      this.phase = 'error';
      if (this.error.name === 'WorkerCrashed') this.workerHandle = null;
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  cancel(): void {
    this.controller?.abort();
  }

  get busy(): boolean {
    return this.phase === 'loading' || this.phase === 'running';
  }
}

export class GenerateCheck {
  phase = $state<Phase>('idle');
  progress = $state.raw<Progress | null>(null);
  info = $state.raw<ChatModelInfo | null>(null);
  text = $state('');
  result = $state.raw<GenerationResult | null>(null);
  error = $state.raw<SerializedError | null>(null);
  private controller: AbortController | null = null;
  private workerHandle: ReturnType<typeof createChatEngine> | null = null;
  private get worker(): ReturnType<typeof createChatEngine> {
    return (this.workerHandle ??= createChatEngine());
  }

  /**
   * 'auto' means web-llm on a hardware GPU (fastest), the transformers.js engine elsewhere: on a
   * software (fallback) adapter web-llm's shaders would run on the CPU far slower than WASM.
   */
  static engineFor(settings: Settings, gpu: GpuStatus | null): EngineKind {
    if (settings.llm.engine !== 'auto') return settings.llm.engine;
    return gpu?.available && !gpu.isFallbackAdapter ? 'webllm' : 'transformers';
  }

  static modelFor(settings: Settings, engine: EngineKind): string {
    return engine === 'webllm' ? settings.llm.webllmModel : settings.llm.transformersModel;
  }

  async run(settings: Settings, gpu: GpuStatus | null, prompt: string): Promise<void> {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    const { signal } = controller;
    this.error = null;
    this.result = null;
    this.text = '';
    this.progress = null;
    const l = settings.llm;
    const engine = GenerateCheck.engineFor(settings, gpu);
    try {
      this.phase = 'loading';
      this.info = await this.worker.engine.load(
        {
          engine,
          model: GenerateCheck.modelFor(settings, engine),
          source: parseModelSource(settings.modelSource, location.origin),
          device: l.transformersDevice,
          dtype: l.transformersDtype,
        },
        { signal, onProgress: (p) => (this.progress = p) },
      );
      this.phase = 'running';
      this.result = await this.worker.engine.generate(
        [{ role: 'user', content: prompt }],
        { maxTokens: Math.min(l.maxTokens, 32), temperature: l.temperature, topP: l.topP, seed: l.seed },
        { signal, onToken: (t) => (this.text += t) },
      );
      this.phase = 'done';
    } catch (err) {
      this.error = asError(err);
      this.phase = 'error';
      if (this.error.name === 'WorkerCrashed') this.workerHandle = null;
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  /** Cancels a load, or stops a generation (keeping the text so far). */
  cancel(): void {
    this.controller?.abort();
  }

  get busy(): boolean {
    return this.phase === 'loading' || this.phase === 'running';
  }
}

export class GpuCheck {
  page = $state.raw<GpuStatus | null>(null);

  async probe(): Promise<void> {
    this.page = await probeWebGPU();
  }
}
