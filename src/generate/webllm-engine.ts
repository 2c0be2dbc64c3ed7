/**
 * The web-llm `ChatEngine`: MLC-compiled models on WebGPU, run in-process inside the LLM worker.
 *
 * We host web-llm's `MLCEngine` behind our own worker protocol instead of its
 * `WebWorkerMLCEngineHandler` for two measured reasons: its client (`WebWorkerMLCEngine`) lives
 * in the same 6.8 MB module as the engine, which would put web-llm into the page's bundle; and its
 * handler turns every error into a plain string, losing the name the UI needs to say what to do.
 */

import { ReasoningSplitter } from './reasoning';
import {
  deleteModelWasmInCache,
  MLCEngine,
  prebuiltAppConfig,
  type AppConfig,
  type InitProgressReport,
  type ModelRecord,
} from '@mlc-ai/web-llm';
import { artifactStore, downloadModel } from './webllm-download';
import { contextTooLong } from './context-window';
import { AppError, errorText, type ErrorNameFor } from '../core/errors';
import type { Progress } from '../core/progress';
import { describeModelSource, type ModelSource } from '../platform/model-source';
import { probeWebGPU, type GpuStatus } from '../platform/webgpu';
import {
  GenerationClock,
  type ChatEngine,
  localRequest,
  type ChatLoadRequest,
  type ChatMessage,
  type ChatModelInfo,
  type FinishReason,
  type GenerateOptions,
  type GenerationParams,
  type GenerationResult,
  type LoadOptions,
} from './engine';

/** The hub repository path of a record ('mlc-ai/<id>'), from its absolute model URL. */
function repoPath(record: ModelRecord): string {
  const url = new URL(record.model);
  return url.pathname.replace(/^\/+|\/+$/g, '').replace(/\/resolve\/[^/]+$/, '');
}

/**
 * web-llm's prebuilt model list, pointed at the configured source. A mirror (or this app's own
 * folder) serves `<base>/<repo>/resolve/main/<file>` for weights and configs, and the compiled model
 * library next to them, so one folder per model is all an offline room needs.
 */
export function webllmAppConfig(source: ModelSource, pageOrigin: string, cacheBackend: AppConfig['cacheBackend'] = 'cache'): AppConfig {
  if (source.kind === 'hub') return { ...prebuiltAppConfig, cacheBackend };
  const base = source.kind === 'local' ? new URL(source.path, pageOrigin).href : source.baseUrl;
  const model_list = prebuiltAppConfig.model_list.map((r): ModelRecord => {
    const repo = `${base}${repoPath(r)}`;
    const lib = r.model_lib.split('/').pop() ?? r.model_lib;
    return { ...r, model: repo, model_lib: `${repo}/resolve/main/${lib}` };
  });
  return { model_list, cacheBackend };
}

/**
 * Whether a model's kernels use 16-bit floats. web-llm declares `required_features` on only some
 * records (Llama 3.2's q4f16 has none), so the quantisation code in the id counts too.
 */
export function needsShaderF16(record: ModelRecord): boolean {
  return Boolean(record.required_features?.includes('shader-f16')) || /q\d+f16/.test(record.model_id);
}

/**
 * Picks the record to load: the one asked for, or its q4f32 sibling when the adapter lacks
 * `shader-f16` (software adapters and many integrated GPUs), so users get a working model, not an error.
 */
export function chooseRecord(list: readonly ModelRecord[], modelId: string, gpu: GpuStatus): { record: ModelRecord; note?: string } {
  const record = list.find((r) => r.model_id === modelId);
  if (!record) {
    throw new AppError(
      'ModelNotFound',
      `"${modelId}" is not a web-llm model this version knows. Pick one from the model list in Settings.`,
      { model: modelId },
    );
  }
  if (!needsShaderF16(record) || gpu.shaderF16) return { record };
  const siblingId = modelId.replace(/q(\d)f16/, 'q$1f32');
  const sibling = list.find((r) => r.model_id === siblingId);
  if (sibling)
    return { record: sibling, note: `This GPU has no 16-bit float shaders (shader-f16), so ${siblingId} is used instead of ${modelId}.` };
  throw new AppError(
    'ModelNotSupported',
    `${modelId} needs 16-bit float shaders (shader-f16), which this GPU does not offer. Choose a q4f32 model.`,
    { model: modelId },
  );
}

