/** The LLM worker's protocol: one engine at a time (web-llm or transformers.js) behind `ChatEngine`. */

import type { Method } from './rpc';
import type { Progress } from './progress';
import type { ChatLoadRequest, ChatMessage, ChatModelInfo, GenerationParams, GenerationResult } from '../generate/engine';
import type { GpuStatus } from '../platform/webgpu';
import type { WebLlmCatalogRequest, WebLlmModelEntry, WebLlmModelRequest } from '../generate/webllm-catalog';
import type { DownloadSummary } from '../generate/webllm-download';

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
};
