/**
 * What WebGPU this browser offers, and if none, why and how to fix it.
 *
 * DOM-free (uses only `navigator.gpu`, which pages and workers both have), so the page shows the
 * same answer the workers act on. The fix texts name the user's browser: a generic "WebGPU is not
 * available" leaves people stuck.
 */

export interface GpuStatus {
  available: boolean;
  /** Why there is no adapter (only when `available` is false). */
  reason?: string;
  /** What the user can do about it (only when `available` is false). */
  fix?: string;
  vendor?: string;
  architecture?: string;
  description?: string;
  /** A software (e.g. SwiftShader) adapter: works, but slowly. */
  isFallbackAdapter?: boolean;
  /** Needed by web-llm's q4f16 models; without it only q4f32 models run. */
  shaderF16?: boolean;
  /** Largest single buffer in bytes; bounds the size of model a device can hold. */
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
}

export interface ProbeEnvironment {
  gpu?: GPU | undefined;
  userAgent: string;
  isSecureContext: boolean;
}

function currentEnvironment(): ProbeEnvironment {
  // The page's Navigator has what a worker's has: WorkerNavigator types both, without the DOM.
  const nav = (globalThis as { navigator?: WorkerNavigator }).navigator;
  return {
    gpu: nav && 'gpu' in nav ? nav.gpu : undefined,
    userAgent: nav?.userAgent ?? '',
    isSecureContext: (globalThis as { isSecureContext?: boolean }).isSecureContext ?? true,
  };
}

/** A browser-specific instruction for turning WebGPU on. */
export function webgpuFix(userAgent: string): string {
  const ua = userAgent.toLowerCase();
  if (ua.includes('firefox')) {
    return 'Firefox ships WebGPU on Windows from version 141; elsewhere set dom.webgpu.enabled to true in about:config, or use Chrome or Edge 113+.';
  }
  if (ua.includes('safari') && !ua.includes('chrome') && !ua.includes('chromium')) {
    return 'Update to Safari 26 or later (WebGPU is on by default there), or use Chrome or Edge 113+.';
  }
  if (ua.includes('linux') && !ua.includes('android')) {
    return 'On Linux, Chrome and Edge need WebGPU switched on: open chrome://flags, enable "Unsafe WebGPU Support" (#enable-unsafe-webgpu) and Vulkan (#enable-vulkan), then relaunch.';
  }
  if (ua.includes('chrome') || ua.includes('edg/')) {
    return 'Update Chrome or Edge to version 113 or later; if it is current, check chrome://gpu for "WebGPU: Hardware accelerated" and that hardware acceleration is on in Settings → System.';
  }
  return 'Use Chrome or Edge 113 or later (or Safari 26+).';
}

export async function probeWebGPU(envIn?: ProbeEnvironment): Promise<GpuStatus> {
  const env = envIn ?? currentEnvironment();
  if (!env.gpu) {
    if (!env.isSecureContext) {
      return {
        available: false,
        reason: 'WebGPU is only offered to secure pages, and this page was opened over plain http from another machine.',
        fix: 'Open the app at http://localhost (serve it on this computer) or over https.',
      };
    }
    return { available: false, reason: 'This browser does not offer WebGPU.', fix: webgpuFix(env.userAgent) };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await env.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return {
      available: false,
      reason: `The browser refused to open the GPU: ${e instanceof Error ? e.message : String(e)}.`,
      fix: webgpuFix(env.userAgent),
    };
  }
  if (!adapter) {
    return {
      available: false,
      reason: 'WebGPU is present but found no usable GPU adapter (the GPU or its driver may be blocklisted).',
      fix: webgpuFix(env.userAgent),
    };
  }
  const info = adapter.info;
  // `isFallbackAdapter` moved from the adapter to its info object; read both for older browsers.
  const legacyFallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const infoFallback = (info as unknown as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter;
  return {
    available: true,
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: Boolean(infoFallback ?? legacyFallback ?? false),
    shaderF16: adapter.features.has('shader-f16'),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
}