/** Maps web-llm's failures (often bare strings) to named errors with a fix. */
export function webllmError(e: unknown, model: string, source: ModelSource): AppError {
  if (e instanceof AppError) return e;
  const text = errorText(e);
  const where = describeModelSource(source);
  const make = (name: ErrorNameFor<{ model: string }>, message: string): AppError => new AppError(name, message, { model }, text);
  if (/compatible GPU|WebGPU is not supported|navigator\.gpu|requestAdapter/i.test(text)) {
    return make(
      'WebGPUUnavailable',
      'web-llm needs WebGPU, and this browser found no usable GPU. Use Chrome or Edge 113+ (on Linux enable chrome://flags/#enable-unsafe-webgpu), or switch Settings → Engine to transformers.js (WASM).',
    );
  }
  if (/shader-f16|ShaderF16|f16/i.test(text) && /support|feature/i.test(text)) {
    return make(
      'ModelNotSupported',
      `${model} needs 16-bit float shaders (shader-f16), which this GPU does not offer. Choose a q4f32 model.`,
    );
  }
  if (/device (was )?lost|DeviceLost/i.test(text)) {
    return make(
      'DeviceLost',
      'The GPU was reset while the model was running (device lost): too little GPU memory, a driver update, or the laptop slept. Reload the model; if it repeats, choose a smaller one.',
    );
  }
  if (/QuotaExceeded|quota/i.test(text)) {
    return make(
      'ModelDownloadFailed',
      `There is not enough browser storage to keep ${model}. Free space (Settings → Storage) or choose a smaller model.`,
    );
  }
  if (/Failed to execute 'add' on 'Cache'|404|Not Found|Unexpected token '<'|is not valid JSON/i.test(text)) {
    return make('ModelNotFound', `The files of ${model} were not found at ${where}. Check the model source in Settings.`);
  }
  if (/Failed to fetch|NetworkError|network|Load failed/i.test(text)) {
    return make(
      'ModelDownloadFailed',
      `Could not download ${model} from ${where}: the network did not answer. Reconnect and retry (finished files are kept), or use a local mirror.`,
    );
  }
  if (/WebAssembly|wasm|LinkError|CompileError|magic word|instantiate/i.test(text)) {
    return make(
      'ModelLibraryUnavailable',
      `The compiled model library of ${model} could not be started. Check that the mirror serves the model's .wasm library, or pick another model.`,
    );
  }
  return make('ModelLoadFailed', `${model} could not be loaded: ${text}`);
}

/**
 * web-llm reports one fraction plus free text; this turns it into our rising `Progress`. After
 * `downloadModel` everything is cached, and what web-llm reports is loading the weights onto the GPU
 * and compiling shaders: the 'compile' stage. Only a record we could not pre-download
 * (`model_manifest`) still shows web-llm's own fetching.
 */
export function webllmProgress(report: InitProgressReport, model: string, last: Progress | null): Progress {
  const stage = /Fetching param|Start to fetch/i.test(report.text) ? 'download' : 'compile';
  const loaded = Math.max(last?.loaded ?? 0, Math.round(report.progress * 1000));
  return { stage, unit: 'steps', loaded, total: 1000, done: report.progress >= 1, item: model };
}

/**
 * Models that reason before answering unless told not to: Qwen3 and Qwen3.5 (their chat template
 * takes `enable_thinking`; web-llm 0.2.86 passes `extra_body.enable_thinking: false` on, and then
 * writes an empty `<think></think>` block into the output, which the splitter removes). Answers are
 * asked without reasoning: it costs tokens and time the comparison does not show, and a 1–2B
 * model's reasoning often wanders off the passages.
 */
export function thinksByDefault(model: string | null): boolean {
  return model !== null && /^Qwen3/i.test(model);
}

export class WebLlmChatEngine implements ChatEngine {
  private engine: MLCEngine | null = null;
  private loadedModel: string | null = null;

  constructor(
    private readonly pageOrigin: string,
    private readonly gpuProbe: () => Promise<GpuStatus> = () => probeWebGPU(),
  ) {}

