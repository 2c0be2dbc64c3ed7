/**
 * The self-test: proves on the user's own machine that embeddings and generation work, and shows
 * where they run. The checks use the models the app already uses, through the engines owner: a
 * check after a comparison reuses the loaded model, and never loads a second copy onto the GPU.
 */

import { serializeError, type SerializedError } from '../core/errors';
import type { Progress } from '../core/progress';
import { cosine, row, type EmbedderInfo } from '../embed/embedder';
import type { ChatModelInfo, GenerationResult } from '../generate/engine';
import { probeWebGPU, type GpuStatus } from '../platform/webgpu';
import type { Settings } from '../settings/defaults';
import type { Engines } from './engines.svelte';

export type Phase = 'idle' | 'loading' | 'running' | 'done' | 'error';

/** One cancellable, progress-reporting run; the newest run wins. */
class Check {
  phase = $state<Phase>('idle');
  progress = $state.raw<Progress | null>(null);
  error = $state.raw<SerializedError | null>(null);
  private controller: AbortController | null = null;

  constructor(protected readonly engines: Engines) {}

  protected async attempt(body: (signal: AbortSignal) => Promise<void>): Promise<void> {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    this.error = null;
    this.progress = null;
    this.phase = 'loading';
    try {
      await body(controller.signal);
      this.phase = 'done';
    } catch (err) {
      this.error = serializeError(err);
      this.phase = 'error';
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

export class EmbedCheck extends Check {
  info = $state.raw<EmbedderInfo | null>(null);
  similarity = $state<number | null>(null);
  ms = $state<number | null>(null);

  run(settings: Settings, a: string, b: string): Promise<void> {
    this.similarity = null;
    return this.attempt(async (signal) => {
      const { embedder, info } = await this.engines.embedder({ signal, onProgress: this.report });
      this.info = info;
      this.phase = 'running';
      const out = await embedder.embed(
        { texts: [a, b], kind: 'passage', batchSize: settings.embedding.batchSize },
        { signal, onProgress: this.report },
      );
      this.similarity = cosine(row(out, 0), row(out, 1));
      this.ms = out.ms;
    });
  }
}

export class GenerateCheck extends Check {
  info = $state.raw<ChatModelInfo | null>(null);
  text = $state('');
  result = $state.raw<GenerationResult | null>(null);

  run(settings: Settings, prompt: string): Promise<void> {
    this.result = null;
    this.text = '';
    const l = settings.llm;
    return this.attempt((signal) =>
      this.engines.exclusive('The self-test', async () => {
        const { engine, info } = await this.engines.chat({ signal, onProgress: this.report });
        this.info = info;
        this.phase = 'running';
        // A self-test needs only a few tokens to prove the engine works.
        const params = { maxTokens: Math.min(l.maxTokens, 32), temperature: l.temperature, topP: l.topP, seed: l.seed };
        try {
          this.result = await engine.generate([{ role: 'user', content: prompt }], params, { signal, onToken: (t) => (this.text += t) });
        } catch (e) {
          // The model is shared with the compare view: a lost GPU means both load it again.
          this.engines.chatFailed(serializeError(e));
          throw e;
        }
      }),
    );
  }
}

export class GpuCheck {
  page = $state.raw<GpuStatus | null>(null);

  async probe(): Promise<void> {
    this.page = await probeWebGPU();
  }
}
