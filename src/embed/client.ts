/** `Embedder` on the far side of a worker boundary: same interface as the in-process one. */

import { RpcClient, type Endpoint } from '../core/rpc';
import type { EmbedProtocol } from './protocol';
import type { GpuStatus } from '../platform/webgpu';
import type { Embedder, EmbedderInfo, EmbedLoadRequest, EmbedRequest, Embeddings, RunOptions } from './embedder';
import type { Reranker, RerankerInfo, RerankLoadRequest, RerankRequest, RerankResult } from './reranker';

export class WorkerEmbedder implements Embedder, Reranker {
  readonly rpc: RpcClient<EmbedProtocol>;

  constructor(endpoint: Endpoint) {
    this.rpc = new RpcClient<EmbedProtocol>(endpoint);
  }

  /** Another port for the same models (the library worker's end of a channel). */
  connect(port: MessagePort): Promise<null> {
    return this.rpc.call('connect', { port }, { transfer: [port] });
  }

  probe(): Promise<GpuStatus> {
    return this.rpc.call('probe', null);
  }

  load(req: EmbedLoadRequest, opts: RunOptions = {}): Promise<EmbedderInfo> {
    return this.rpc.call('load', req, { signal: opts.signal, onEvent: opts.onProgress });
  }

  embed(req: EmbedRequest, opts: RunOptions = {}): Promise<Embeddings> {
    return this.rpc.call('embed', req, { signal: opts.signal, onEvent: opts.onProgress });
  }

  loadReranker(req: RerankLoadRequest, opts: RunOptions = {}): Promise<RerankerInfo> {
    return this.rpc.call('loadReranker', req, { signal: opts.signal, onEvent: opts.onProgress });
  }

  rerank(req: RerankRequest, opts: RunOptions = {}): Promise<RerankResult> {
    return this.rpc.call('rerank', req, { signal: opts.signal, onEvent: opts.onProgress });
  }

  async dispose(): Promise<void> {
    await this.rpc.call('dispose', null);
  }
}
