/**
 * The generated fixture models through the real transformers.js runtime (onnxruntime-node): the
 * embedder behaves like a sentence embedder (unit vectors, attention mask honoured), the generator
 * streams, is deterministic and its KV cache gives exactly what full re-runs give, and the generator
 * itself is byte-for-byte reproducible. Models are written into a temp dir here, not read from a prior run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForCausalLM,
  AutoModelForSequenceClassification,
  AutoTokenizer,
  env,
  pipeline,
  Tensor,
  TextStreamer,
  type FeatureExtractionPipeline,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type TextGenerationPipeline,
} from '@huggingface/transformers';
import { ensureModel, ensurePreset, modelFiles, PRESETS, writeModel } from '../fixtures/gen/models';

const SENTENCES = ['The cat sat on the mat.', 'A cat was sitting on a rug.', 'Quarterly revenue rose by four percent.'];
const PROMPT = 'The capital of France is';
const LOAD = { dtype: 'fp32', local_files_only: true } as const;

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ragscope-fixtures-'));
  ensurePreset('tiny-bert', root);
  ensurePreset('tiny-gpt2', root);
  ensurePreset('tiny-reranker', root);
  env.localModelPath = `${root}/`;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('fixture generator', () => {
  it('writes byte-identical folders for the same seed and options', () => {
    for (const kind of ['bert', 'bert-reranker', 'gpt2'] as const) {
      const a = writeModel(kind, join(root, `${kind}-a`));
      const b = writeModel(kind, join(root, `${kind}-b`));
      expect(a.files).toEqual(b.files);
      expect(a.files).toContain('onnx/model.onnx');
      expect(a.files).toContain('onnx/model_quantized.onnx');
      for (const f of a.files) expect(readFileSync(join(b.dir, f)).equals(readFileSync(join(a.dir, f))), f).toBe(true);
    }
  });

  it('changes the weights with the seed, and only the weights', () => {
    const a = modelFiles('bert', { seed: 1 });
    const b = modelFiles('bert', { seed: 2 });
    expect(Buffer.from(b.get('onnx/model.onnx')!).equals(Buffer.from(a.get('onnx/model.onnx')!))).toBe(false);
    expect(b.get('tokenizer.json')).toEqual(a.get('tokenizer.json'));
  });

  it('skips rewriting when the stamp matches, and rewrites when the options change', () => {
    const dir = join(root, 'stamped');
    expect(ensureModel('bert', dir, { layers: 1 }).written).toBe(true);
    expect(ensureModel('bert', dir, { layers: 1 }).written).toBe(false);
    expect(ensureModel('bert', dir, { layers: 2 }).written).toBe(true);
    expect(ensureModel('bert', dir, { layers: 2 }, { force: true }).written).toBe(true);
  });

  it('refuses impossible shapes', () => {
    expect(() => modelFiles('bert', { hidden: 30, heads: 4 })).toThrow(/multiple of heads/);
    expect(() => modelFiles('gpt2', { vocab: 100 })).toThrow(/at least 257/);
  });
});

describe('tiny-reranker through transformers.js', () => {
  it('is a cross-encoder: one logit per (query, passage) pair, the same whatever else is in the batch', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained('tiny-reranker', LOAD);
    const model = await AutoModelForSequenceClassification.from_pretrained('tiny-reranker', LOAD);
    const score = async (query: string, passages: string[]): Promise<number[]> => {
      const { logits } = (await model(
        tokenizer(new Array<string>(passages.length).fill(query), { text_pair: passages, padding: true }),
      )) as {
        logits: Tensor;
      };
      expect(logits.dims).toEqual([passages.length, 1]);
      return Array.from(logits.data as Float32Array);
    };
    const together = await score('where did the cat sit', SENTENCES);
    // Alone (no padding) and in a batch (padded to the longest): the attention mask keeps them equal.
    for (let i = 0; i < SENTENCES.length; i++)
      expect((await score('where did the cat sit', [SENTENCES[i]!]))[0]).toBeCloseTo(together[i]!, 5);
    // The query is read with the passage: another query, other scores.
    expect(await score('quarterly revenue', SENTENCES)).not.toEqual(together);
    expect(new Set(together.map((x) => x.toFixed(4))).size).toBe(SENTENCES.length);
  });
});

describe('tiny-bert through transformers.js', () => {
  let extractor: FeatureExtractionPipeline;
  const hidden = PRESETS['tiny-bert'].options.hidden;
  const embed = async (texts: string[]) => {
    const out = await extractor(texts, { pooling: 'mean', normalize: true });
    expect(out.dims).toEqual([texts.length, hidden]);
    const data = out.data as Float32Array;
    return texts.map((_, i) => data.slice(i * hidden, (i + 1) * hidden));
  };

  beforeAll(async () => {
    extractor = await pipeline('feature-extraction', 'tiny-bert', LOAD);
  });
  afterAll(() => extractor?.dispose());

  it('has the input and output names of a real BERT export', () => {
    const session = (extractor.model as unknown as { sessions: Record<string, { inputNames: string[]; outputNames: string[] }> }).sessions
      .model!;
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(session.outputNames).toEqual(['last_hidden_state']);
  });

  it('tokenizes arbitrary English without [UNK]', () => {
    const tok = extractor.tokenizer;
    const ids = tok.encode('Naïve café owners—“quite” UNBELIEVABLY—sold 1,234 croissants @ 9:30am!');
    expect(ids[0]).toBe(tok.convert_tokens_to_ids('[CLS]'));
    expect(ids.at(-1)).toBe(tok.sep_token_id);
    expect(tok.unk_token_id).toBeTypeOf('number');
    expect(ids).not.toContain(tok.unk_token_id);
  });

  it('gives finite unit vectors of the model dimension', async () => {
    for (const v of await embed(SENTENCES)) {
      expect(v.every(Number.isFinite)).toBe(true);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
  });

  it('gives different sentences different vectors, and the same sentence the same vector', async () => {
    const [a, b, c] = await embed(SENTENCES);
    expect(await embed(SENTENCES)).toEqual([a, b, c]);
    const cos = (x: Float32Array, y: Float32Array) => x.reduce((s, xi, i) => s + xi * y[i]!, 0);
    expect(cos(a!, b!)).toBeLessThan(0.999);
    expect(cos(a!, c!)).toBeLessThan(0.999);
  });

  it('ignores padding: a sentence embeds the same alone and padded in a batch', async () => {
    const short = 'Cats.';
    const long = 'Quarterly revenue rose by four percent, the report said, after a long and difficult year.';
    const lengths = [short, long].map((t) => extractor.tokenizer.encode(t).length);
    expect(lengths[1]! - lengths[0]!).toBeGreaterThan(10);
    const [alone] = await embed([short]);
    const [padded] = await embed([short, long]);
    const diff = Math.max(...alone!.map((x, i) => Math.abs(x - padded![i]!)));
    expect(diff).toBeLessThan(1e-5);
  });
});

describe('tiny-gpt2 through transformers.js', () => {
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  const NEW_TOKENS = 12;
  const { heads, hidden } = PRESETS['tiny-gpt2'].options;

  beforeAll(async () => {
    tokenizer = await AutoTokenizer.from_pretrained('tiny-gpt2', { local_files_only: true });
    model = await AutoModelForCausalLM.from_pretrained('tiny-gpt2', LOAD);
  });
  afterAll(() => model?.dispose());

  const promptIds = () => tokenizer(PROMPT).input_ids as Tensor;
  const greedy = async (ids: Tensor, streamer?: TextStreamer) => {
    const out = (await model.generate({ inputs: ids, max_new_tokens: NEW_TOKENS, do_sample: false, streamer })) as Tensor;
    return Array.from(out.data as BigInt64Array, Number);
  };
  /** One forward pass; `past` maps past_key_values.* names to tensors, as transformers.js feeds them. */
  const forward = async (ids: number[], mask: number[], past?: Record<string, Tensor>) => {
    const i64 = (xs: number[]) => new Tensor('int64', BigInt64Array.from(xs, BigInt), [1, xs.length]);
    return (await model.forward({ input_ids: i64(ids), attention_mask: i64(mask), ...(past ? { past_key_values: past } : {}) })) as Record<
      string,
      Tensor
    >;
  };
  const lastLogits = (logits: Tensor) => {
    const [, seq, vocab] = logits.dims as [number, number, number];
    return (logits.data as Float32Array).slice((seq - 1) * vocab, seq * vocab);
  };
  const argmax = (xs: Float32Array) => xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0);
  const asPast = (out: Record<string, Tensor>) =>
    Object.fromEntries(
      Object.entries(out).flatMap(([k, v]) => (k.startsWith('present.') ? [[k.replace('present.', 'past_key_values.'), v]] : [])),
    );

  it('has the input and output names transformers.js uses for decoder-only models with a cache', () => {
    const session = (model as unknown as { sessions: Record<string, { inputNames: string[]; outputNames: string[] }> }).sessions.model!;
    expect(session.inputNames).toEqual([
      'input_ids',
      'attention_mask',
      'position_ids',
      'past_key_values.0.key',
      'past_key_values.0.value',
      'past_key_values.1.key',
      'past_key_values.1.value',
    ]);
    expect(session.outputNames).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
  });

  it('round-trips text through the byte-level BPE tokenizer', () => {
    const text = 'Hello wörld — 42 tokens, "quoted"\n\ttabbed.';
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    expect(tokenizer.encode(PROMPT).length).toBeLessThan(PROMPT.length);
  });

  it('streams several varied tokens through TextStreamer, deterministically', async () => {
    const pieces: string[] = [];
    const streamed: bigint[] = [];
    const streamer = new TextStreamer(tokenizer, {
      skip_prompt: true,
      callback_function: (t: string) => pieces.push(t),
      token_callback_function: (t: bigint[]) => streamed.push(...t),
    });
    const ids = promptIds();
    const seq = await greedy(ids, streamer);
    const fresh = seq.slice(ids.dims[1]!);
    expect(fresh).toHaveLength(NEW_TOKENS);
    expect(new Set(fresh).size).toBeGreaterThanOrEqual(4);
    expect(fresh).not.toContain(tokenizer.eos_token_id);
    expect(streamed.map(Number)).toEqual(fresh);
    expect(pieces.join('')).toBe(tokenizer.decode(fresh));
    expect(await greedy(promptIds())).toEqual(seq);
  });

  it('generates with the cache exactly what full re-runs without a cache pick', async () => {
    const ids = promptIds();
    const cached = await greedy(ids);
    const tokens = Array.from(ids.data as BigInt64Array, Number);
    while (tokens.length < cached.length) {
      const out = await forward(
        tokens,
        tokens.map(() => 1),
      );
      tokens.push(argmax(lastLogits(out.logits!)));
    }
    expect(tokens).toEqual(cached);
  });

  it('gives the same logits step by step with past_key_values as in one full pass', async () => {
    const tokens = (await greedy(promptIds())).slice(0, 10);
    const full = await forward(
      tokens,
      tokens.map(() => 1),
    );
    const vocab = full.logits!.dims[2]!;
    const fullData = full.logits!.data as Float32Array;

    const split = 4;
    let out = await forward(tokens.slice(0, split), Array(split).fill(1));
    for (let t = split; t < tokens.length; t++) {
      const past = asPast(out);
      expect(past['past_key_values.0.key']!.dims).toEqual([1, heads, t, hidden / heads]);
      out = await forward([tokens[t]!], Array(t + 1).fill(1), past);
      expect(out.logits!.dims).toEqual([1, 1, vocab]);
      const expected = fullData.slice(t * vocab, (t + 1) * vocab);
      const diff = Math.max(...lastLogits(out.logits!).map((x, i) => Math.abs(x - expected[i]!)));
      expect(diff, `step ${t}`).toBeLessThan(1e-4);
    }
  });

  it('honours attention_mask: left padding does not change the next-token logits', async () => {
    const tokens = Array.from(promptIds().data as BigInt64Array, Number);
    const pad = tokenizer.pad_token_id!;
    const plain = lastLogits(
      (
        await forward(
          tokens,
          tokens.map(() => 1),
        )
      ).logits!,
    );
    const padded = lastLogits((await forward([pad, pad, pad, ...tokens], [0, 0, 0, ...tokens.map(() => 1)])).logits!);
    expect(Math.max(...plain.map((x, i) => Math.abs(x - padded[i]!)))).toBeLessThan(1e-4);
  });

  it("works through pipeline('text-generation'), for plain text and chat messages", async () => {
    const generator = (await pipeline('text-generation', 'tiny-gpt2', LOAD)) as TextGenerationPipeline;
    try {
      const [plain] = (await generator(PROMPT, { max_new_tokens: 8, do_sample: false })) as { generated_text: string }[];
      expect(plain!.generated_text.startsWith(PROMPT)).toBe(true);
      expect(plain!.generated_text.length).toBeGreaterThan(PROMPT.length + 4);
      const [chat] = (await generator([{ role: 'user', content: 'Hello there' }], { max_new_tokens: 4, do_sample: false })) as {
        generated_text: { role: string; content: string }[];
      }[];
      expect(chat!.generated_text.at(-1)!.role).toBe('assistant');
    } finally {
      await generator.dispose();
    }
  });
});