  async load(request: ChatLoadRequest, opts: LoadOptions = {}): Promise<ChatModelInfo> {
    const req = localRequest(request);
    const started = performance.now();
    const gpu = await this.gpuProbe();
    if (!gpu.available) {
      throw new AppError(
        'WebGPUUnavailable',
        `web-llm needs WebGPU. ${gpu.reason ?? ''} ${gpu.fix ?? ''} Or switch Settings → Engine to transformers.js (WASM).`.trim(),
      );
    }
    const appConfig = webllmAppConfig(req.source, this.pageOrigin, req.webllmCache ?? 'cache');
    const { record, note } = chooseRecord(appConfig.model_list, req.model, gpu);
    // Records that name a package manifest lay their files out differently; web-llm fetches those itself.
    if (record.model_manifest === undefined) {
      try {
        await downloadModel(record, artifactStore(req.webllmCache ?? 'cache'), {
          signal: opts.signal,
          onProgress: opts.onProgress,
          where: describeModelSource(req.source),
        });
      } catch (e) {
        throw webllmError(e, record.model_id, req.source);
      }
    }
    let last: Progress | null = null;
    let reported = false;
    // A device lost earlier leaves web-llm's engine unusable: start a fresh one.
    const engine = (this.engine ??= new MLCEngine());
    engine.setAppConfig(appConfig);
    engine.setInitProgressCallback((report) => {
      reported = true;
      last = webllmProgress(report, record.model_id, last);
      opts.onProgress?.(last);
    });
    const onAbort = (): void => void engine.unload().catch(() => undefined);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await engine.reload(record.model_id);
    } catch (e) {
      if (opts.signal?.aborted) throw new AppError('Cancelled', 'Cancelled.');
      let error = webllmError(e, record.model_id, req.source);
      // Before web-llm's first report it has only read the (checked) config and started the
      // library: an unrecognised failure there is the library's, whatever words it used.
      if (error.name === 'ModelLoadFailed' && !reported) {
        error = new AppError(
          'ModelLibraryUnavailable',
          `The compiled model library of ${record.model_id} could not be started: it may have been built for another web-llm version. Pick another model, or update the mirror's copy.`,
          { model: record.model_id },
          error.causeText,
        );
      }
      if (error.name === 'DeviceLost') this.engine = null;
      // A library that cannot start would fail again from the cache forever: drop it, so a retry
      // (after the mirror is fixed) fetches it anew. The weights stay.
      if (error.name === 'ModelLibraryUnavailable') await deleteModelWasmInCache(record.model_id, appConfig).catch(() => undefined);
      throw error;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    this.loadedModel = record.model_id;
    const dtype = /q4f16/.test(record.model_id) ? 'q4f16' : /q4f32/.test(record.model_id) ? 'q4f32' : 'mlc';
    const info: ChatModelInfo = {
      engine: 'webllm',
      model: record.model_id,
      backend: 'webgpu',
      dtype,
      loadMs: Math.round(performance.now() - started),
    };
    if (note) info.note = note;
    return info;
  }

  async generate(messages: ChatMessage[], params: GenerationParams, opts: GenerateOptions = {}): Promise<GenerationResult> {
    const engine = this.engine;
    if (!engine) throw new AppError('EngineNotLoaded', 'No language model is loaded yet. Load one first.');
    const clock = new GenerationClock();
    const onAbort = (): void => void engine.interruptGenerate();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // Thinking models' reasoning stays out of the answer (reasoning.ts): the pane, citations and
    // scores read only what the model answered.
    const split = new ReasoningSplitter();
    const emit = (text: string): void => {
      if (text) opts.onToken?.(text);
    };
    let promptTokens = 0;
    let completionTokens = 0;
    let finish: FinishReason = 'stop';
    try {
      const stream = await engine.chat.completions.create({
        messages,
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: params.maxTokens,
        temperature: params.temperature,
        top_p: params.topP,
        seed: params.seed,
        ...(thinksByDefault(this.loadedModel) ? { extra_body: { enable_thinking: false } } : {}),
      });
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const delta = choice?.delta?.content ?? '';
        if (delta) {
          clock.token();
          emit(split.push(delta).answer);
        }
        if (choice?.finish_reason === 'length') finish = 'length';
        if (choice?.finish_reason === 'abort') finish = 'interrupted';
        if (chunk.usage) {
          promptTokens = chunk.usage.prompt_tokens;
          completionTokens = chunk.usage.completion_tokens;
        }
      }
    } catch (e) {
      const over = /number of prompt tokens: (\d+); context window size: (\d+)/.exec(errorText(e));
      if (over) {
        // web-llm refuses a prompt longer than the window; the compare run then drops or shortens
        // passages, leaving room for the answer too (hence maxTokens in the numbers).
        const [promptTokens, contextWindow] = [Number(over[1]), Number(over[2])];
        throw contextTooLong({ promptTokens, maxTokens: params.maxTokens, contextWindow }, undefined, errorText(e));
      }
      const mapped = webllmError(e, this.loadedModel ?? 'the model', { kind: 'hub' });
      if (mapped.name === 'DeviceLost') {
        this.engine = null;
        this.loadedModel = null;
        throw mapped;
      }
      throw new AppError('GenerationFailed', `The model stopped with an error: ${errorText(e)}`, undefined, errorText(e));
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    emit(split.finish().answer);
    if (opts.signal?.aborted) finish = 'interrupted';
    const result = clock.result(split.answer, finish, promptTokens, completionTokens || clock.completionTokens);
    // Only a real thought is kept (an empty <think></think> leaves blank lines).
    if (split.reasoning.trim()) result.reasoning = split.reasoning;
    return result;
  }

  async interrupt(): Promise<void> {
    await this.engine?.interruptGenerate();
  }

  async unload(): Promise<void> {
    await this.engine?.unload();
  }
}
