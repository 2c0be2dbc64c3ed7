/**
 * The one owner of the page's model workers: a single embed worker (embedder and reranker) and up
 * to MAX_LOCAL_ENGINES LLM workers for local models, each started when first needed and again
 * after a crash. Every view that needs a model (comparisons, search, embedding the library, the
 * self-tests, the web-llm model list) asks here, and each model load is shared by key
 * (src/core/shared-load.ts): a self-test after a comparison reuses the loaded model instead of
 * loading a second copy onto the GPU, which would not fit beside the first.
 *
 * Each LLM worker holds one model (src/generate/handler.ts). A second one is used only when a
 * comparison's plan (src/compare/panes.ts) found that two panes' models fit on this GPU together
 * (`local(..., 'beside')`); every other caller asks for its model alone, which releases the others
 * first, so nothing outside a plan ever stacks models on the GPU.
 *
 * Answers on an OpenAI-compatible server go through LLM workers of their own, one per server
 * (`serverChat`): a server's pane answers in parallel with the local ones, so it must not unload
 * a model in the tab.
 *
 * It also connects the embed worker to the library worker (a MessageChannel, one end each), so the
 * library embeds stored documents without their texts or vectors crossing the page.
 */

import { AppError } from '../core/errors';
import { SharedLoad, type WaitOptions } from '../core/shared-load';
import { modelKey, serverOrigin, type LocalModel } from '../compare/panes';
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

/**
 * Local chat models the page may hold at once, one LLM worker each. Range 1..4; default 2: a
 * comparison's base and fine-tuned model (two 1B models at 4 bits take ~1.8 GB), so neither is
 * reloaded for every question of a run. Whether two actually stay together is decided per
 * comparison from their memory needs and the GPU (planPanes); two workers cost a second copy of
 * the engine's code and runtime in memory, not of any model.
 */
export const MAX_LOCAL_ENGINES = 2;

/** One LLM worker for local models and what it holds. */
interface LocalSlot {
  handle: Supervised<WorkerChatEngine>;
  loads: SharedLoad<ChatModelInfo>;
  /** The load request it holds or is loading (JSON); null when empty. */
  key: string | null;
  /** The model of that request. */
  wants: LocalModel | null;
  /** The model it holds, once loaded. */
  model: LocalModel | null;
  info: ChatModelInfo | null;
  /** When it was last asked for (a counter): the least recent is replaced when all are taken. */
  usedAt: number;
}

export class Engines {
  /** The embedding model loaded in the embed worker. */
  embedInfo = $state.raw<EmbedderInfo | null>(null);
  /** The local chat model asked for last, as loaded. */
  chatInfo = $state.raw<ChatModelInfo | null>(null);
  /** The local models the LLM workers hold, least recently used first (as asked for: web-llm may load a sibling build). */
  loadedLocals = $state.raw<LocalModel[]>([]);

  private embedHandle: Supervised<WorkerEmbedder> | null = null;
  private slots: LocalSlot[] = [];
  private uses = 0;
  /**
   * Who is using the local models now ("A comparison in Ask", "An Evaluate run", "The
   * self-test"), null when nobody: one at a time, since a comparison may unload or replace the
   * model another job is generating with (see `exclusive`).
   */
  usedBy = $state<string | null>(null);
  private readonly embedLoads = new SharedLoad<EmbedderInfo>();
  private readonly rerankLoads = new SharedLoad<RerankerInfo>();
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
    return { embed: this.embedLoads.started, rerank: this.rerankLoads.started, chat: this.slots.reduce((n, s) => n + s.loads.started, 0) };
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

  private newSlot(): LocalSlot {
    const slot: LocalSlot = {
      handle: this.spawn.chat(() => {
        // Forget it and what it held: the next call starts afresh instead of failing until a reload.
        this.slots = this.slots.filter((x) => x !== slot);
        this.refresh();
      }),
      loads: new SharedLoad<ChatModelInfo>(),
      key: null,
      wants: null,
      model: null,
      info: null,
      usedAt: 0,
    };
    this.slots.push(slot);
    return slot;
  }

  /** Empties a slot (its model forgotten here; the caller unloads it in the worker when it must). */
  private forget(slot: LocalSlot): void {
    slot.loads.reset();
    slot.key = null;
    slot.wants = null;
    slot.model = null;
    slot.info = null;
  }

  /** The public view of the slots. */
  private refresh(): void {
    const held = this.slots.filter((s) => s.model !== null).sort((a, b) => a.usedAt - b.usedAt);
    this.loadedLocals = held.map((s) => s.model!);
    this.chatInfo = held.at(-1)?.info ?? null;
  }

  /** Whether the embedding model of the current settings is loaded. */
  get embedReady(): boolean {
    return this.embedLoads.loaded(JSON.stringify(embedLoadRequest(this.settings(), this.origin))) !== null;
  }

