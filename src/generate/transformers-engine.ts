/**
 * The transformers.js `ChatEngine`: text generation on WASM or WebGPU through ONNX Runtime.
 *
 * It is the engine for browsers without WebGPU (web-llm needs WebGPU), and the engine every test
 * runs with the project's generated tiny GPT-2. Models without a chat template (such as that GPT-2)
 * get a plain "Role: text" transcript so the same messages work everywhere.
 */

import { ReasoningSplitter } from './reasoning';
import {
  AutoConfig,
  AutoModelForCausalLM,
  AutoTokenizer,
  InterruptableStoppingCriteria,
  random,
  StoppingCriteriaList,
  TextStreamer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type ProgressInfo,
  type Tensor,
} from '@huggingface/transformers';
import { AppError, errorText, unlessCancelled } from '../core/errors';
import { DownloadTally } from '../core/progress';
import { probeWebGPU, type GpuStatus } from '../platform/webgpu';
import { MemoLoad } from '../platform/memo-load';
import { applyModelSource, modelLoadError, resolveBackend, resolveDtype } from '../platform/transformers-env';
import { describeModelSource } from '../platform/model-source';
import { contextTooLong } from './context-window';
import {
  GenerationClock,
  type ChatEngine,
  localRequest,
  type ChatLoadRequest,
  type ChatMessage,
  type ChatModelInfo,
  type GenerateOptions,
  type GenerationParams,
  type GenerationResult,
  type LoadOptions,
  type LocalChatLoadRequest,
} from './engine';

interface Loaded {
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  info: ChatModelInfo;
}

/** How many tokens (prompt and answer together) the model can attend to, from its config; null if it does not say. */
export function contextWindow(model: PreTrainedModel): number | null {
  const c = model.config as unknown as Record<string, unknown>;
  for (const key of ['max_position_embeddings', 'n_positions', 'n_ctx', 'max_seq_len']) {
    const v = c[key];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  }
  return null;
}

/** The transcript used when a tokenizer has no chat template. Ends with the assistant's cue. */
export function plainTranscript(messages: ChatMessage[]): string {
  const label = { system: 'System', user: 'User', assistant: 'Assistant' } as const;
  return `${messages.map((m) => `${label[m.role]}: ${m.content}`).join('\n\n')}\n\nAssistant:`;
}

/**
 * The model's config is there but its tokenizer is not: transformers.js then fails reading
 * `tokenizer_class` of an undefined config (a TypeError every browser's wording names), not with
 * "could not locate". A network failure, also a TypeError in browsers, is left to modelLoadError.
 */
function tokenizerMissing(req: LocalChatLoadRequest, e: TypeError): AppError {
  return new AppError(
    'ModelNotFound',
    `The tokenizer of "${req.model}" (tokenizer_config.json and tokenizer.json) was not found at ${describeModelSource(req.source)}. Copy the model's tokenizer files next to its config.json, or choose another model in Settings.`,
    { model: req.model },
    errorText(e),
  );
}

export class TransformersChatEngine implements ChatEngine {
  private readonly loaded = new MemoLoad<Loaded>((l) => l.model.dispose());
  private gpu: GpuStatus | null = null;
  private stopper: InterruptableStoppingCriteria | null = null;

  constructor(private readonly gpuProbe: () => Promise<GpuStatus> = () => probeWebGPU()) {}

  async load(request: ChatLoadRequest, opts: LoadOptions = {}): Promise<ChatModelInfo> {
    const req = localRequest(request);
    return (
      await unlessCancelled(
        this.loaded.get(JSON.stringify(req), () => this.create(req, opts)),
        opts.signal,
      )
    ).info;
  }

  private async create(req: LocalChatLoadRequest, opts: LoadOptions): Promise<Loaded> {
    const started = performance.now();
    this.gpu ??= await this.gpuProbe();
    const backend = resolveBackend(req.device, this.gpu);
    const dtype = resolveDtype(req.dtype, backend, { webgpu: this.gpu.shaderF16 ? 'q4f16' : 'q4', other: 'q4' });
    applyModelSource(req.source);
    const tally = new DownloadTally('download', req.model);
    const progress_callback = (info: ProgressInfo): void => {
      if (info.status === 'progress') opts.onProgress?.(tally.update(info.file, info.loaded, info.total));
    };
    try {
      // The config first: a model that is not there fails here with the library's "could not
      // locate" (ModelNotFound). The tokenizer alone would not say so: transformers.js treats a
      // missing tokenizer_config.json as "no tokenizer files" and then reads a field of nothing.
      const config = await AutoConfig.from_pretrained(req.model, { progress_callback });
      const [tokenizer, model] = await Promise.all([
        AutoTokenizer.from_pretrained(req.model, { progress_callback }).catch((e: unknown) => {
          throw e instanceof TypeError && /tokenizer_class/.test(e.message) ? tokenizerMissing(req, e) : e;
        }),
        AutoModelForCausalLM.from_pretrained(req.model, { config, device: backend, dtype, progress_callback }),
      ]);
      opts.onProgress?.(tally.finish());
      const info: ChatModelInfo = {
        engine: 'transformers',
        model: req.model,
        backend,
        dtype,
        loadMs: Math.round(performance.now() - started),
      };
      return { tokenizer, model, info };
    } catch (e) {
      throw modelLoadError(e, req.model, req.source);
    }
  }

