/** The LLM worker's protocol: one engine at a time (web-llm, transformers.js or an OpenAI-compatible server) behind `ChatEngine`. */

import type { Method } from '../core/rpc';
import type { Progress } from '../core/progress';
import type { ChatLoadRequest, ChatMessage, ChatModelInfo, GenerationParams, GenerationResult } from './engine';
import type { GpuStatus } from '../platform/webgpu';
import type { WebLlmCatalogRequest, WebLlmModelEntry, WebLlmModelRequest } from './webllm-catalog';
import type { DownloadSummary } from './webllm-download';
import type { OpenAIServer } from './engine';

export interface GenerateRequest {
  messages: ChatMessage[];
  params: GenerationParams;
}

/** Streamed while generating: the next piece of text, as soon as it decodes to whole characters. */
export interface TokenEvent {
  token: string;
}

export type LlmProtocol = {
  probe: Method<null, GpuStatus>;
  load: Method<ChatLoadRequest, ChatModelInfo, Progress>;
  generate: Method<GenerateRequest, GenerationResult, TokenEvent>;
  interrupt: Method<null, null>;
  unload: Method<null, null>;
  /** web-llm's models for this GPU, with what is already stored on this device. */
  webllmModels: Method<WebLlmCatalogRequest, WebLlmModelEntry[]>;
  /** Fetches a web-llm model ahead of time (no GPU needed), streaming byte progress. */
  webllmDownload: Method<WebLlmModelRequest, DownloadSummary, Progress>;
  /** Deletes a web-llm model's files from this device. */
  webllmDelete: Method<WebLlmModelRequest, null>;
  /**
   * The models an OpenAI-compatible server offers (`/v1/models`), asked from this worker so the
   * page never loads the client; failures are named (ServerUnreachable, CorsRefused, ...).
   */
  serverModels: Method<{ server: OpenAIServer }, string[]>;
};
