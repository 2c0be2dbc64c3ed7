/**
 * `ChatEngine`: what the app needs from an LLM, whichever library or server runs it.
 *
 * Implemented by the web-llm engine (WebGPU), the transformers.js engine (WASM or WebGPU; the one
 * tests run with the generated tiny GPT-2), the OpenAI-compatible server engine (Ollama,
 * llama-server, LM Studio, vLLM: openai-engine.ts), and `WorkerChatEngine`, which forwards to any
 * of them inside the LLM worker. The compare view runs "model only" and "model + documents"
 * through the same instance with the same `GenerationParams`.
 */

import { AppError } from '../core/errors';
import type { Progress } from '../core/progress';
import type { DevicePreference, OnnxDtype } from '../core/devices';
import type { ModelSource } from '../platform/model-source';
import type { Backend } from '../platform/transformers-env';
import type { WebLlmCacheBackend } from './webllm-download';

export type EngineKind = 'webllm' | 'transformers' | 'openai';
/** The engines that run the model in this browser tab. */
export type LocalEngineKind = Exclude<EngineKind, 'openai'>;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A model run in this tab (web-llm or transformers.js), from a model source. */
export interface LocalChatLoadRequest {
  engine: LocalEngineKind;
  model: string;
  source: ModelSource;
  /** transformers.js engine only; web-llm always runs on WebGPU. */
  device: DevicePreference;
  /** transformers.js engine only; web-llm's quantisation is part of its model id. */
  dtype: OnnxDtype;
  /** web-llm only: where its model files are kept (default 'cache', the Cache API). */
  webllmCache?: WebLlmCacheBackend;
}

/** An OpenAI-compatible server (Ollama, llama-server, LM Studio, vLLM). */
export interface OpenAIServer {
  /**
   * Its API's base URL, e.g. http://localhost:11434/v1 (Ollama), http://localhost:8080/v1
   * (llama-server), http://localhost:1234/v1 (LM Studio), http://localhost:8000/v1 (vLLM). A URL
   * without a path gets /v1 appended (see normalizeServer in openai-engine.ts).
   */
  baseUrl: string;
  /** Sent as a bearer token when set; local servers need none unless started with one. */
  apiKey?: string;
}

/** A model served by an OpenAI-compatible server: `model` is an id from its GET /v1/models. */
export interface ServerChatLoadRequest {
  engine: 'openai';
  model: string;
  server: OpenAIServer;
}

export type ChatLoadRequest = LocalChatLoadRequest | ServerChatLoadRequest;

/** The request a local engine reads; a server's request reaching one is a wiring mistake, refused by name. */
export function localRequest(req: ChatLoadRequest): LocalChatLoadRequest {
  if (req.engine === 'openai') {
    throw new AppError('InvalidRequest', `"${req.model}" is served by ${req.server.baseUrl}, not by a model in this tab.`);
  }
  return req;
}

/** Where a chat model runs: a transformers.js backend, WebGPU (web-llm), or another process ('server'). */
export type ChatBackend = Backend | 'server';

export interface ChatModelInfo {
  engine: EngineKind;
  /** The model actually loaded (web-llm may swap q4f16 for its q4f32 sibling on adapters without shader-f16). */
  model: string;
  backend: ChatBackend;
  /** The weight variant; 'unknown' for a server (the OpenAI API does not say how a model is quantised). */
  dtype: string;
  loadMs: number;
  /** Why the model differs from the one asked for, why WebGPU was not used, or which server answers. */
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
  /**
   * The model's "thinking", kept out of `text`: a server's reasoning deltas or a `<think>` block
   * (openai-engine.ts). Absent when the model gave none.
   */
  reasoning?: string;
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
