/** The web-llm model picker's list, on web-llm's own prebuilt model list, for three kinds of GPU. */
import { describe, expect, it } from 'vitest';
import { prebuiltAppConfig } from '@mlc-ai/web-llm';
import { modelChoices } from '../../src/generate/webllm-models';
import type { GpuStatus } from '../../src/platform/webgpu';

const LIST = prebuiltAppConfig.model_list;
const F16_GPU: GpuStatus = { available: true, shaderF16: true, maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 * 2 ** 30 };
const NO_F16_GPU: GpuStatus = { ...F16_GPU, shaderF16: false };

const find = (choices: ReturnType<typeof modelChoices>, family: string) => choices.find((c) => c.family === family);

describe('web-llm model choices', () => {
  it('with shader-f16: one q4f16 build per model, runnable small ones first', () => {
    const choices = modelChoices(LIST, F16_GPU);
    expect(find(choices, 'Llama-3.2-1B-Instruct-MLC')).toMatchObject({
      id: 'Llama-3.2-1B-Instruct-q4f16_1-MLC',
      runs: true,
      lowResource: true,
      contextWindow: 4096,
    });
    // One entry per model: no q4f32 twin, no unquantised build, no embedding models.
    expect(choices.filter((c) => c.family === 'Llama-3.2-1B-Instruct-MLC')).toHaveLength(1);
    expect(choices.some((c) => /q0f/.test(c.id))).toBe(false);
    expect(choices.some((c) => /snowflake|embed/i.test(c.id))).toBe(false);
    expect(choices.every((c) => c.runs)).toBe(true);
    // Ranked: every low-resource model before any other, smaller first within each.
    const firstHeavy = choices.findIndex((c) => !c.lowResource);
    expect(choices.slice(firstHeavy).every((c) => !c.lowResource)).toBe(true);
    const light = choices.slice(0, firstHeavy).map((c) => c.vramMB ?? Infinity);
    expect(light).toEqual([...light].sort((a, b) => a - b));
  });

  it('without shader-f16: the q4f32 build of the same model, and f16-only builds never offered as runnable', () => {
    const choices = modelChoices(LIST, NO_F16_GPU);
    expect(find(choices, 'Llama-3.2-1B-Instruct-MLC')).toMatchObject({ id: 'Llama-3.2-1B-Instruct-q4f32_1-MLC', runs: true });
    expect(find(choices, 'gemma-2-2b-it-MLC')!.id).toBe('gemma-2-2b-it-q4f32_1-MLC');
    for (const c of choices.filter((x) => x.runs)) expect(c.id, c.id).not.toMatch(/f16/);
  });

  it('with little GPU memory: models that need more are listed as not running, with the numbers', () => {
    const choices = modelChoices(LIST, F16_GPU, { maxVramMB: 1000 });
    expect(find(choices, 'SmolLM2-360M-Instruct-MLC')).toMatchObject({ runs: true });
    const phi = find(choices, 'Phi-3.5-mini-instruct-MLC')!;
    expect(phi.runs).toBe(false);
    expect(phi.why).toMatch(/Needs about \d+ MB of GPU memory; 1000 MB are allowed/);
    // Runnable ones come first.
    const firstOff = choices.findIndex((c) => !c.runs);
    expect(choices.slice(firstOff).every((c) => !c.runs)).toBe(true);
  });

  it('without WebGPU nothing runs, and each entry says why', () => {
    const choices = modelChoices(LIST, { available: false, reason: 'no adapter' });
    expect(choices.length).toBeGreaterThan(5);
    expect(choices.every((c) => !c.runs && c.why === 'This browser offers no WebGPU.')).toBe(true);
  });
});
