import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/settings/defaults';
import { restoreSettings, validateSettings, withOverrides } from '../../src/settings/validate';
import { parseModelSource } from '../../src/platform/model-source';
import { parseBuildDefaults } from '../../src/settings/build-defaults';
import { chatLoadRequest, embedLoadRequest, engineFor, rerankLoadRequest } from '../../src/settings/engines';

describe('settings', () => {
  it('restores missing keys from defaults', () => {
    const { settings, problems } = restoreSettings({ llm: { maxTokens: 64 } });
    expect(settings.llm.maxTokens).toBe(64);
    expect(settings.embedding).toEqual(DEFAULT_SETTINGS.embedding);
    expect(problems).toEqual([]);
  });

  it('replaces each bad value by its default and says which', () => {
    const { settings, problems } = restoreSettings({
      modelSource: 'ftp://x',
      embedding: { device: 'tpu', batchSize: 0 },
      llm: { temperature: 'hot', seed: 1.5, gpuMemoryMB: -8 },
    });
    expect(settings.modelSource).toBe('');
    expect(settings.embedding.device).toBe('auto');
    expect(settings.embedding.batchSize).toBe(16);
    expect(settings.llm.temperature).toBe(0);
    expect(settings.llm.seed).toBe(42);
    expect(settings.llm.gpuMemoryMB).toBe(0);
    expect(problems.map((p) => p.key).sort()).toEqual([
      'embedding.batchSize',
      'embedding.device',
      'llm.gpuMemoryMB',
      'llm.seed',
      'llm.temperature',
      'modelSource',
    ]);
  });

  it('keeps overlap at most half a chunk', () => {
    const { settings, problems } = restoreSettings({ ingest: { chunkTokens: 64, overlapTokens: 40 } });
    expect(settings.ingest.overlapTokens).toBeLessThanOrEqual(32);
    expect(problems[0]?.key).toBe('ingest.overlapTokens');
  });

  it('survives garbage', () => {
    expect(restoreSettings('not an object').settings).toEqual(DEFAULT_SETTINGS);
    expect(restoreSettings(null).settings).toEqual(DEFAULT_SETTINGS);
  });

  it('refuses invalid edits with a named error listing every problem', () => {
    expect(() => validateSettings({ ...DEFAULT_SETTINGS, embedding: { ...DEFAULT_SETTINGS.embedding, model: ' ' } })).toThrow(
      expect.objectContaining({ name: 'InvalidSettings', message: expect.stringContaining('Embedding model') }),
    );
  });

  it('names an invalid setting by the label the Settings form shows, not by its key', () => {
    const tooMuchOverlap = { ...DEFAULT_SETTINGS, ingest: { ...DEFAULT_SETTINGS.ingest, chunkTokens: 64, overlapTokens: 40 } };
    expect(() => validateSettings(tooMuchOverlap)).toThrow(
      expect.objectContaining({
        name: 'InvalidSettings',
        message: 'Some settings are not valid: Chunk overlap (tokens) must be at most half the chunk size (32).',
      }),
    );
    // The command line and RAGSCOPE_DEFAULTS, where the key was typed, still name the key.
    expect(() => validateSettings(tooMuchOverlap, 'key')).toThrow(/ingest\.overlapTokens must be at most half the chunk size \(32\)/);
  });

  it('applies per-run overrides over saved settings', () => {
    const s = withOverrides(DEFAULT_SETTINGS, { llm: { temperature: 0.7 } });
    expect(s.llm.temperature).toBe(0.7);
    expect(s.llm.maxTokens).toBe(DEFAULT_SETTINGS.llm.maxTokens);
  });

  it('accepts the three kinds of model source', () => {
    expect(parseModelSource('')).toEqual({ kind: 'hub' });
    expect(parseModelSource('/models/')).toEqual({ kind: 'local', path: '/models/' });
    expect(parseModelSource('https://mirror.lan/m')).toEqual({ kind: 'mirror', baseUrl: 'https://mirror.lan/m/' });
    expect(parseModelSource('http://127.0.0.1:5173/models', 'http://127.0.0.1:5173')).toEqual({ kind: 'local', path: '/models/' });
    expect(restoreSettings({ modelSource: '/models' }).problems[0]?.message).toMatch(/end with "\/"/);
  });
});

describe('build defaults (RAGSCOPE_DEFAULTS)', () => {
  it('lays a build’s settings over the defaults, and refuses invalid ones by name', () => {
    const s = parseBuildDefaults('{"modelSource":"/models/","llm":{"engine":"transformers"}}');
    expect(s.modelSource).toBe('/models/');
    expect(s.llm.engine).toBe('transformers');
    expect(s.llm.seed).toBe(DEFAULT_SETTINGS.llm.seed);
    expect(parseBuildDefaults('')).toBe(DEFAULT_SETTINGS);
    expect(() => parseBuildDefaults('{"retrieval":{"topK":0}}')).toThrow(/retrieval.topK/);
    expect(() => parseBuildDefaults('[1]')).toThrow(/JSON object/);
    expect(() => parseBuildDefaults('{nope')).toThrow(/not JSON/);
  });
});

describe('which engine and model this machine loads (settings/engines.ts)', () => {
  const hardware = { available: true, isFallbackAdapter: false, shaderF16: true };
  const software = { available: true, isFallbackAdapter: true };
  const none = { available: false, reason: 'no adapter' };

  it("'auto' is web-llm on a hardware GPU only; elsewhere (software adapter, none, not probed yet) the transformers.js engine", () => {
    expect(engineFor(DEFAULT_SETTINGS, hardware)).toBe('webllm');
    expect(engineFor(DEFAULT_SETTINGS, software)).toBe('transformers');
    expect(engineFor(DEFAULT_SETTINGS, none)).toBe('transformers');
    expect(engineFor(DEFAULT_SETTINGS, null)).toBe('transformers');
    const forced = withOverrides(DEFAULT_SETTINGS, { llm: { engine: 'webllm' } });
    expect(engineFor(forced, none)).toBe('webllm');
  });

  it('every view asks for the same load: the engine’s own model, from the app’s folder when it is served on this origin', () => {
    const s = withOverrides(DEFAULT_SETTINGS, { modelSource: 'https://app.example/models/' });
    const req = chatLoadRequest(s, software, 'https://app.example');
    expect(req).toMatchObject({ engine: 'transformers', model: s.llm.transformersModel, source: { kind: 'local', path: '/models/' } });
    expect(chatLoadRequest(s, hardware, 'https://other.example')).toMatchObject({
      engine: 'webllm',
      model: s.llm.webllmModel,
      source: { kind: 'mirror', baseUrl: 'https://app.example/models/' },
    });
    expect(embedLoadRequest(s, 'https://app.example')).toEqual({
      model: s.embedding.model,
      source: { kind: 'local', path: '/models/' },
      device: s.embedding.device,
      dtype: s.embedding.dtype,
    });
    expect(rerankLoadRequest(s, 'tiny-reranker', 'https://app.example')).toMatchObject({ model: 'tiny-reranker', dtype: 'auto' });
  });
});
