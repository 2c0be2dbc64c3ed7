/** `ChatEngine` on the far side of the LLM worker: the page uses this; it never imports an LLM library. */

import { RpcClient, type Endpoint } from '../core/rpc';
import type { LlmProtocol } from './protocol';
import type { GpuStatus } from '../platform/webgpu';
import type { WebLlmCatalogRequest, WebLlmModelEntry, WebLlmModelRequest } from './webllm-catalog';
import type { DownloadSummary } from './webllm-download';
import type {
  ChatEngine,
  ChatLoadRequest,
  ChatMessage,
  ChatModelInfo,
  GenerateOptions,
  GenerationParams,
  GenerationResult,
  LoadOptions,
  OpenAIServer,
} from './engine';

export class WorkerChatEngine implements ChatEngine {
  readonly rpc: RpcClient<LlmProtocol>;

  constructor(endpoint: Endpoint) {
    this.rpc = new RpcClient<LlmProtocol>(endpoint);
  }

  probe(): Promise<GpuStatus> {
    return this.rpc.call('probe', null);
  }

  load(req: ChatLoadRequest, opts: LoadOptions = {}): Promise<ChatModelInfo> {
    return this.rpc.call('load', req, { signal: opts.signal, onEvent: opts.onProgress });
  }

  generate(messages: ChatMessage[], params: GenerationParams, opts: GenerateOptions = {}): Promise<GenerationResult> {
    return this.rpc.call('generate', { messages, params }, { signal: opts.signal, onEvent: (e) => opts.onToken?.(e.token) });
  }

  async interrupt(): Promise<void> {
    await this.rpc.call('interrupt', null);
  }

  async unload(): Promise<void> {
    await this.rpc.call('unload', null);
  }

  webllmModels(req: WebLlmCatalogRequest): Promise<WebLlmModelEntry[]> {
    return this.rpc.call('webllmModels', req);
  }

  /** What an OpenAI-compatible server offers (its `/v1/models`). */
  serverModels(server: OpenAIServer, opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    return this.rpc.call('serverModels', { server }, opts.signal ? { signal: opts.signal } : {});
  }

  webllmDownload(req: WebLlmModelRequest, opts: LoadOptions = {}): Promise<DownloadSummary> {
    return this.rpc.call('webllmDownload', req, { signal: opts.signal, onEvent: opts.onProgress });
  }

  async webllmDelete(req: WebLlmModelRequest): Promise<void> {
    await this.rpc.call('webllmDelete', req);
  }
}
