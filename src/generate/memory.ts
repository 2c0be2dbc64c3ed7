/**
 * How much GPU memory a local chat model needs, and how much this GPU lets the local models hold at
 * once: the two numbers a comparison of several models needs to decide whether a second model can
 * be loaded beside the first or must replace it (src/compare/panes.ts). DOM-free and pure.
 *
 * WebGPU does not report a GPU's memory (a privacy choice of the API), so the budget is either the
 * figure the user gives for their GPU or a lower bound the adapter does report; both are scaled by
 * MODEL_MEMORY_SHARE. Erring low only costs a reload (a swap the plan announces), where erring high
 * would fail a load or lose the device in the middle of a comparison.
 */

import type { GpuStatus } from '../platform/webgpu';

const MiB = 1024 * 1024;

/**
 * Share of the GPU's memory the local chat models may take together: the rest is the browser's,
 * the display's and the embedding model's (bge-small: ~130 MB in fp32). Range (0, 1]; default 0.8:
 * a rule of thumb (a fifth of a 4 GB GPU is ~800 MB for everything else), not a measurement.
 */
export const MODEL_MEMORY_SHARE = 0.8;

/**
 * GPU memory a transformers.js model takes per byte of its weight file. ONNX Runtime uploads the
 * weights as the file holds them (4-bit weights stay packed) and adds its working buffers and the
 * KV cache; for the small chat models this engine runs, those come to about a quarter of the
 * weights at a few thousand tokens of context (Qwen2.5 0.5B: 24 layers × 2 KV heads × 64 dims ×
 * 2048 tokens × 4 bytes × 2 ≈ 50 MB beside ~460 MB of q4 weights, plus activations). An estimate,
 * not a measurement: the build machines have no GPU. Range ≥ 1 (the weights alone); default 1.25.
 */
export const TRANSFORMERS_MEMORY_FACTOR = 1.25;

/** GPU memory the local models may hold at once. */
export interface MemoryBudget {
  /** MB the local chat models may take together. */
  mb: number;
  /**
   * 'stated': the user's figure for this GPU; 'adapter': WebGPU's largest single buffer, a lower
   * bound (no GPU lets one buffer be larger than its memory; most have much more).
   */
  from: 'stated' | 'adapter';
}

/**
 * The budget for local models: MODEL_MEMORY_SHARE of the GPU memory the user stated (MB), else of
 * the adapter's `maxBufferSize`; null when neither is known (no WebGPU, or a stated 0), in which
 * case a plan holds one local model at a time.
 */
export function gpuBudget(gpu: Pick<GpuStatus, 'available' | 'maxBufferSize'> | null, statedMB?: number | null): MemoryBudget | null {
  if (statedMB !== undefined && statedMB !== null && Number.isFinite(statedMB) && statedMB > 0) {
    return { mb: Math.floor(statedMB * MODEL_MEMORY_SHARE), from: 'stated' };
  }
  if (gpu?.available && gpu.maxBufferSize !== undefined && gpu.maxBufferSize > 0) {
    return { mb: Math.floor((gpu.maxBufferSize / MiB) * MODEL_MEMORY_SHARE), from: 'adapter' };
  }
  return null;
}

/**
 * GPU memory a transformers.js chat model needs, MB, from the size of its weight file(s) in bytes
 * (the cached or served files: src/platform/model-cache.ts lists them). On WASM it needs none (its
 * memory is its worker's own heap), so 0; null when the size is unknown.
 */
export function transformersNeedMB(weightBytes: number | null, onGpu: boolean): number | null {
  if (!onGpu) return 0;
  if (weightBytes === null || !Number.isFinite(weightBytes) || weightBytes <= 0) return null;
  return Math.ceil((weightBytes / MiB) * TRANSFORMERS_MEMORY_FACTOR);
}

/** MB as people read them: "880 MB", "1.9 GB". */
export function formatMB(mb: number): string {
  if (mb < 1024) return `${Math.round(mb)} MB`;
  return `${(mb / 1024).toFixed(1).replace(/\.0$/, '')} GB`;
}