  /** Whether the chat model of the current settings (on this GPU) is loaded. */
  get chatReady(): boolean {
    const key = JSON.stringify(chatLoadRequest(this.settings(), this.gpu(), this.origin));
    return this.slots.some((s) => s.loads.loaded(key) !== null);
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

  /**
   * Runs `job` as the only user of the local models, named `who` for the others: while it runs,
   * another job asking is refused with InvalidRequest saying who has them. Jobs that swap or
   * unload models (comparisons) and jobs that hold an engine across many generations (Evaluate
   * runs, the self-test) would otherwise pull models from under each other.
   */
  async exclusive<T>(who: string, job: () => Promise<T>): Promise<T> {
    if (this.usedBy !== null)
      throw new AppError(
        'InvalidRequest',
        `${this.usedBy} is using the language models of this tab: wait until it ends, or stop it, then try again.`,
      );
    this.usedBy = who;
    try {
      return await job();
    } finally {
      this.usedBy = null;
    }
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
   * A given local model (a comparison pane's) in an LLM worker, with the settings' source, device
   * and cache, loaded once for everyone who asks. 'alone' (the default) first releases every other
   * local model; 'beside' keeps them and loads into a free worker (up to MAX_LOCAL_ENGINES, then
   * the least recently used one): only a comparison's plan, which checked that they fit, asks so.
   */
  async local(
    model: LocalModel,
    opts: WaitOptions = {},
    placement: 'alone' | 'beside' = 'alone',
  ): Promise<{ engine: WorkerChatEngine; info: ChatModelInfo }> {
    const req = localChatRequest(this.settings(), model, this.origin);
    const key = JSON.stringify(req);
    let slot = this.slots.find((s) => s.key === key);
    if (placement === 'alone') {
      for (const other of this.slots.filter((s) => s !== slot && s.key !== null)) {
        this.forget(other);
        await other.handle.client.unload().catch(() => undefined);
      }
      this.refresh();
    }
    if (!slot) {
      if (placement === 'alone') {
        slot = this.slots[0] ?? this.newSlot();
      } else {
        slot =
          this.slots.find((s) => s.key === null) ??
          (this.slots.length < MAX_LOCAL_ENGINES ? this.newSlot() : [...this.slots].sort((a, b) => a.usedAt - b.usedAt)[0]!);
        this.forget(slot);
      }
      slot.key = key;
      slot.wants = model;
      this.refresh();
    }
    slot.usedAt = ++this.uses;
    const engine = slot.handle.client;
    const taken = slot;
    const loading = taken.loads.get(key, (signal, onProgress) => engine.load(req, { signal, onProgress }), opts);
    // The slot's record follows the load itself, not this caller: one who gives up while others
    // wait leaves it loading for them; a load that fails or that everyone gave up on leaves the
    // worker empty, and so free for the next model.
    void taken.loads.settled(key).then(() => {
      if (taken.key !== key) return;
      const info = taken.loads.loaded(key);
      if (info) Object.assign(taken, { model, info });
      else this.forget(taken);
      this.refresh();
    });
    const info = await loading;
    return { engine, info };
  }

  /** Resolves when every local model load now under way has loaded or failed (and its worker's record follows it). */
  async settled(): Promise<void> {
    await Promise.all(this.slots.map((s) => (s.key === null ? undefined : s.loads.settled(s.key))));
  }

  /** Local LLM workers started, and how many hold a model or are loading one (tests, and to see the second worker used). */
  get localWorkers(): { started: number; taken: number } {
    return { started: this.slots.length, taken: this.slots.filter((s) => s.key !== null).length };
  }

  /** Releases a local model (its GPU memory), e.g. to make room for another pane's model. */
  async unloadLocal(model: LocalModel): Promise<void> {
    const slot = this.slots.find((s) => s.wants !== null && modelKey(s.wants) === modelKey(model));
    if (!slot) return;
    this.forget(slot);
    this.refresh();
    await slot.handle.client.unload();
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

  /** An LLM worker without loading a model: web-llm's model list, downloads and deletions. */
  llm(): WorkerChatEngine {
    return (this.slots[0] ?? this.newSlot()).handle.client;
  }

  /**
   * A generation failed. When the engine has dropped its model (the GPU was lost) or has none,
   * whichever view saw it, the next call to `chat` loads it again for every view.
   */
  chatFailed(error: { name: string }): void {
    if (error.name !== 'DeviceLost' && error.name !== 'EngineNotLoaded') return;
    for (const slot of this.slots) this.forget(slot);
    this.refresh();
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
    for (const slot of this.slots) slot.handle.terminate();
    for (const lane of this.servers.values()) lane.handle.terminate();
    this.servers.clear();
    this.slots = [];
    this.embedHandle = null;
    this.linked = null;
  }
}
