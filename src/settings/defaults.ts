/**
 * Every user-tunable setting, its meaning, range and default, in one place.
 *
 * Settings are resolved as: defaults ← saved overrides ← per-run overrides, validated once by
 * `validateSettings` (validate.ts) and then passed explicitly; no module reads a global.
 */

import type { WebLlmCacheBackend } from '../generate/webllm-download';
import type { RetrievalOptions } from '../index/types';
import { DEFAULT_CHUNK_OPTIONS } from '../ingest/chunker';
import { DEFAULT_RERANK_CANDIDATES } from '../index/rerank';

export type { DevicePreference, OnnxDtype } from '../core/devices';
import type { DevicePreference, OnnxDtype } from '../core/devices';
export type LlmEngineKind = 'auto' | 'webllm' | 'transformers';

export interface EmbeddingSettings {
  /** Hub model id (or a folder name under a local model source). Default: BAAI's bge-small-en-v1.5, 384 dims. */
  model: string;
  /** Where to run: 'auto' uses WebGPU when the browser has an adapter and falls back to WASM. */
  device: DevicePreference;
  /** Weight variant. 'auto' = fp32 on WebGPU, q8 on WASM (transformers.js' own defaults, made explicit). */
  dtype: OnnxDtype;
  /** Texts per inference call. Range 1..256, default 16: large enough to amortise a call, small enough for smooth progress. */
  batchSize: number;
}

export interface LlmSettings {
  /** 'auto' = web-llm where WebGPU exists, else the transformers.js engine (runs on WASM). */
  engine: LlmEngineKind;
  /**
   * web-llm prebuilt model id. Default: Llama 3.2 1B Instruct, 4-bit (879 MB of GPU memory by
   * web-llm's record). Reviewed 2026-11 against web-llm 0.2.86's list (sources: Meta's Llama 3.2
   * model card, the Gemma 3 and Qwen3.5 cards): it is the smallest model that answers directly,
   * with no reasoning text to strip, and fits almost any WebGPU adapter (IFEval 59.5, multi-needle
   * recall 75.0). Llama 3.2 3B Instruct (2.3 GB; IFEval 77.4, recall 84.7) is the better choice
   * where memory allows. Gemma 3 1B follows instructions better (IFEval 80.2) but stays with
   * supplied text poorly (FACTS Grounding 36.4), which is what the grounded side needs. Qwen3 and
   * Qwen3.5 think by default (their reasoning must be turned off and kept out of the answer) and
   * need more memory at the same size (Qwen3.5 0.8B: 1.6 GB).
   */
  webllmModel: string;
  /**
   * Where web-llm's model files are kept: 'cache' (the Cache API, web-llm's default) or
   * 'indexeddb' (for browsers or policies that limit the Cache API). Changing it does not move
   * models already downloaded: they are fetched again into the new place.
   */
  webllmCache: WebLlmCacheBackend;
  /**
   * transformers.js text-generation model id. Default: Qwen2.5 0.5B Instruct (ONNX, 4-bit: 483 MB
   * at q4f16), the fallback engine's model for machines without WebGPU. Qwen3.5 0.8B's text ONNX
   * export follows instructions far better (IFEval 52.1 against 31.6) at about the same download,
   * but it is a hybrid-attention model whose speed on WASM is unmeasured: to be switched after a
   * load-and-generate check on a real machine.
   */
  transformersModel: string;
  /** Backend for the transformers.js engine. */
  transformersDevice: DevicePreference;
  /**
   * An OpenAI-compatible server (Ollama, llama.cpp's llama-server, LM Studio, vLLM) for answer
   * panes that run there, e.g. "http://localhost:11434/v1". Empty: none. Servers on this computer
   * are always allowed; another host only when this copy of the app was built naming it
   * (RAGSCOPE_LLM_SERVERS). Its API key is not a setting: it stays in this browser only.
   */
  serverUrl: string;
  /** The server's model for its panes (one of its /v1/models). Empty until chosen. */
  serverModel: string;
  /** Weight variant for the transformers.js engine. 'auto' = q4f16 on WebGPU with shader-f16, else q4. */
  transformersDtype: OnnxDtype;
  /**
   * This GPU's memory in MB, as its owner knows it (WebGPU does not tell pages). A comparison uses
   * it to decide whether two local models stay loaded together or one replaces the other
   * (src/generate/memory.ts gpuBudget, src/compare/panes.ts). 0 = not given: the adapter's
   * largest buffer is taken as a lower bound, which errs towards swapping. Range 0..262144, default 0.
   */
  gpuMemoryMB: number;
  /** Upper bound of generated tokens per answer. Range 1..4096, default 256. */
  maxTokens: number;
  /** Sampling temperature. Range 0..2; 0 = greedy (deterministic), default 0. */
  temperature: number;
  /** Nucleus sampling mass. Range (0, 1], default 1 (off). */
  topP: number;
  /** Random seed shared by both answers of a comparison. Integer 0..2^31-1, default 42. */
  seed: number;
}

export interface IngestSettings {
  /** Files larger than this are refused with FileTooLarge before being read. Range 1..2048 MB, default 200. */
  maxFileMB: number;
  /** A file still parsing after this long is abandoned (its worker is replaced). Range 5..600 s, default 60. */
  parseTimeoutSeconds: number;
  /** Target chunk size in estimated tokens; see ChunkOptions in src/ingest/chunker.ts (why 384). Range 64..1024, default 384. */
  chunkTokens: number;
  /** Tokens repeated between consecutive chunks. Range 0..512 (at most half a chunk), default 48. */
  overlapTokens: number;
  /**
   * Read scanned PDF pages and dropped images (PNG, JPEG, WebP) by text recognition, in this tab
   * (src/ingest/ocr.ts). Default on: otherwise a scan is refused as NoTextLayer. Off: scans are
   * refused as before, and the OCR files (about 6 MB) are never fetched.
   */
  ocr: boolean;
  /**
   * Tesseract language codes for OCR, joined by "+", e.g. "eng" or "eng+deu". Default "eng", the
   * language whose data this build serves; another needs its @tesseract.js-data package in the
   * build (asking for one without is refused by name).
   */
  ocrLanguages: string;
}

