/**
 * Loads a transformers.js model folder from disk for the Node CLIs (eval, rag-eval): the folder's
 * name is the model id and its parent the local model path, as transformers.js resolves
 * `<localModelPath>/<model id>/...`. Runs on the CPU in fp32.
 */

import path from 'node:path';
import { TransformersEmbedder } from '../embed/transformers';
import type { EmbedderInfo } from '../embed/embedder';

export async function loadLocalEmbedder(folder: string): Promise<{ embedder: TransformersEmbedder; model: string; info: EmbedderInfo }> {
  const abs = path.resolve(folder);
  const model = path.basename(abs);
  const embedder = new TransformersEmbedder(() => Promise.resolve({ available: false, reason: 'not used by the CLIs', fix: '' }));
  const info = await embedder.load({ model, source: { kind: 'local', path: `${path.dirname(abs)}/` }, device: 'auto', dtype: 'fp32' });
  return { embedder, model, info };
}
