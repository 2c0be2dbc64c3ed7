/**
 * The LLM worker's handlers. One engine is active at a time; switching engine kinds unloads the
 * previous one first, because two models would not fit in the memory of most laptops' GPUs.
 * Engines are created through a factory so the worker can load each library only when chosen,
 * and Node tests can hand in the in-process transformers.js engine.
 */

import type { Handlers } from '../core/rpc';
import type { LlmProtocol } from './protocol';
import { probeWebGPU } from '../platform/webgpu';
import { AppError } from '../core/errors';
import type { ChatEngine, EngineKind } from './engine';

export type EngineFactory = (kind: EngineKind) => Promise<ChatEngine>;

/** web-llm's catalog (src/generate/webllm-catalog.ts), loaded on first use like the engines. */
export type CatalogLoader = () => Promise<typeof import('./webllm-catalog')>;

export function llmHandlers(createEngine: EngineFactory, loadCatalog?: CatalogLoader, pageOrigin = ''): Handlers<LlmProtocol> {
  let active: { kind: EngineKind; engine: ChatEngine } | null = null;

  async function engineFor(kind: EngineKind): Promise<ChatEngine> {
    if (active?.kind === kind) return active.engine;
    if (active) await active.engine.unload().catch(() => undefined);
    active = null;
    const engine = await createEngine(kind);
    active = { kind, engine };
    return engine;
  }

  return {
    probe: () => probeWebGPU(),
    load: async (req, ctx) => (await engineFor(req.engine)).load(req, { signal: ctx.signal, onProgress: (p) => ctx.emit(p) }),
    generate: async (req, ctx) => {
      const engine = active?.engine;
      if (!engine) throw new AppError('EngineNotLoaded', 'No language model is loaded yet. Load one first.');
      return engine.generate(req.messages, req.params, { signal: ctx.signal, onToken: (token) => ctx.emit({ token }) });
    },
    interrupt: async () => {
      await active?.engine.interrupt();
      return null;
    },
    unload: async () => {
      await active?.engine.unload();
      active = null;
      return null;
    },
    webllmModels: async (req) => (await catalog()).listModels(req, await probeWebGPU(), pageOrigin),
    webllmDownload: async (req, ctx) =>
      (await catalog()).fetchModel(req, pageOrigin, { signal: ctx.signal, onProgress: (p) => ctx.emit(p) }),
    webllmDelete: async (req) => {
      await (await catalog()).removeModel(req, pageOrigin);
      return null;
    },
    serverModels: async (req, ctx) => {
      // Loaded only by those who use a server, like the engine itself.
      const { listModels } = await import('./openai-engine');
      return listModels(req.server, { pageOrigin, signal: ctx.signal });
    },
  };

  function catalog(): ReturnType<CatalogLoader> {
    if (!loadCatalog) throw new AppError('InvalidRequest', 'This language model worker has no web-llm model list.');
    return loadCatalog();
  }
}
