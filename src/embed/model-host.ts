/**
 * What the embedder and the reranker share: one model loaded at a time, memoised by its load
 * request (a second request for the same model shares the load, another model releases the first,
 * a failed load is tried again; see MemoLoad), and the WebGPU probe made once.
 */

import { AppError, unlessCancelled } from '../core/errors';
import { MemoLoad } from '../platform/memo-load';
import type { GpuStatus } from '../platform/webgpu';
import type { RunOptions } from './embedder';

export abstract class ModelHost<Req, Loaded extends { info: unknown }> {
  protected readonly loaded: MemoLoad<Loaded>;
  private gpu: GpuStatus | null = null;

  constructor(
    release: (loaded: Loaded) => unknown,
    private readonly gpuProbe: () => Promise<GpuStatus>,
    /** What the model is, for "not loaded" errors ("embedding model"). */
    private readonly what: string,
  ) {
    this.loaded = new MemoLoad(release);
  }

  /** Builds the model for a request (called once per distinct request). */
  protected abstract create(req: Req, opts: RunOptions): Promise<Loaded>;

  protected async loadOnce(req: Req, opts: RunOptions): Promise<Loaded['info']> {
    const loading = this.loaded.get(JSON.stringify(req), () => this.create(req, opts));
    return (await unlessCancelled(loading, opts.signal)).info;
  }

  protected async gpuStatus(): Promise<GpuStatus> {
    this.gpu ??= await this.gpuProbe();
    return this.gpu;
  }

  /** The loaded model, or EngineNotLoaded. */
  protected async current(): Promise<Loaded> {
    const loading = this.loaded.value;
    if (!loading) throw new AppError('EngineNotLoaded', `The ${this.what} is not loaded yet. Load it first.`);
    return loading;
  }

  async dispose(): Promise<void> {
    await this.loaded.clear();
  }
}
