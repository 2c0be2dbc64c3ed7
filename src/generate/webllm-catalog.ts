/**
 * The web-llm models a user can pick, fetch ahead of time and delete, with what each needs and
 * what is already on this device. Runs in the LLM worker (it needs web-llm's model list, which the
 * page must not import: web-llm is one 6.8 MB module).
 */

import { webllmAppConfig } from './webllm-engine';
import { modelChoices, type ModelChoice } from './webllm-models';
import {
  artifactStore,
  cachedModelBytes,
  deleteModel,
  downloadModel,
  type DownloadSummary,
  type WebLlmCacheBackend,
} from './webllm-download';
import { AppError } from '../core/errors';
import type { Progress } from '../core/progress';
import { describeModelSource, type ModelSource } from '../platform/model-source';
import type { GpuStatus } from '../platform/webgpu';
import type { ModelRecord } from '@mlc-ai/web-llm';

export interface WebLlmCatalogRequest {
  source: ModelSource;
  cache: WebLlmCacheBackend;
}

export interface WebLlmModelRequest extends WebLlmCatalogRequest {
  model: string;
}

export interface WebLlmModelEntry extends ModelChoice {
  /** Bytes of weights stored on this device, or null when the model is not (fully) downloaded. */
  storedBytes: number | null;
}

function record(req: WebLlmModelRequest, pageOrigin: string): ModelRecord {
  const r = webllmAppConfig(req.source, pageOrigin).model_list.find((m) => m.model_id === req.model);
  if (!r)
    throw new AppError('ModelNotFound', `"${req.model}" is not a web-llm model this version knows. Pick one from the list.`, {
      model: req.model,
    });
  return r;
}

export async function listModels(req: WebLlmCatalogRequest, gpu: GpuStatus, pageOrigin: string): Promise<WebLlmModelEntry[]> {
  const list = webllmAppConfig(req.source, pageOrigin).model_list;
  const store = artifactStore(req.cache);
  const byId = new Map(list.map((r) => [r.model_id, r]));
  return Promise.all(
    modelChoices(list, gpu).map(async (c) => ({ ...c, storedBytes: await cachedModelBytes(byId.get(c.id)!, store).catch(() => null) })),
  );
}

export function fetchModel(
  req: WebLlmModelRequest,
  pageOrigin: string,
  opts: { signal?: AbortSignal | undefined; onProgress?: ((p: Progress) => void) | undefined },
): Promise<DownloadSummary> {
  return downloadModel(record(req, pageOrigin), artifactStore(req.cache), { ...opts, where: describeModelSource(req.source) });
}

export function removeModel(req: WebLlmModelRequest, pageOrigin: string): Promise<void> {
  return deleteModel(record(req, pageOrigin), artifactStore(req.cache));
}
