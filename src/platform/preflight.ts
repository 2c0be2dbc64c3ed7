/**
 * The capability preflight: before anything is downloaded, what this machine and browser can do
 * and what to change, in plain words. Pure (the page gathers the facts), so every case is tested
 * without the hardware it describes.
 */

import type { GpuStatus } from './webgpu';
import type { StorageEstimate } from './persistence';

export type CheckLevel = 'ok' | 'warn' | 'bad';

/** Where saving the app for offline use stands (the service worker's lifecycle). */
export type OfflineStatus =
  /** No service worker: a browser without them (or with them off, as in some private windows). */
  | 'unsupported'
  /** The development server (`npm run dev`): it serves no service worker, so nothing is ever saved. */
  | 'development'
  /** Registering, or saving the app for offline use on a first visit. */
  | 'saving'
  /** The app is saved: it opens and works with the network off. */
  | 'ready'
  | 'error';

export interface Check {
  id: 'secure' | 'webgpu' | 'f16' | 'buffers' | 'storage' | 'offline';
  level: CheckLevel;
  title: string;
  detail: string;
  /** What to do about it, when anything can be done. */
  fix?: string;
}

export interface PreflightFacts {
  secureContext: boolean;
  /** null while the probe runs. */
  gpu: GpuStatus | null;
  storage: StorageEstimate | null;
  offline: OfflineStatus;
  /** Bytes a first visit needs for the default models (see FIRST_USE_BYTES). */
  needBytes?: number;
}

/**
 * What a first question downloads with the default settings: the embedding model and the default
 * language model. ~0.9 GB for web-llm's Llama 3.2 1B q4f16 plus ~130 MB for bge-small, rounded up
 * for the q4f32 build (no shader-f16) and the app itself.
 */
export const FIRST_USE_BYTES = 1.5 * 1024 ** 3;

const gb = (n: number): string => `${(n / 1024 ** 3).toFixed(1)} GB`;
const mb = (n: number): string => `${Math.floor(n / 1024 ** 2)} MB`;

export function preflight(f: PreflightFacts): Check[] {
  const checks: Check[] = [];
  checks.push(
    f.secureContext
      ? { id: 'secure', level: 'ok', title: 'Secure page', detail: 'WebGPU, offline use and persistent storage are allowed here.' }
      : {
          id: 'secure',
          level: 'bad',
          title: 'Not a secure page',
          detail: 'Browsers offer WebGPU, offline use and persistent storage only on https pages or on localhost.',
          fix: 'Open ragscope over https, or serve it on this computer and open http://localhost (the workshop kit does this).',
        },
  );
  const gpu = f.gpu;
  if (gpu === null) {
    checks.push({ id: 'webgpu', level: 'warn', title: 'Checking the GPU…', detail: 'Asking the browser for a WebGPU adapter.' });
  } else if (!gpu.available) {
    checks.push({
      id: 'webgpu',
      level: 'bad',
      title: 'No WebGPU',
      detail: `${gpu.reason ?? 'This browser offers no WebGPU.'} Everything still works on the CPU (WASM), several times slower.`,
      ...(gpu.fix ? { fix: gpu.fix } : {}),
    });
  } else if (gpu.isFallbackAdapter) {
    checks.push({
      id: 'webgpu',
      level: 'warn',
      title: 'WebGPU runs in software',
      detail: 'The browser offers only a software adapter (no GPU acceleration), so answers use the CPU engine (transformers.js on WASM).',
      fix: 'Turn on hardware acceleration in the browser settings, and check chrome://gpu for "WebGPU: Hardware accelerated".',
    });
  } else {
    const name = [gpu.vendor, gpu.architecture].filter(Boolean).join(' ') || gpu.description || 'a GPU';
    checks.push({ id: 'webgpu', level: 'ok', title: 'WebGPU', detail: `Hardware adapter: ${name}. Answers run on the GPU (web-llm).` });
  }
  if (gpu?.available) {
    checks.push(
      gpu.shaderF16
        ? { id: 'f16', level: 'ok', title: '16-bit shaders', detail: 'shader-f16 is available: the smaller, faster q4f16 models run here.' }
        : {
            id: 'f16',
            level: 'warn',
            title: 'No 16-bit shaders',
            detail: 'This GPU lacks shader-f16, so ragscope uses the q4f32 build of each model (larger downloads, more GPU memory).',
          },
    );
    const limit = gpu.maxStorageBufferBindingSize ?? gpu.maxBufferSize;
    if (limit !== undefined) {
      checks.push({
        id: 'buffers',
        level: limit < 256 * 1024 ** 2 ? 'warn' : 'ok',
        title: 'Largest GPU buffer',
        detail: `${mb(limit)} per buffer. Browsers do not report GPU memory: a model too large for it fails with “device lost”.`,
      });
    }
  }
  const need = f.needBytes ?? FIRST_USE_BYTES;
  if (f.storage) {
    const free = f.storage.quota - f.storage.usage;
    checks.push(
      free >= need
        ? {
            id: 'storage',
            level: 'ok',
            title: 'Storage',
            detail: `${gb(free)} free for ragscope; the default models need about ${gb(need)}.`,
          }
        : {
            id: 'storage',
            level: 'bad',
            title: 'Too little storage',
            detail: `Only ${gb(free)} is free for ragscope; the default models need about ${gb(need)}.`,
            fix: 'Free disk space (the browser allows a share of the free disk), leave private browsing, or choose a smaller model in Settings.',
          },
    );
  } else {
    checks.push({
      id: 'storage',
      level: 'warn',
      title: 'Storage unknown',
      detail: 'The browser does not say how much storage ragscope may use.',
    });
  }
  checks.push(offlineCheck(f.offline));
  return checks;
}