export interface RetrievalSettings {
  /**
   * How passages are found: 'keyword' (BM25), 'dense' (cosine over embeddings) or 'hybrid' (both,
   * fused by reciprocal rank). Default 'hybrid'; dense and hybrid fall back to keyword, and say
   * so, until the library's vectors and the embedding model are ready.
   */
  mode: 'keyword' | 'dense' | 'hybrid';
  /** Passages retrieved per question. Range 1..50, default 5: enough context for a small model's window. */
  topK: number;
  /** Reciprocal-rank-fusion damping (see src/index/fusion.ts). Range 1..1000, default 60. */
  rrfK: number;
  /**
   * Document-aware ranking (src/index/documents.ts): a keyword match in the document a question is
   * about (by its name, title, running header or cover page, e.g. "Apple", "Q3 2022", "latest")
   * scores up to (1 + this) times as much as the same match elsewhere. Range 0..4; 0 = off; default 1.
   */
  documentBoost: number;
  /**
   * Near-duplicate passages (the same paragraph in several look-alike documents) move below the
   * other results, so the top k is not one paragraph four times (src/index/retrieve.ts). Default on.
   */
  demoteDuplicates: boolean;
  /**
   * Rerank the best candidates with a cross-encoder that reads the question and each passage
   * together (src/embed/reranker.ts): usually more precise, at the cost of a second model download
   * (the default: ~23 MB quantised on WASM, ~90 MB fp32 on WebGPU) and its time per question
   * (about half a second per candidate on WASM; npm run bench -- --only rerank). Default off.
   */
  rerank: boolean;
  /** The cross-encoder (hub id or local folder name). Default ms-marco-MiniLM-L-6-v2 (6 layers, hidden 384). */
  rerankModel: string;
  /** How many of the first stage's candidates are reranked. Range 5..100; default 20 (see src/index/rerank.ts). */
  rerankCandidates: number;
}

export interface Settings {
  /**
   * Where model files come from. '' = the public hubs (Hugging Face for transformers.js, web-llm's
   * own list for web-llm). A path such as '/models/' = folders served by this app's own origin
   * (offline use, tests). An http(s) URL = a mirror laid out like the hub
   * (`<base>/<model>/resolve/main/<file>`), e.g. a workshop's local server.
   */
  modelSource: string;
  ingest: IngestSettings;
  embedding: EmbeddingSettings;
  retrieval: RetrievalSettings;
  llm: LlmSettings;
}

export const DEFAULT_SETTINGS: Settings = {
  modelSource: '',
  ingest: {
    maxFileMB: 200,
    parseTimeoutSeconds: 60,
    chunkTokens: DEFAULT_CHUNK_OPTIONS.chunkTokens,
    overlapTokens: DEFAULT_CHUNK_OPTIONS.overlapTokens,
    ocr: true,
    ocrLanguages: 'eng',
  },
  embedding: {
    model: 'Xenova/bge-small-en-v1.5',
    device: 'auto',
    dtype: 'auto',
    batchSize: 16,
  },
  retrieval: {
    mode: 'hybrid',
    topK: 5,
    rrfK: 60,
    documentBoost: 1,
    demoteDuplicates: true,
    rerank: false,
    rerankModel: 'Xenova/ms-marco-MiniLM-L-6-v2',
    rerankCandidates: DEFAULT_RERANK_CANDIDATES,
  },
  llm: {
    engine: 'auto',
    webllmModel: 'Llama-3.2-1B-Instruct-q4f16_1-MLC',
    webllmCache: 'cache',
    transformersModel: 'onnx-community/Qwen2.5-0.5B-Instruct',
    transformersDevice: 'auto',
    transformersDtype: 'auto',
    serverUrl: '',
    serverModel: '',
    gpuMemoryMB: 0,
    maxTokens: 256,
    temperature: 0,
    topP: 1,
    seed: 42,
  },
};

/** Numeric bounds used by validation and by the settings form's inputs. */
export const LIMITS = {
  maxFileMB: { min: 1, max: 2048 },
  parseTimeoutSeconds: { min: 5, max: 600 },
  chunkTokens: { min: 64, max: 1024 },
  overlapTokens: { min: 0, max: 512 },
  batchSize: { min: 1, max: 256 },
  topK: { min: 1, max: 50 },
  rrfK: { min: 1, max: 1000 },
  documentBoost: { min: 0, max: 4 },
  rerankCandidates: { min: 5, max: 100 },
  maxTokens: { min: 1, max: 4096 },
  gpuMemoryMB: { min: 0, max: 262144 },
  temperature: { min: 0, max: 2 },
  topP: { min: 0.01, max: 1 },
  seed: { min: 0, max: 2 ** 31 - 1 },
} as const;

/** The options one search runs with, from the saved retrieval settings (callers may override mode and k). */
export function retrievalOptions(r: RetrievalSettings): RetrievalOptions {
  const o: RetrievalOptions = {
    mode: r.mode,
    k: r.topK,
    rrfK: r.rrfK,
    documentBoost: r.documentBoost,
    demoteDuplicates: r.demoteDuplicates,
  };
  if (r.rerank) o.rerank = { model: r.rerankModel, candidates: r.rerankCandidates };
  return o;
}
