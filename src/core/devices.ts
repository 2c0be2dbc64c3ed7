/**
 * Where a model runs and in which ONNX weight variant: the vocabulary shared by settings, the
 * embedder, the reranker, the transformers.js chat engine and the kit.
 */

/** 'auto' tries WebGPU and falls back to WASM (see platform/transformers-env.ts). */
export type DevicePreference = 'auto' | 'webgpu' | 'wasm';

/**
 * ONNX weight variants transformers.js can load; 'auto' picks per backend (see embed/transformers.ts).
 * The list is what settings validation and the kit's --embed-dtype/--tjs-dtype accept.
 */
export const ONNX_DTYPES = ['auto', 'fp32', 'fp16', 'q8', 'q4', 'q4f16'] as const;
export type OnnxDtype = (typeof ONNX_DTYPES)[number];
