// What the status card says for each kind of browser. The real adapter is tested in Chromium
// (tests/browser); here the browser's answers are stand-ins so every branch is covered.
import { describe, expect, it } from 'vitest';
import { probeWebGPU, webgpuFix } from '../../src/platform/webgpu';

const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0';
const SAFARI = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15';

function gpuWith(adapter: unknown): GPU {
  return { requestAdapter: async () => adapter } as unknown as GPU;
}

describe('probeWebGPU', () => {
  it('explains that plain http on another machine disables WebGPU', async () => {
    const s = await probeWebGPU({ gpu: undefined, userAgent: CHROME_LINUX, isSecureContext: false });
    expect(s.available).toBe(false);
    expect(s.reason).toMatch(/secure/);
    expect(s.fix).toMatch(/localhost|https/);
  });

  it('names the Linux flag when Chrome on Linux has no navigator.gpu', async () => {
    const s = await probeWebGPU({ gpu: undefined, userAgent: CHROME_LINUX, isSecureContext: true });
    expect(s.fix).toMatch(/enable-unsafe-webgpu/);
  });

  it('gives browser-specific fixes', () => {
    expect(webgpuFix(FIREFOX)).toMatch(/Firefox/);
    expect(webgpuFix(SAFARI)).toMatch(/Safari 26/);
  });

  it('says when WebGPU exists but no adapter is usable', async () => {
    const s = await probeWebGPU({ gpu: gpuWith(null), userAgent: CHROME_LINUX, isSecureContext: true });
    expect(s.available).toBe(false);
    expect(s.reason).toMatch(/no usable GPU adapter/);
  });

  it('reports adapter details, fallback and shader-f16', async () => {
    const adapter = {
      info: { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true },
      features: new Set<string>(),
      limits: { maxBufferSize: 268435456, maxStorageBufferBindingSize: 134217728 },
    };
    const s = await probeWebGPU({ gpu: gpuWith(adapter), userAgent: CHROME_LINUX, isSecureContext: true });
    expect(s).toMatchObject({ available: true, vendor: 'google', isFallbackAdapter: true, shaderF16: false, maxBufferSize: 268435456 });
  });
});