function offlineCheck(status: OfflineStatus): Check {
  switch (status) {
    case 'ready':
      return {
        id: 'offline',
        level: 'ok',
        title: 'Works offline',
        detail: 'The app is saved on this device; models work offline once downloaded.',
      };
    case 'development':
      // Promising a save here would be wrong: the development server never offers one.
      return {
        id: 'offline',
        level: 'warn',
        title: 'Not saved for offline use (development server)',
        detail: 'npm run dev serves no service worker, so the app is not saved on this device and needs this server running.',
        fix: 'To try offline use, build and serve the app: npm run build, then npm run preview.',
      };
    case 'unsupported':
    case 'error':
      return {
        id: 'offline',
        level: 'warn',
        title: 'Not saved for offline use',
        detail:
          'This browser did not let ragscope save itself (service workers are off here, as in some private windows); it works while its server is reachable.',
      };
    case 'saving':
      return {
        id: 'offline',
        level: 'warn',
        title: 'Not saved for offline use yet',
        detail: 'The app saves itself on the first visit over https or localhost; until then it needs its server.',
      };
  }
}

export interface ModelFit {
  id: string;
  runs: boolean;
  lowResource: boolean;
  vramMB: number | null;
}

/**
 * Up to `n` web-llm models to suggest: ones this GPU runs, marked for small GPUs, that fit in the
 * free storage (GPU memory in MB approximates the download), smallest first, so the first one is the
 * quick start and the last the strongest that still fits.
 */
export function recommendModels<M extends ModelFit>(entries: readonly M[], freeBytes: number | null, n = 3): M[] {
  const fits = entries.filter(
    (e) => e.runs && e.lowResource && (freeBytes === null || e.vramMB === null || e.vramMB * 1024 ** 2 < freeBytes),
  );
  const sorted = [...fits].sort((a, b) => (a.vramMB ?? Infinity) - (b.vramMB ?? Infinity));
  if (sorted.length <= n) return sorted;
  // Spread over the range: the smallest, the largest that fits, and ones between.
  return Array.from({ length: n }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (n - 1))]!);
}
