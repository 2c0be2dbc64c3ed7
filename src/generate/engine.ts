/**
 * `ChatEngine`: what the app needs from a local LLM, whichever library runs it.
 *
 * Implemented by the web-llm engine (WebGPU), the transformers.js engine (WASM or WebGPU; the one
 * tests run with the generated tiny GPT-2), and `WorkerChatEngine`, which forwards to either of
 * them inside the LLM worker. The compare view runs "model only" and "model + documents" through
 * the same instance with the same `GenerationParams`.
 */

import type { Progress } from '../core/progress';
import type { DevicePreference, OnnxDtype } from '../core/devices';
import type { ModelSource } from '../platform/model-source';
import type { Backend } from '../platform/transformers-env';
import type { WebLlmCacheBackend } from './webllm-download';

export type EngineKind = 'webllm' | 'transformers';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatLoadRequest {
  engine: EngineKind;
  model: string;
  source: ModelSource;
  /** transformers.js engine only; web-llm always runs on WebGPU. */
  device: DevicePreference;
  /** transformers.js engine only; web-llm's quantisation is part of its model id. */
  dtype: OnnxDtype;
  /** web-llm only: where its model files are kept (default 'cache', the Cache API). */
  webllmCache?: WebLlmCacheBackend;
}

export interface ChatModelInfo {
  engine: EngineKind;
  /** The model actually loaded (web-llm may swap q4f16 for its q4f32 sibling on adapters without shader-f16). */
  model: string;
  backend: Backend;
  dtype: string;
  loadMs: number;
  /** Why the model differs from the one asked for, or why WebGPU was not used. */
  note?: string;
}

export interface GenerationParams {
  maxTokens: number;
  /** 0 = greedy decoding. */
  temperature: number;
  topP: number;
  seed: number;
}

export type FinishReason = 'stop' | 'length' | 'interrupted';

export interface GenerationResult {
  text: string;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  /** From the call to the first streamed text, in ms. */
  timeToFirstTokenMs: number;
  totalMs: number;
  /** Completion tokens per second of decoding (after the first token). */
  tokensPerSecond: number;
}

export interface LoadOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
}

export interface GenerateOptions {
  /** Aborting stops generation like `interrupt()`: the partial answer is returned, not an error. */
  signal?: AbortSignal | undefined;
  onToken?: ((delta: string) => void) | undefined;
}

export interface ChatEngine {
  load(req: ChatLoadRequest, opts?: LoadOptions): Promise<ChatModelInfo>;
  generate(messages: ChatMessage[], params: GenerationParams, opts?: GenerateOptions): Promise<GenerationResult>;
  /** Stops the generation in progress, if any. */
  interrupt(): Promise<void>;
  unload(): Promise<void>;
}

/** Timing bookkeeping shared by the engines, so every engine reports the same numbers the same way. */
export class GenerationClock {
  private readonly started = performance.now();
  private firstAt = 0;
  completionTokens = 0;

  token(count = 1): void {
    if (this.firstAt === 0) this.firstAt = performance.now();
    this.completionTokens += count;
  }

  result(text: string, finishReason: FinishReason, promptTokens: number, completionTokens = this.completionTokens): GenerationResult {
    const end = performance.now();
    const first = this.firstAt || end;
    const decodeSeconds = (end - first) / 1000;
    return {
      text,
      finishReason,
      promptTokens,
      completionTokens,
      timeToFirstTokenMs: Math.round(first - this.started),
      totalMs: Math.round(end - this.started),
      tokensPerSecond: completionTokens > 1 && decodeSeconds > 0 ? (completionTokens - 1) / decodeSeconds : 0,
    };
  }
}
