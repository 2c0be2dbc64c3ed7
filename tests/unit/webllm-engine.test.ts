// web-llm's model list, source rewriting and error wording. Inference itself cannot run here
// (no compiled model libraries); fetching from a mirror is covered by the engine tests of issue 5.
import { describe, expect, it } from 'vitest';
import { prebuiltAppConfig } from '@mlc-ai/web-llm';
import { chooseRecord, webllmAppConfig, webllmError, webllmProgress } from '../../src/generate/webllm-engine';
import type { GpuStatus } from '../../src/platform/webgpu';

const F16: GpuStatus = { available: true, shaderF16: true };
const NO_F16: GpuStatus = { available: true, shaderF16: false };
const HUB = { kind: 'hub' } as const;

describe('web-llm engine helpers', () => {
  it('keeps the hub URLs by default', () => {
    const cfg = webllmAppConfig(HUB, 'http://localhost:5173');
    expect(cfg.model_list).toBe(prebuiltAppConfig.model_list);
  });

  it('points every model and library at a mirror, hub-shaped', () => {
    const cfg = webllmAppConfig({ kind: 'mirror', baseUrl: 'https://room.lan/models/' }, 'http://localhost');
    const r = cfg.model_list.find((m) => m.model_id === 'Llama-3.2-1B-Instruct-q4f32_1-MLC')!;
    expect(r.model).toBe('https://room.lan/models/mlc-ai/Llama-3.2-1B-Instruct-q4f32_1-MLC');
    expect(r.model_lib).toMatch(/^https:\/\/room\.lan\/models\/mlc-ai\/Llama-3\.2-1B-Instruct-q4f32_1-MLC\/resolve\/main\/[^/]+\.wasm$/);
  });

  it('resolves a local source against the page origin', () => {
    const cfg = webllmAppConfig({ kind: 'local', path: '/models/' }, 'http://127.0.0.1:4000');
    expect(cfg.model_list[0]!.model.startsWith('http://127.0.0.1:4000/models/')).toBe(true);
  });

  it('swaps a q4f16 model for its q4f32 sibling when the GPU lacks shader-f16', () => {
    const list = prebuiltAppConfig.model_list;
    expect(chooseRecord(list, 'Llama-3.2-1B-Instruct-q4f16_1-MLC', F16).record.model_id).toBe('Llama-3.2-1B-Instruct-q4f16_1-MLC');
    const swapped = chooseRecord(list, 'Llama-3.2-1B-Instruct-q4f16_1-MLC', NO_F16);
    expect(swapped.record.model_id).toBe('Llama-3.2-1B-Instruct-q4f32_1-MLC');
    expect(swapped.note).toMatch(/shader-f16/);
  });

  it('refuses unknown model ids by name', () => {
    expect(() => chooseRecord(prebuiltAppConfig.model_list, 'nope', F16)).toThrow(expect.objectContaining({ name: 'ModelNotFound' }));
  });

  it.each([
    ['TypeError: Failed to fetch', 'ModelDownloadFailed'],
    ["Failed to execute 'add' on 'Cache': Request failed", 'ModelNotFound'],
    ['SyntaxError: Unexpected token \'<\', "<!doctype "... is not valid JSON', 'ModelNotFound'],
    ['Error: Unable to find a compatible GPU.', 'WebGPUUnavailable'],
    ['CompileError: WebAssembly.instantiate(): expected magic word', 'ModelLibraryUnavailable'],
    ['QuotaExceededError: The quota has been exceeded.', 'ModelDownloadFailed'],
    ['Device was lost. This can happen due to insufficient memory', 'DeviceLost'],
  ])('maps %s to %s', (text, name) => {
    const e = webllmError(text, 'M', HUB);
    expect(e.name).toBe(name);
    expect(e.causeText).toBe(text);
    expect(e.message.length).toBeGreaterThan(20);
  });

  it('turns its progress fraction into rising steps that end done', () => {
    const a = webllmProgress({ progress: 0.5, timeElapsed: 1, text: 'Fetching param cache[1/2]' }, 'M', null);
    const b = webllmProgress({ progress: 0.4, timeElapsed: 2, text: 'Loading GPU shader modules' }, 'M', a);
    const c = webllmProgress({ progress: 1, timeElapsed: 3, text: 'Finish loading on WebGPU' }, 'M', b);
    expect(a.stage).toBe('download');
    expect(b.stage).toBe('compile');
    expect(b.loaded).toBe(500);
    expect(c).toMatchObject({ done: true, loaded: 1000, total: 1000 });
  });
});
