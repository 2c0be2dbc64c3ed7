/**
 * Which of web-llm's prebuilt chat models this GPU can run, one entry per model (not per quantised
 * build), ranked for a picker: runnable first, then those web-llm marks as low-resource, then
 * smaller. Pure and DOM-free (the GPU is described by `GpuStatus`), so it is tested on web-llm's own
 * prebuilt list.
 *
 * Per model: the q4f16 build where the adapter has `shader-f16` (smaller, faster), else the q4f32
 * build. Unquantised builds (q0) are left out unless asked for: several GB for the same model.
 */

import type { ModelRecord } from '@mlc-ai/web-llm';
import type { GpuStatus } from '../platform/webgpu';
import { needsShaderF16 } from './webllm-engine';

export interface ModelChoice {
  /** web-llm model id of the build chosen for this GPU. */
  id: string;
  /** The model with the quantisation taken out of its id, e.g. "Llama-3.2-1B-Instruct-MLC". */
  family: string;
  /** GPU memory web-llm says the build needs, MB (roughly its download size too). */
  vramMB: number | null;
  /** web-llm's mark for models meant for phones and small GPUs. */
  lowResource: boolean;
  /** Tokens the model reads at once (prompt and answer), when the record says. */
  contextWindow: number | null;
  /** Whether this GPU can run it; when false, `why` says what is missing. */
  runs: boolean;
  why?: string;
}

export interface ChoiceOptions {
  /**
   * GPU memory to allow, MB, when known (WebGPU does not report it; a user or a device profile may).
   * Models needing more are listed as not running. Default: no limit.
   */
  maxVramMB?: number;
  /** List unquantised (q0) builds too. Default false. */
  includeUnquantized?: boolean;
}

// web-llm's model types: 0 = LLM, 1 = embedding, 2 = vision-language.
const CHAT_MODEL = 0;
const QUANT = /-q(\d)f(16|32)(?:_\d+)?(?=-|$)/;

function family(id: string): string {
  return id.replace(QUANT, '');
}

function choice(r: ModelRecord, gpu: GpuStatus, opts: ChoiceOptions): ModelChoice {
  const out: ModelChoice = {
    id: r.model_id,
    family: family(r.model_id),
    vramMB: r.vram_required_MB ?? null,
    lowResource: r.low_resource_required ?? false,
    contextWindow: r.overrides?.context_window_size ?? null,
    runs: true,
  };
  const limit = gpu.maxStorageBufferBindingSize ?? gpu.maxBufferSize;
  let why: string | undefined;
  if (!gpu.available) why = 'This browser offers no WebGPU.';
  else if (needsShaderF16(r) && !gpu.shaderF16) why = 'Needs 16-bit float shaders (shader-f16), which this GPU does not offer.';
  else if (opts.maxVramMB !== undefined && out.vramMB !== null && out.vramMB > opts.maxVramMB) {
    why = `Needs about ${Math.ceil(out.vramMB)} MB of GPU memory; ${opts.maxVramMB} MB are allowed.`;
  } else if (r.buffer_size_required_bytes !== undefined && limit !== undefined && r.buffer_size_required_bytes > limit) {
    why = `Needs GPU buffers of ${Math.ceil(r.buffer_size_required_bytes / 1_048_576)} MB; this GPU allows ${Math.floor(limit / 1_048_576)} MB.`;
  }
  if (why !== undefined) {
    out.runs = false;
    out.why = why;
  }
  return out;
}

export function modelChoices(list: readonly ModelRecord[], gpu: GpuStatus, opts: ChoiceOptions = {}): ModelChoice[] {
  const byFamily = new Map<string, ModelRecord[]>();
  for (const r of list) {
    if ((r.model_type ?? CHAT_MODEL) !== CHAT_MODEL) continue;
    const q = QUANT.exec(r.model_id);
    if (!q || (q[1] === '0' && !opts.includeUnquantized)) continue;
    const key = `${family(r.model_id)}|q${q[1]}`;
    const group = byFamily.get(key);
    if (group) group.push(r);
    else byFamily.set(key, [r]);
  }
  const out: ModelChoice[] = [];
  for (const builds of byFamily.values()) {
    // The f16 build where it runs, else the f32 one; a family with only an f16 build is listed as not running.
    const f16 = builds.find((r) => /f16/.test(QUANT.exec(r.model_id)![0]));
    const f32 = builds.find((r) => /f32/.test(QUANT.exec(r.model_id)![0]));
    const pick = gpu.shaderF16 ? (f16 ?? f32) : (f32 ?? f16);
    if (pick) out.push(choice(pick, gpu, opts));
  }
  return out.sort(
    (a, b) =>
      Number(b.runs) - Number(a.runs) ||
      Number(b.lowResource) - Number(a.lowResource) ||
      (a.vramMB ?? Infinity) - (b.vramMB ?? Infinity) ||
      (a.id < b.id ? -1 : 1),
  );
}
