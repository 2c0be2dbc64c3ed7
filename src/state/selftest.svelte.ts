/**
 * The self-test: proves on the user's own machine that embeddings and generation work, and shows
 * where they run. Each check owns one worker, created on first use (the workers pull in the model
 * libraries, which merely opening the page should not load) and replaced if it crashes.
 */

import { serializeError, type SerializedError } from '../core/errors';
import type { Progress } from '../core/progress';
import { cosine, row, type EmbedderInfo } from '../embed/embedder';
import type { WorkerEmbedder } from '../embed/client';
import type { WorkerChatEngine } from '../generate/client';
import type { ChatLoadRequest, ChatModelInfo, EngineKind, GenerationResult } from '../generate/engine';
import { parseModelSource } from '../platform/model-source';
import { probeWebGPU, type GpuStatus } from '../platform/webgpu';
import type { Settings } from '../settings/defaults';
import { createChatEngine, createEmbedder, type Supervised } from './workers';

export type Phase = 'idle' | 'loading' | 'running' | 'done' | 'error';

/** One cancellable, progress-reporting run against a worker; the newest run wins. */
class WorkerCheck<C> {
  phase = $state<Phase>('idle');
  progress = $state.raw<Progress | null>(null);
  error = $state.raw<SerializedError | null>(null);
  private controller: AbortController | null = null;
  private handle: Supervised<C> | null = null;

  constructor(private readonly spawn: () => Supervised<C>) {}

  protected async attempt(body: (client: C, signal: AbortSignal) => Promise<void>): Promise<void> {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    this.error = null;
    this.progress = null;
    this.phase = 'loading';
    try {
      await body((this.handle ??= this.spawn()).client, controller.signal);
      this.phase = 'done';
    } catch (err) {
      this.error = serializeError(err);
      this.phase = 'error';
      if (this.error.name === 'WorkerCrashed') this.handle = null;
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  protected report = (p: Progress): void => {
    this.progress = p;
  };

  /** Cancels a load, or stops a generation (which keeps the text so far). */
  cancel(): void {
    this.controller?.abort();
  }

  get busy(): boolean {
    return this.phase === 'loading' || this.phase === 'running';
  }
}

export class EmbedCheck extends WorkerCheck<WorkerEmbedder> {
  info = $state.raw<EmbedderInfo | null>(null);
  similarity = $state<number | null>(null);
  ms = $state<number | null>(null);

  constructor() {
    super(createEmbedder);
  }

  run(settings: Settings, a: string, b: string): Promise<void> {
    this.similarity = null;
    return this.attempt(async (embedder, signal) => {
      const e = settings.embedding;
      this.info = await embedder.load(
        { model: e.model, source: parseModelSource(settings.modelSource, location.origin), device: e.device, dtype: e.dtype },
        { signal, onProgress: this.report },
      );
      this.phase = 'running';
      const out = await embedder.embed({ texts: [a, b], kind: 'passage', batchSize: e.batchSize }, { signal, onProgress: this.report });
      this.similarity = cosine(row(out, 0), row(out, 1));
      this.ms = out.ms;
    });
  }
}

export class GenerateCheck extends WorkerCheck<WorkerChatEngine> {
  info = $state.raw<ChatModelInfo | null>(null);
  text = $state('');
  result = $state.raw<GenerationResult | null>(null);

  constructor() {
    super(createChatEngine);
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

  /** What to load for these settings on this GPU; the compare view loads the same. */
  static loadRequest(settings: Settings, gpu: GpuStatus | null): ChatLoadRequest {
    const kind = GenerateCheck.engineFor(settings, gpu);
    return {
      engine: kind,
      model: GenerateCheck.modelFor(settings, kind),
      source: parseModelSource(settings.modelSource, location.origin),
      device: settings.llm.transformersDevice,
      dtype: settings.llm.transformersDtype,
      webllmCache: settings.llm.webllmCache,
    };
  }

  run(settings: Settings, gpu: GpuStatus | null, prompt: string): Promise<void> {
    this.result = null;
    this.text = '';
    const l = settings.llm;
    return this.attempt(async (engine, signal) => {
      this.info = await engine.load(GenerateCheck.loadRequest(settings, gpu), { signal, onProgress: this.report });
      this.phase = 'running';
      // A self-test needs only a few tokens to prove the engine works.
      const params = { maxTokens: Math.min(l.maxTokens, 32), temperature: l.temperature, topP: l.topP, seed: l.seed };
      this.result = await engine.generate([{ role: 'user', content: prompt }], params, { signal, onToken: (t) => (this.text += t) });
    });
  }
}

export class GpuCheck {
  page = $state.raw<GpuStatus | null>(null);

  async probe(): Promise<void> {
    this.page = await probeWebGPU();
  }
}
