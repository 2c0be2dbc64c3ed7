/** The embed worker's protocol: one entry per method, typed request, result and streamed events. */

import type { Method } from '../core/rpc';
import type { Progress } from '../core/progress';
import type { EmbedderInfo, EmbedLoadRequest, EmbedRequest, Embeddings } from './embedder';
import type { RerankerInfo, RerankLoadRequest, RerankRequest, RerankResult } from './reranker';
import type { GpuStatus } from '../platform/webgpu';

export type EmbedProtocol = {
  /**
   * Serves this protocol on another port too: the library worker embeds stored documents through
   * it (src/library/handler.ts), so chunk texts and vectors never cross the page.
   */
  connect: Method<{ port: MessagePort }, null>;
  /** What WebGPU the worker itself sees (it can differ from the page's, e.g. in some browsers). */
  probe: Method<null, GpuStatus>;
  load: Method<EmbedLoadRequest, EmbedderInfo, Progress>;
  embed: Method<EmbedRequest, Embeddings, Progress>;
  /** The cross-encoder reranker (src/embed/reranker.ts), loaded beside the embedder. */
  loadReranker: Method<RerankLoadRequest, RerankerInfo, Progress>;
  rerank: Method<RerankRequest, RerankResult, Progress>;
  dispose: Method<null, null>;
};
