/**
 * The one place settings are checked and repaired.
 *
 * `restoreSettings` rebuilds a full Settings object key by key from the defaults, so a saved blob
 * from an older version (missing keys, renamed keys, wrong types) never breaks the app: each bad
 * or missing value falls back to its default and is reported as a problem the UI can show.
 * Problems name a setting by the label the Settings form shows (labels.ts), so a message points
 * at a field the user can find.
 */

import { AppError } from '../core/errors';
import { ONNX_DTYPES } from '../core/devices';
import type { WebLlmCacheBackend } from '../generate/webllm-download';
import { DEFAULT_SETTINGS, LIMITS, type DevicePreference, type LlmEngineKind, type RetrievalSettings, type Settings } from './defaults';
import { SETTING_LABELS, type SettingKey } from './labels';

export interface SettingsProblem {
  /** The setting's key (labels.ts' SettingKey), or what else was read: the saved blob, the build's defaults. */
  key: string;
  /** What the Settings form calls it (labels.ts), or what the user knows the rest by. */
  label: string;
  /** Follows the setting's name: "must be a whole number from 64 to 1024". */
  message: string;
}

/**
 * How a problem names its setting: by its label in the app, where people see labels; by its key
 * for the command line (`--set ingest.chunkTokens=512`) and RAGSCOPE_DEFAULTS, where they typed keys.
 */
export type NameBy = 'label' | 'key';

/** One problem as a sentence fragment: "Chunk overlap (tokens) must be at most half the chunk size (32)". */
export function problemText(p: SettingsProblem, nameBy: NameBy = 'label'): string {
  return `${nameBy === 'label' ? p.label : p.key} ${p.message}`;
}

const DEVICES: readonly DevicePreference[] = ['auto', 'webgpu', 'wasm'];
const ENGINES: readonly LlmEngineKind[] = ['auto', 'webllm', 'transformers'];
const WEBLLM_CACHES: readonly WebLlmCacheBackend[] = ['cache', 'indexeddb'];
const SEARCH_MODES: readonly RetrievalSettings['mode'][] = ['keyword', 'dense', 'hybrid'];

type Bounds = { min: number; max: number };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A model source is '', a same-origin path starting with '/', or an absolute http(s) URL. The
 * problem follows the setting's name, like every other (see SettingsProblem).
 */
export function modelSourceProblem(source: string): string | null {
  if (source === '') return null;
  if (source.startsWith('/')) return source.endsWith('/') ? null : 'must end with "/" when it is a path on this app, e.g. /models/';
  try {
    const url = new URL(source);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// address when it is a mirror';
    return null;
  } catch {
    return 'must be an address like https://mirror.example/models/, a path like /models/, or empty for the public hubs';
  }
}

class Restorer {
  readonly problems: SettingsProblem[] = [];

  problem(key: SettingKey, message: string): void {
    this.problems.push({ key, label: SETTING_LABELS[key], message });
  }

  pick<T>(key: SettingKey, value: unknown, fallback: T, ok: (v: unknown) => v is T, why: string): T {
    if (value === undefined) return fallback;
    if (ok(value)) return value;
    this.problem(key, why);
    return fallback;
  }

  text(key: SettingKey, value: unknown, fallback: string, nonEmpty = true): string {
    return this.pick(
      key,
      value,
      fallback,
      (v): v is string => typeof v === 'string' && (!nonEmpty || v.trim() !== ''),
      nonEmpty ? 'must be a non-empty text' : 'must be a text',
    );
  }

  oneOf<T extends string>(key: SettingKey, value: unknown, fallback: T, allowed: readonly T[]): T {
    return this.pick(key, value, fallback, (v): v is T => allowed.includes(v as T), `must be one of ${allowed.join(', ')}`);
  }

  flag(key: SettingKey, value: unknown, fallback: boolean): boolean {
    return this.pick(key, value, fallback, (v): v is boolean => typeof v === 'boolean', 'must be true or false');
  }

