/**
 * The embed worker's handlers: the protocol's methods over an in-process `Embedder`.
 * A plain module (no `self`), so Node tests drive it through a real MessageChannel.
 */

import { portEndpoint, serve, type Handlers } from '../core/rpc';
import type { EmbedProtocol } from './protocol';
import { probeWebGPU } from '../platform/webgpu';
import type { Embedder } from './embedder';
import type { Reranker } from './reranker';

export function embedHandlers(embedder: Embedder, reranker: Reranker & { dispose(): Promise<void> }): Handlers<EmbedProtocol> {
  // The same models answer on every port: the page loads them, the library embeds with them.
  const handlers: Handlers<EmbedProtocol> = {
    connect: (req) => {
      serve(portEndpoint(req.port), handlers);
      return null;
    },
    probe: () => probeWebGPU(),
    load: (req, ctx) => embedder.load(req, { signal: ctx.signal, onProgress: (p) => ctx.emit(p) }),
    embed: async (req, ctx) => {
      const result = await embedder.embed(req, { signal: ctx.signal, onProgress: (p) => ctx.emit(p) });
      ctx.transfer(result.vectors.buffer);
      return result;
    },
    loadReranker: (req, ctx) => reranker.loadReranker(req, { signal: ctx.signal, onProgress: (p) => ctx.emit(p) }),
    rerank: (req, ctx) => reranker.rerank(req, { signal: ctx.signal, onProgress: (p) => ctx.emit(p) }),
    dispose: async () => {
      await Promise.all([embedder.dispose(), reranker.dispose()]);
      return null;
    },
  };
  return handlers;
}
