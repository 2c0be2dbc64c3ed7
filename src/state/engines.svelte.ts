/**
 * The one owner of the page's model workers: a single embed worker (embedder and reranker) and a
 * single LLM worker, each started when first needed and again after a crash. Every view that needs
 * a model (comparisons, search, embedding the library, the self-tests, the web-llm model list) asks
 * here, and each model load is shared by key (src/core/shared-load.ts): a self-test after a
 * comparison reuses the loaded model instead of loading a second copy onto the GPU, which would
 * not fit beside the first (src/generate/handler.ts).
 *
 * Answers on an OpenAI-compatible server go through LLM workers of their own, one per server
 * (`serverChat`): the local LLM worker holds one engine at a time, and a server's pane answers in
 * parallel with the local ones, so it must not unload the model in the tab.
 *
 * It also connects the embed worker to the library worker (a MessageChannel, one end each), so the
 * library embeds stored documents without their texts or vectors crossing the page.
 */

import { SharedLoad, type WaitOptions } from '../core/shared-load';
import { serverOrigin, type LocalModel } from '../compare/panes';
import type { WorkerEmbedder } from '../embed/client';
import type { EmbedderInfo } from '../embed/embedder';
import type { RerankerInfo } from '../embed/reranker';
import type { WorkerChatEngine } from '../generate/client';
import type { ChatModelInfo, OpenAIServer } from '../generate/engine';
import type { WorkerLibrary } from '../library/client';
import type { GpuStatus } from '../platform/webgpu';
import type { Settings } from '../settings/defaults';
import { chatLoadRequest, embedLoadRequest, localChatRequest, rerankLoadRequest } from '../settings/engines';
import type { Spawners, Supervised } from './workers';

export class Engines {
  /** The embedding model loaded in the embed worker. */
  embedInfo = $state.raw<EmbedderInfo | null>(null);
  /** The chat model loaded in the LLM worker. */
  chatInfo = $state.raw<ChatModelInfo | null>(null);
  /** The local model the LLM worker holds (as asked for: web-llm may report a sibling build in `chatInfo`). */
  loadedLocal = $state.raw<LocalModel | null>(null);

  private embedHandle: Supervised<WorkerEmbedder> | null = null;
  private chatHandle: Supervised<WorkerChatEngine> | null = null;
  private readonly embedLoads = new SharedLoad<EmbedderInfo>();
  private readonly rerankLoads = new SharedLoad<RerankerInfo>();
  private readonly chatLoads = new SharedLoad<ChatModelInfo>();
  /** One LLM worker per server origin, each with its loads (see `serverChat`). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  private readonly servers = new Map<string, { handle: Supervised<WorkerChatEngine>; loads: SharedLoad<ChatModelInfo> }>();
  /** The library worker the embed worker is connected to, and which embed worker that is. */
  private linked: { library: WorkerLibrary; embed: Supervised<WorkerEmbedder> } | null = null;

  constructor(
    private readonly spawn: Spawners,
    private readonly settings: () => Settings,
    private readonly gpu: () => GpuStatus | null,
    /** The page's origin, for a model folder the app serves itself (settings.modelSource). */
    private readonly origin: string,
  ) {}

  /** Model loads started (not joined) so far, per worker: a test proves callers share one. */
  get loadsStarted(): { embed: number; rerank: number; chat: number } {
    return { embed: this.embedLoads.started, rerank: this.rerankLoads.started, chat: this.chatLoads.started };
  }

  private embedWorker(): Supervised<WorkerEmbedder> {
    if (!this.embedHandle) {
      const handle = this.spawn.embedder(() => {
        if (this.embedHandle !== handle) return;
        // Forget it and what it had loaded: the next call starts afresh instead of failing until a reload.
        this.embedHandle = null;
        this.embedLoads.reset();
        this.rerankLoads.reset();
        this.embedInfo = null;
        if (this.linked?.embed === handle) {
          // The library may be waiting on it: it can never answer, so fail that wait now.
          void this.linked.library
            .connectEmbedder(null, 'The embedding worker stopped unexpectedly. Try again; if it repeats, reload the page.')
            .catch(() => undefined);
          this.linked = null;
        }
      });
      this.embedHandle = handle;
    }
    return this.embedHandle;
  }

  private chatWorker(): Supervised<WorkerChatEngine> {
    if (!this.chatHandle) {
      const handle = this.spawn.chat(() => {
        if (this.chatHandle !== handle) return;
        this.chatHandle = null;
        this.chatLoads.reset();
        this.chatInfo = null;
        this.loadedLocal = null;
      });
      this.chatHandle = handle;
    }
    return this.chatHandle;
  }

  /** Whether the embedding model of the current settings is loaded. */
  get embedReady(): boolean {
    return this.embedLoads.loaded(JSON.stringify(embedLoadRequest(this.settings(), this.origin))) !== null;
  }

  /** Whether the chat model of the current settings (on this GPU) is loaded. */
  get chatReady(): boolean {
    return this.chatLoads.loaded(JSON.stringify(chatLoadRequest(this.settings(), this.gpu(), this.origin))) !== null;
  }

  /** The embedder for the current settings, loaded once for everyone who asks. */
  async embedder(opts: WaitOptions = {}): Promise<{ embedder: WorkerEmbedder; info: EmbedderInfo }> {
    const req = embedLoadRequest(this.settings(), this.origin);
    const worker = this.embedWorker().client;
    const info = await this.embedLoads.get(JSON.stringify(req), (signal, onProgress) => worker.load(req, { signal, onProgress }), opts);
    this.embedInfo = info;
    return { embedder: worker, info };
  }

