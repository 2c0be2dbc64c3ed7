/**
 * Configures the transformers.js runtime of the current thread (a worker, or Node in tests/CLIs).
 *
 * transformers.js keeps its settings in one global `env`; each worker owns its own copy, so the
 * embed worker and the LLM worker configure theirs independently. Nothing here is Vite-specific:
 * the worker entry files pass in the URLs of the ONNX Runtime files the app serves itself.
 */

import { env } from '@huggingface/transformers';
import type { DevicePreference, OnnxDtype } from '../core/devices';
import { AppError, errorText, isAppError } from '../core/errors';
import { describeModelSource, HF_HUB, type ModelSource } from './model-source';
import type { GpuStatus } from './webgpu';

/** The backend a model actually runs on. 'cpu' is onnxruntime-node (Node tests and CLIs only). */
export type Backend = 'webgpu' | 'wasm' | 'cpu';

export interface RuntimeFiles {
  /** URLs of ort-wasm-simd-threaded.asyncify.{wasm,mjs}, served by the app (never a CDN). */
  wasm: string;
  mjs: string;
}

export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return (
    typeof p?.versions?.node === 'string' &&
    typeof (globalThis as { document?: unknown }).document === 'undefined' &&
    typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined'
  );
}

export function configureRuntime(files: RuntimeFiles): void {
  const onnx = env.backends.onnx as { wasm?: { wasmPaths?: unknown; numThreads?: number } };
  if (onnx.wasm) {
    onnx.wasm.wasmPaths = { wasm: files.wasm, mjs: files.mjs };
    // Threads need cross-origin isolation (SharedArrayBuffer); without it ORT would warn and fall
    // back anyway, so ask for one thread explicitly unless the page is isolated.
    if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) onnx.wasm.numThreads = 1;
  }
}

export function applyModelSource(source: ModelSource): void {
  switch (source.kind) {
    case 'hub':
      env.allowLocalModels = false;
      env.allowRemoteModels = true;
      env.remoteHost = HF_HUB;
      break;
    case 'local':
      env.allowLocalModels = true;
      env.allowRemoteModels = false;
      env.localModelPath = source.path;
      break;
    case 'mirror':
      env.allowLocalModels = false;
      env.allowRemoteModels = true;
      env.remoteHost = source.baseUrl;
      break;
  }
}

/** Picks the backend for a preference; WebGPU only when an adapter exists. */
export function resolveBackend(pref: DevicePreference, gpu: GpuStatus | null): Backend {
  if (isNode()) return 'cpu';
  if (pref === 'wasm') return 'wasm';
  if (pref === 'webgpu') {
    if (!gpu?.available) {
      throw new AppError(
        'WebGPUUnavailable',
        `WebGPU was chosen in Settings, but ${gpu?.reason ?? 'it is not available here.'} ${gpu?.fix ?? ''} Or choose WASM.`.trim(),
      );
    }
    return 'webgpu';
  }
  return gpu?.available ? 'webgpu' : 'wasm';
}

/** Resolves 'auto' to transformers.js' per-backend default, made explicit so results are reproducible. */
export function resolveDtype(
  dtype: OnnxDtype,
  backend: Backend,
  auto: { webgpu: Exclude<OnnxDtype, 'auto'>; other: Exclude<OnnxDtype, 'auto'> },
): Exclude<OnnxDtype, 'auto'> {
  if (dtype !== 'auto') return dtype;
  return backend === 'webgpu' ? auto.webgpu : auto.other;
}

/** Maps a model-loading failure to a named error that says what to do. */
export function modelLoadError(e: unknown, model: string, source: ModelSource): AppError {
  if (e instanceof AppError) return e;
  const text = errorText(e);
  const where = describeModelSource(source);
  if (/not found|404|Could not locate|file was not found|Unexpected token '<'|is not valid JSON/i.test(text)) {
    return new AppError(
      'ModelNotFound',
      `The model "${model}" was not found at ${where}. Check the model name and the model source in Settings.`,
      { model },
      text,
    );
  }
  if (/Failed to fetch|NetworkError|network|ECONNREFUSED|ENOTFOUND|fetch failed|Load failed/i.test(text)) {
    return new AppError(
      'ModelDownloadFailed',
      `Could not download "${model}" from ${where}: the network did not answer. Connect to the internet and retry, or set Settings → Model source to a local mirror.`,
      { model },
      text,
    );
  }
  return new AppError('ModelLoadFailed', `The model "${model}" could not be loaded: ${text}`, { model }, text);
}

/**
 * Opens a model on the preferred backend, falling back to WASM once when WebGPU fails for a reason
 * other than the model itself (an unsupported op, a lost device): a model that is missing or
 * unreachable fails the same way on every backend, so that error is thrown as it is. `open` maps
 * its own failures (modelLoadError). Shared by the embedder and the reranker.
 */
export async function openWithFallback<T>(
  preferred: Backend,
  device: DevicePreference,
  open: (backend: Backend) => Promise<T>,
): Promise<{ value: T; backend: Backend; fallbackReason?: string }> {
  try {
    return { value: await open(preferred), backend: preferred };
  } catch (e) {
    if (preferred !== 'webgpu' || device === 'webgpu' || isAppError(e, 'ModelNotFound') || isAppError(e, 'ModelDownloadFailed')) throw e;
    return { value: await open('wasm'), backend: 'wasm', fallbackReason: e instanceof Error ? e.message : String(e) };
  }
}
