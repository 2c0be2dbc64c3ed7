/** The LLM worker's protocol: one engine at a time (web-llm or transformers.js) behind `ChatEngine`. */

import type { Method } from './rpc';
import type { Progress } from './progress';
import type { ChatLoadRequest, ChatMessage, ChatModelInfo, GenerationParams, GenerationResult } from '../generate/engine';
import type { GpuStatus } from '../platform/webgpu';

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
};
