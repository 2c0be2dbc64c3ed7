/**
 * Fetching model files into a workshop kit's folder (Node): transformers.js models in the layout
 * the app reads from its own origin (`models/<model id>/<file>`), web-llm models in the layout its
 * local source expects (`models/mlc-ai/<model id>/resolve/main/<file>`, library included).
 *
 * Every file is written to `<name>.part` and renamed only when complete and checked, so an
 * interrupted run never leaves a file that looks whole; a file already there is not fetched
 * again, so running the kit again resumes. web-llm models go through the app's own
 * `downloadModel` (the same checks as in the browser) over a folder-backed store.
 */

import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, errorText } from '../core/errors';
import { readBody } from '../platform/http';
import { downloadModel, modelFolderUrl, type ArtifactStore, type DownloadSummary, type ModelLocation } from '../generate/webllm-download';
import type { OnnxDtype } from '../core/devices';

export interface FileReport {
  /** Path inside the kit folder. */
  file: string;
  bytes: number;
  /** false when it was there already (a resumed run). */
  fetched: boolean;
}

export interface FetchOptions {
  signal?: AbortSignal | undefined;
  fetch?: typeof fetch;
  /** Called with each finished file. */
  onFile?: ((r: FileReport) => void) | undefined;
}

const exists = async (p: string): Promise<boolean> =>
  stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

/** Writes atomically: the final name appears only with the whole content. */
async function writeWhole(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.part`, bytes);
  await rename(`${file}.part`, file);
}

/** transformers.js' file name for each weight variant (its `DEFAULT_DTYPE_SUFFIX_MAPPING`). */
export function onnxFile(dtype: Exclude<OnnxDtype, 'auto'>): string {
  const suffix: Record<Exclude<OnnxDtype, 'auto'>, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4', q4f16: '_q4f16' };
  return `onnx/model${suffix[dtype]}.onnx`;
}

/**
 * The weight files the app may ask for with this dtype setting. 'auto' means what the app picks on
 * either backend (src/embed/transformers.ts, src/generate/transformers-engine.ts): for embeddings
 * fp32 on WebGPU and q8 on WASM; for the language model q4f16 on WebGPU with shader-f16, else q4.
 */
export function weightFiles(kind: 'embed' | 'llm', dtype: OnnxDtype): string[] {
  if (dtype !== 'auto') return [onnxFile(dtype)];
  return kind === 'embed' ? [onnxFile('fp32'), onnxFile('q8')] : [onnxFile('q4'), onnxFile('q4f16')];
}

export interface TransformersModelPlan {
  id: string;
  kind: 'embed' | 'llm';
  dtype: OnnxDtype;
}

/** Files transformers.js reads for a model: these must exist... */
const REQUIRED = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
/** ...and these are read when the hub has them (a 404 is normal). */
const OPTIONAL = ['generation_config.json', 'special_tokens_map.json'];

/**
 * Fetches one transformers.js model from a hub-shaped source (`<source><id>/resolve/main/<file>`)
 * into `<modelsDir>/<id>/`. Throws a named error at the first file that cannot be had; files
 * finished before it stay, so the next run continues from there.
 */
export async function downloadTransformersModel(
  plan: TransformersModelPlan,
  source: string,
  modelsDir: string,
  opts: FetchOptions = {},
): Promise<FileReport[]> {
  const doFetch = opts.fetch ?? fetch;
  const files = [...REQUIRED.map((f) => ({ f, optional: false })), ...OPTIONAL.map((f) => ({ f, optional: true }))];
  for (const f of weightFiles(plan.kind, plan.dtype)) files.push({ f, optional: false });
  const out: FileReport[] = [];
  for (const { f, optional } of files) {
    const target = path.join(modelsDir, plan.id, f);
    const rel = path.posix.join('models', plan.id, f);
    if (await exists(target)) {
      const r = { file: rel, bytes: (await stat(target)).size, fetched: false };
      out.push(r);
      opts.onFile?.(r);
      continue;
    }
    const url = `${source}${plan.id}/resolve/main/${f}`;
    let res: Response;
    try {
      res = await doFetch(url, { signal: opts.signal ?? null });
    } catch (e) {
      if (opts.signal?.aborted) throw new AppError('Cancelled', 'Cancelled.');
      throw new AppError('ModelDownloadFailed', `${url} could not be fetched: ${errorText(e)}`, { url }, errorText(e));
    }
    if (res.status === 404 && optional) continue;
    if (!res.ok) {
      throw new AppError(
        res.status === 404 ? 'ModelNotFound' : 'ModelDownloadFailed',
        `${url} answered HTTP ${res.status}.${res.status === 404 ? ` Check the model id "${plan.id}" and the dtype.` : ''}`,
        { url, status: res.status },
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await readBody(res);
    } catch (e) {
      if (opts.signal?.aborted) throw new AppError('Cancelled', 'Cancelled.');
      throw new AppError('ModelDownloadFailed', `${url} stopped halfway: ${errorText(e)}`, { url }, errorText(e));
    }
    if (f.endsWith('.json')) {
      try {
        JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new AppError('ModelNotFound', `${url} is not valid JSON (is the source a hub-shaped server?).`, { url });
      }
    }
    await writeWhole(target, bytes);
    const r = { file: rel, bytes: bytes.byteLength, fetched: true };
    out.push(r);
    opts.onFile?.(r);
  }
  return out;
}

/**
 * A folder-backed `ArtifactStore` for one web-llm model: every file of the model, the library
 * included, lands in `<modelsDir>/mlc-ai/<id>/resolve/main/`, the layout the app's local model
 * source reads (src/generate/webllm-engine.ts `webllmAppConfig`).
 */
export function kitWebLlmStore(record: ModelLocation, modelsDir: string): { store: ArtifactStore; folder: string } {
  const folder = path.join(modelsDir, 'mlc-ai', record.model_id, 'resolve', 'main');
  const base = modelFolderUrl(record.model);
  const fileFor = (url: string): string => {
    if (url === record.model_lib) return path.join(folder, url.split('/').pop()!);
    if (!url.startsWith(base)) throw new AppError('InternalError', `${url} is not a file of ${record.model_id}`);
    return path.join(folder, ...url.slice(base.length).split('/'));
  };
  const store: ArtifactStore = {
    has: (_scope, url) => exists(fileFor(url)),
    size: (_scope, url) =>
      stat(fileFor(url)).then(
        (st) => (st.isFile() ? st.size : null),
        () => null,
      ),
    get: async (_scope, url) => {
      const file = fileFor(url);
      if (!(await exists(file))) return null;
      const b = await readFile(file);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    },
    put: (_scope, url, bytes) => writeWhole(fileFor(url), new Uint8Array(bytes)),
    delete: (_scope, url) => rm(fileFor(url), { force: true }),
  };
  return { store, folder };
}

/** Fetches one web-llm model into the kit (resuming), with the same checks the app makes in the browser. */
export function downloadWebLlmForKit(
  record: ModelLocation,
  modelsDir: string,
  opts: FetchOptions & { onBytes?: (loaded: number, total: number) => void } = {},
): Promise<DownloadSummary> {
  const { store } = kitWebLlmStore(record, modelsDir);
  return downloadModel(record, store, {
    signal: opts.signal,
    fetch: opts.fetch,
    where: new URL(record.model).origin,
    library: 'always',
    onProgress: (p) => opts.onBytes?.(p.loaded, p.total),
  });
}
