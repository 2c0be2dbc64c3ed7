// The capability preflight: each problem a user can have, said plainly, with its fix.
import { describe, expect, it } from 'vitest';
import { preflight, recommendModels, FIRST_USE_BYTES, type Check } from '../../src/platform/preflight';

const GB = 1024 ** 3;
const HW = {
  available: true,
  vendor: 'nvidia',
  architecture: 'ampere',
  shaderF16: true,
  maxStorageBufferBindingSize: 2 * GB,
  maxBufferSize: 4 * GB,
};
const ok = { secureContext: true, gpu: HW, storage: { usage: 0, quota: 50 * GB }, offline: 'ready' } as const;
const by = (checks: Check[], id: Check['id']): Check | undefined => checks.find((c) => c.id === id);

describe('preflight', () => {
  it('a capable machine passes every check', () => {
    const checks = preflight(ok);
    expect(checks.map((c) => [c.id, c.level])).toEqual([
      ['secure', 'ok'],
      ['webgpu', 'ok'],
      ['f16', 'ok'],
      ['buffers', 'ok'],
      ['storage', 'ok'],
      ['offline', 'ok'],
    ]);
    expect(by(checks, 'webgpu')!.detail).toMatch(/nvidia ampere/);
  });

  it('plain http from another machine: not secure, no WebGPU, both with a fix', () => {
    const checks = preflight({
      ...ok,
      secureContext: false,
      gpu: { available: false, reason: 'WebGPU is only offered to secure pages.', fix: 'Open the app at http://localhost.' },
      offline: 'saving',
    });
    expect(by(checks, 'secure')).toMatchObject({ level: 'bad', fix: expect.stringMatching(/https.*localhost/) });
    expect(by(checks, 'webgpu')).toMatchObject({ level: 'bad', fix: 'Open the app at http://localhost.' });
    expect(by(checks, 'webgpu')!.detail).toMatch(/still works on the CPU/);
    expect(by(checks, 'f16')).toBeUndefined();
    expect(by(checks, 'offline')!.level).toBe('warn');
  });

  it('a software adapter without shader-f16 and a nearly full disk are warned about', () => {
    const checks = preflight({
      ...ok,
      gpu: { available: true, isFallbackAdapter: true, shaderF16: false, maxStorageBufferBindingSize: 128 * 1024 ** 2 },
      storage: { usage: 9 * GB, quota: 10 * GB },
    });
    expect(by(checks, 'webgpu')).toMatchObject({ level: 'warn', fix: expect.stringMatching(/hardware acceleration/) });
    expect(by(checks, 'f16')).toMatchObject({ level: 'warn', detail: expect.stringMatching(/q4f32/) });
    expect(by(checks, 'buffers')).toMatchObject({ level: 'warn', detail: expect.stringMatching(/^128 MB/) });
    expect(by(checks, 'storage')).toMatchObject({ level: 'bad', detail: expect.stringMatching(/Only 1\.0 GB/) });
    expect(FIRST_USE_BYTES).toBeGreaterThan(GB);
  });

  it('on the development server the offline check says there is no service worker, instead of promising a save', () => {
    const offline = by(preflight({ ...ok, offline: 'development' }), 'offline')!;
    expect(offline.level).toBe('warn');
    expect(`${offline.title} ${offline.detail}`).toMatch(/development server/);
    expect(offline.detail).toMatch(/no service worker/);
    expect(offline.detail).not.toMatch(/saves itself/);
    expect(offline.fix).toMatch(/npm run build.*npm run preview/);
    // A first visit to a build still is promised its save.
    expect(by(preflight({ ...ok, offline: 'saving' }), 'offline')!.detail).toMatch(/saves itself on the first visit/);
  });

  it('recommends small-GPU models that run and fit the free storage, smallest to strongest', () => {
    const m = (id: string, vramMB: number, runs = true, lowResource = true) => ({ id, vramMB, runs, lowResource });
    const list = [m('a', 500), m('b', 900), m('c', 1500), m('d', 2500), m('big', 6000, true, false), m('f16-only', 700, false)];
    expect(recommendModels(list, 10 * GB).map((x) => x.id)).toEqual(['a', 'c', 'd']);
    expect(recommendModels(list, 1 * GB).map((x) => x.id)).toEqual(['a', 'b']);
    expect(recommendModels(list, null, 5).map((x) => x.id)).toEqual(['a', 'b', 'c', 'd']);
  });
});