  async generate(messages: ChatMessage[], params: GenerationParams, opts: GenerateOptions = {}): Promise<GenerationResult> {
    const loading = this.loaded.value;
    if (!loading) throw new AppError('EngineNotLoaded', 'No language model is loaded yet. Load one first.');
    const { tokenizer, model } = await loading;
    const clock = new GenerationClock();

    const inputs = this.encode(tokenizer, messages);
    const promptTokens = inputs.input_ids.dims.at(-1) ?? 0;
    const window = contextWindow(model);
    // Past its last position embedding a model does not degrade, it crashes (ONNX Runtime's
    // "indices element out of data bounds"): refuse by name, with the numbers, before running.
    if (window !== null && promptTokens + params.maxTokens > window) {
      throw contextTooLong({ promptTokens, maxTokens: params.maxTokens, contextWindow: window });
    }

    const stopper = new InterruptableStoppingCriteria();
    this.stopper = stopper;
    const onAbort = (): void => stopper.interrupt();
    if (opts.signal?.aborted) stopper.interrupt();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const stopping = new StoppingCriteriaList();
    stopping.push(stopper);

    // A thinking model's reasoning stays out of the answer (reasoning.ts), as on the other engines.
    const split = new ReasoningSplitter();
    const streamer = new TextStreamer(tokenizer, {
      skip_prompt: true,
      skip_special_tokens: true,
      token_callback_function: () => clock.token(),
      callback_function: (text: string) => {
        const answer = split.push(text).answer;
        if (answer) opts.onToken?.(answer);
      },
    });

    // Seeding the library's global RNG makes sampled answers repeatable; both panes of a
    // comparison reseed with the same value so only the prompt differs between them.
    random.seed(params.seed);
    const sample = params.temperature > 0;
    let output: Tensor;
    try {
      output = (await model.generate({
        ...inputs,
        max_new_tokens: params.maxTokens,
        do_sample: sample,
        ...(sample ? { temperature: params.temperature, top_p: params.topP } : {}),
        stopping_criteria: stopping,
        streamer,
      })) as Tensor;
    } catch (e) {
      throw new AppError('GenerationFailed', `The model stopped with an error: ${errorText(e)}`, undefined, errorText(e));
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      if (this.stopper === stopper) this.stopper = null;
    }

    const ids = (output.tolist() as bigint[][])[0] ?? [];
    const generated = ids.slice(promptTokens);
    // The whole decode, split once more: the streamer's pieces can differ from it at the end.
    const whole = new ReasoningSplitter();
    whole.push(tokenizer.decode(generated, { skip_special_tokens: true }));
    whole.finish();
    const tail = split.finish().answer;
    if (tail) opts.onToken?.(tail);
    const eos = new Set([model.generation_config?.eos_token_id ?? []].flat().map((x) => BigInt(x as number)));
    const last = generated.at(-1);
    const finish = stopper.interrupted
      ? 'interrupted'
      : last !== undefined && eos.has(last)
        ? 'stop'
        : generated.length >= params.maxTokens
          ? 'length'
          : 'stop';
    const result = clock.result(whole.answer, finish, promptTokens, generated.length);
    if (whole.reasoning.trim()) result.reasoning = whole.reasoning;
    return result;
  }

  private encode(tokenizer: PreTrainedTokenizer, messages: ChatMessage[]): { input_ids: Tensor; attention_mask: Tensor } {
    if (tokenizer.chat_template) {
      // enable_thinking: false for templates that take it (Qwen3, Qwen3.5; others ignore unknown
      // variables): answers without reasoning, as on web-llm.
      // The option is passed to the template as a variable (transformers.js forwards unknown options); its type lists only its own.
      const options = { add_generation_prompt: true, return_dict: true, enable_thinking: false } as const;
      return tokenizer.apply_chat_template(messages, options) as unknown as {
        input_ids: Tensor;
        attention_mask: Tensor;
      };
    }
    return tokenizer(plainTranscript(messages)) as { input_ids: Tensor; attention_mask: Tensor };
  }

  async interrupt(): Promise<void> {
    this.stopper?.interrupt();
  }

  async unload(): Promise<void> {
    await this.loaded.clear();
  }
}
