/**
 * What each setting is called where people see it. The Settings form labels its fields from this
 * map, and validation (validate.ts) names a setting in its messages by the same words, so a problem
 * points at the field the user sees, never at an internal key like `ingest.overlapTokens`.
 */

import type { Settings } from './defaults';

/** A setting's key, its group and field joined by a dot (`ingest.overlapTokens`), or `modelSource`. */
export type SettingKey = {
  [G in keyof Settings & string]: Settings[G] extends object ? `${G}.${keyof Settings[G] & string}` : G;
}[keyof Settings & string];

/** The label of every setting (a Record, so a new setting cannot go unnamed). */
export const SETTING_LABELS: Record<SettingKey, string> = {
  modelSource: 'Model source',
  'ingest.maxFileMB': 'Largest file (MB)',
  'ingest.parseTimeoutSeconds': 'Give up on a file after (seconds)',
  'ingest.ocr': 'Read scanned pages and images by text recognition (OCR)',
  'ingest.ocrLanguages': 'OCR languages (Tesseract codes, e.g. eng or eng+deu)',
  'ingest.chunkTokens': 'Chunk size (tokens)',
  'ingest.overlapTokens': 'Chunk overlap (tokens)',
  'embedding.model': 'Embedding model',
  'embedding.device': 'Embeddings run on',
  'embedding.dtype': 'Embedding weights',
  'embedding.batchSize': 'Embedding batch size',
  'retrieval.mode': 'Find passages by',
  'retrieval.topK': 'Passages per question',
  'retrieval.rrfK': 'Fusion damping (RRF k)',
  'retrieval.documentBoost': 'Favour the document a question names (0 = off)',
  'retrieval.demoteDuplicates': 'Move repeated passages (the same paragraph in several documents) down',
  'retrieval.rerank': 'Rerank the best candidates with a cross-encoder',
  'retrieval.rerankModel': 'Reranking model',
  'retrieval.rerankCandidates': 'Candidates to rerank',
  'llm.engine': 'Language model engine',
  'llm.webllmModel': 'web-llm model',
  'llm.webllmCache': 'web-llm keeps models in',
  'llm.transformersModel': 'transformers.js model',
  'llm.transformersDevice': 'transformers.js runs on',
  'llm.transformersDtype': 'transformers.js weights',
  'llm.serverUrl': 'Model server address',
  'llm.serverModel': 'Model on the server',
  'llm.maxTokens': 'Max tokens',
  'llm.temperature': 'Temperature',
  'llm.topP': 'Top-p',
  'llm.seed': 'Seed',
  'llm.gpuMemoryMB': 'GPU memory (MB; 0 = not known)',
};