  number(key: SettingKey, value: unknown, fallback: number, b: Bounds, integer = false): number {
    return this.pick(
      key,
      value,
      fallback,
      (v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= b.min && v <= b.max && (!integer || Number.isInteger(v)),
      `must be ${integer ? 'a whole number' : 'a number'} from ${b.min} to ${b.max}`,
    );
  }
}

export function restoreSettings(
  saved: unknown,
  defaults: Settings = DEFAULT_SETTINGS,
): { settings: Settings; problems: SettingsProblem[] } {
  const r = new Restorer();
  const d = defaults;
  const s = isObject(saved) ? saved : {};
  const g = isObject(s.ingest) ? s.ingest : {};
  const e = isObject(s.embedding) ? s.embedding : {};
  const l = isObject(s.llm) ? s.llm : {};
  const q = isObject(s.retrieval) ? s.retrieval : {};

  let modelSource = r.text('modelSource', s.modelSource, d.modelSource, false).trim();
  const sourceProblem = modelSourceProblem(modelSource);
  if (sourceProblem) {
    r.problem('modelSource', sourceProblem);
    modelSource = d.modelSource;
  }

  const chunkTokens = r.number('ingest.chunkTokens', g.chunkTokens, d.ingest.chunkTokens, LIMITS.chunkTokens, true);
  let overlapTokens = r.number('ingest.overlapTokens', g.overlapTokens, d.ingest.overlapTokens, LIMITS.overlapTokens, true);
  if (overlapTokens > chunkTokens / 2) {
    r.problem('ingest.overlapTokens', `must be at most half the chunk size (${Math.floor(chunkTokens / 2)})`);
    overlapTokens = Math.min(d.ingest.overlapTokens, Math.floor(chunkTokens / 2));
  }

  const settings: Settings = {
    modelSource,
    ingest: {
      maxFileMB: r.number('ingest.maxFileMB', g.maxFileMB, d.ingest.maxFileMB, LIMITS.maxFileMB),
      parseTimeoutSeconds: r.number(
        'ingest.parseTimeoutSeconds',
        g.parseTimeoutSeconds,
        d.ingest.parseTimeoutSeconds,
        LIMITS.parseTimeoutSeconds,
      ),
      chunkTokens,
      overlapTokens,
      ocr: r.flag('ingest.ocr', g.ocr, d.ingest.ocr),
      ocrLanguages: r.pick(
        'ingest.ocrLanguages',
        typeof g.ocrLanguages === 'string' ? g.ocrLanguages.trim() : g.ocrLanguages,
        d.ingest.ocrLanguages,
        (v): v is string => typeof v === 'string' && /^[a-z][a-z_]{2,}(\+[a-z][a-z_]{2,})*$/.test(v),
        'must be Tesseract language codes joined by "+", e.g. eng or eng+deu',
      ),
    },
    embedding: {
      model: r.text('embedding.model', e.model, d.embedding.model).trim(),
      device: r.oneOf('embedding.device', e.device, d.embedding.device, DEVICES),
      dtype: r.oneOf('embedding.dtype', e.dtype, d.embedding.dtype, ONNX_DTYPES),
      batchSize: r.number('embedding.batchSize', e.batchSize, d.embedding.batchSize, LIMITS.batchSize, true),
    },
    retrieval: {
      mode: r.oneOf('retrieval.mode', q.mode, d.retrieval.mode, SEARCH_MODES),
      topK: r.number('retrieval.topK', q.topK, d.retrieval.topK, LIMITS.topK, true),
      rrfK: r.number('retrieval.rrfK', q.rrfK, d.retrieval.rrfK, LIMITS.rrfK, true),
      documentBoost: r.number('retrieval.documentBoost', q.documentBoost, d.retrieval.documentBoost, LIMITS.documentBoost),
      demoteDuplicates: r.flag('retrieval.demoteDuplicates', q.demoteDuplicates, d.retrieval.demoteDuplicates),
      rerank: r.flag('retrieval.rerank', q.rerank, d.retrieval.rerank),
      rerankModel: r.text('retrieval.rerankModel', q.rerankModel, d.retrieval.rerankModel).trim(),
      rerankCandidates: r.number(
        'retrieval.rerankCandidates',
        q.rerankCandidates,
        d.retrieval.rerankCandidates,
        LIMITS.rerankCandidates,
        true,
      ),
    },
    llm: {
      engine: r.oneOf('llm.engine', l.engine, d.llm.engine, ENGINES),
      webllmModel: r.text('llm.webllmModel', l.webllmModel, d.llm.webllmModel).trim(),
      webllmCache: r.oneOf('llm.webllmCache', l.webllmCache, d.llm.webllmCache, WEBLLM_CACHES),
      transformersModel: r.text('llm.transformersModel', l.transformersModel, d.llm.transformersModel).trim(),
      transformersDevice: r.oneOf('llm.transformersDevice', l.transformersDevice, d.llm.transformersDevice, DEVICES),
      serverUrl: r.text('llm.serverUrl', l.serverUrl, d.llm.serverUrl, false).trim(),
      serverModel: r.text('llm.serverModel', l.serverModel, d.llm.serverModel, false).trim(),
      transformersDtype: r.oneOf('llm.transformersDtype', l.transformersDtype, d.llm.transformersDtype, ONNX_DTYPES),
      maxTokens: r.number('llm.maxTokens', l.maxTokens, d.llm.maxTokens, LIMITS.maxTokens, true),
      temperature: r.number('llm.temperature', l.temperature, d.llm.temperature, LIMITS.temperature),
      topP: r.number('llm.topP', l.topP, d.llm.topP, LIMITS.topP),
      seed: r.number('llm.seed', l.seed, d.llm.seed, LIMITS.seed, true),
      gpuMemoryMB: r.number('llm.gpuMemoryMB', l.gpuMemoryMB, d.llm.gpuMemoryMB, LIMITS.gpuMemoryMB, true),
    },
  };
  return { settings, problems: r.problems };
}

/** Strict form for values the user just entered: any problem is an `InvalidSettings` error. */
export function validateSettings(candidate: unknown, nameBy: NameBy = 'label'): Settings {
  const { settings, problems } = restoreSettings(candidate);
  if (problems.length > 0) {
    const list = problems.map((p) => problemText(p, nameBy)).join('; ');
    throw new AppError('InvalidSettings', `Some settings are not valid: ${list}.`, { count: problems.length });
  }
  return settings;
}

/** Deep-merges per-run overrides over a base, then validates the result once. */
export function withOverrides(base: Settings, overrides: DeepPartial<Settings>, nameBy: NameBy = 'label'): Settings {
  return validateSettings(
    {
      ...base,
      ...overrides,
      ingest: { ...base.ingest, ...overrides.ingest },
      embedding: { ...base.embedding, ...overrides.embedding },
      retrieval: { ...base.retrieval, ...overrides.retrieval },
      llm: { ...base.llm, ...overrides.llm },
    },
    nameBy,
  );
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