  /** Texts embedded as passages with the current embedding model, one vector per text (grounding marks). */
  async embedRows(texts: string[], opts: WaitOptions = {}): Promise<Float32Array[]> {
    const { embedder } = await this.embedder(opts);
    const out = await embedder.embed({ texts, kind: 'passage', batchSize: 8 }, { signal: opts.signal });
    return Array.from({ length: out.count }, (_, i) => out.vectors.subarray(i * out.dim, (i + 1) * out.dim));
  }

  /** A cross-encoder loaded beside the embedder (the same worker), once for everyone who asks. */
  async reranker(model: string, opts: WaitOptions = {}): Promise<WorkerEmbedder> {
    const req = rerankLoadRequest(this.settings(), model, this.origin);
    const worker = this.embedWorker().client;
    await this.rerankLoads.get(JSON.stringify(req), (signal, onProgress) => worker.loadReranker(req, { signal, onProgress }), opts);
    return worker;
  }

  /** The local model the settings choose on this GPU (the comparison's base model). */
  settingsModel(): LocalModel {
    const req = chatLoadRequest(this.settings(), this.gpu(), this.origin);
    return { engine: req.engine, model: req.model };
  }

  /** The page's WebGPU probe (null until it has run). */
  gpuStatus(): GpuStatus | null {
    return this.gpu();
  }

  /** The chat engine for the current settings on this GPU, loaded once for everyone who asks. */
  async chat(opts: WaitOptions = {}): Promise<{ engine: WorkerChatEngine; info: ChatModelInfo }> {
    return this.local(this.settingsModel(), opts);
  }

  /**
   * A given local model (a comparison pane's) in the LLM worker, with the settings' source, device
   * and cache, loaded once for everyone who asks. The worker holds one model: loading another
   * releases the one before (src/generate/handler.ts).
   */
  async local(model: LocalModel, opts: WaitOptions = {}): Promise<{ engine: WorkerChatEngine; info: ChatModelInfo }> {
    const req = localChatRequest(this.settings(), model, this.origin);
    const engine = this.chatWorker().client;
    const key = JSON.stringify(req);
    if (!this.chatLoads.loaded(key)) {
      this.chatInfo = null;
      this.loadedLocal = null;
    }
    const info = await this.chatLoads.get(key, (signal, onProgress) => engine.load(req, { signal, onProgress }), opts);
    this.chatInfo = info;
    this.loadedLocal = model;
    return { engine, info };
  }

  /** Releases the local model (its GPU memory), e.g. to make room for another pane's model. */
  async unloadLocal(): Promise<void> {
    this.chatLoads.reset();
    this.chatInfo = null;
    this.loadedLocal = null;
    await this.chatHandle?.client.unload();
  }

  /**
   * A model on an OpenAI-compatible server, through that server's own LLM worker (started when
   * first needed and again after a crash), loaded once per model and key for everyone who asks.
   */
  async serverChat(
    server: OpenAIServer,
    model: string,
    opts: WaitOptions = {},
  ): Promise<{ engine: WorkerChatEngine; info: ChatModelInfo }> {
    const origin = serverOrigin(server.baseUrl) ?? server.baseUrl;
    let lane = this.servers.get(origin);
    if (!lane) {
      const created: { handle: Supervised<WorkerChatEngine>; loads: SharedLoad<ChatModelInfo> } = {
        handle: this.spawn.chat(() => {
          if (this.servers.get(origin) === created) this.servers.delete(origin);
        }),
        loads: new SharedLoad<ChatModelInfo>(),
      };
      lane = created;
      this.servers.set(origin, lane);
    }
    const engine = lane.handle.client;
    const req = { engine: 'openai' as const, model, server };
    const info = await lane.loads.get(JSON.stringify(req), (signal, onProgress) => engine.load(req, { signal, onProgress }), opts);
    return { engine, info };
  }

  /** The LLM worker without loading a model: web-llm's model list, downloads and deletions. */
  llm(): WorkerChatEngine {
    return this.chatWorker().client;
  }

  /**
   * A generation failed. When the engine has dropped its model (the GPU was lost) or has none,
   * whichever view saw it, the next call to `chat` loads it again for every view.
   */
  chatFailed(error: { name: string }): void {
    if (error.name !== 'DeviceLost' && error.name !== 'EngineNotLoaded') return;
    this.chatLoads.reset();
    this.chatInfo = null;
    this.loadedLocal = null;
  }

  /**
   * Connects the embed worker to `library` (once per pair of workers): the library worker embeds
   * stored documents through it.
   */
  async link(library: WorkerLibrary): Promise<void> {
    const embed = this.embedWorker();
    if (this.linked?.library === library && this.linked.embed === embed) return;
    const { port1, port2 } = new MessageChannel();
    this.linked = { library, embed };
    await Promise.all([embed.client.connect(port1), library.connectEmbedder(port2)]);
  }

  /** Stops both workers (tests; a page simply closes). */
  dispose(): void {
    this.embedHandle?.terminate();
    this.chatHandle?.terminate();
    for (const lane of this.servers.values()) lane.handle.terminate();
    this.servers.clear();
    this.embedHandle = this.chatHandle = null;
    this.linked = null;
  }
}
