/**
 * Both worker handlers driven exactly as the page drives them (typed client ↔ MessageChannel ↔
 * handler), with the real transformers.js runtime on the generated tiny models.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../../src/core/rpc';
import { embedHandlers } from '../../src/embed/handler';
import { WorkerEmbedder } from '../../src/embed/client';
import { TransformersEmbedder } from '../../src/embed/transformers';
import { TransformersReranker, type RerankLoadRequest } from '../../src/embed/reranker';
import { AutoModelForSequenceClassification, AutoTokenizer, type Tensor } from '@huggingface/transformers';
import { isAppError } from '../../src/core/errors';
import { row, type EmbedLoadRequest } from '../../src/embed/embedder';
import { llmHandlers } from '../../src/generate/handler';
import { WorkerChatEngine } from '../../src/generate/client';
import { TransformersChatEngine } from '../../src/generate/transformers-engine';
import type { ChatMessage, GenerationParams, LocalChatLoadRequest } from '../../src/generate/engine';
import type { Progress } from '../../src/core/progress';
import { channel } from './channel';
import { fixtureModels } from '../fixtures/models';

let MODELS: string;
const open: Array<() => void> = [];
afterEach(() => {
  for (const close of open.splice(0)) close();
});
beforeAll(() => {
  MODELS = fixtureModels();
});

const bert = (): EmbedLoadRequest => ({ model: 'tiny-bert', source: { kind: 'local', path: MODELS }, device: 'auto', dtype: 'fp32' });
const gpt2 = (): LocalChatLoadRequest => ({
  engine: 'transformers',
  model: 'tiny-gpt2',
  source: { kind: 'local', path: MODELS },
  device: 'auto',
  dtype: 'fp32',
});
const ASK: ChatMessage[] = [{ role: 'user', content: 'The capital of France is' }];
const GREEDY: GenerationParams = { maxTokens: 12, temperature: 0, topP: 1, seed: 42 };

function embedWorker(): WorkerEmbedder {
  const { page, worker, close } = channel();
  open.push(close);
  serve(worker, embedHandlers(new TransformersEmbedder(), new TransformersReranker()));
  return new WorkerEmbedder(page);
}

function llmWorker(): WorkerChatEngine {
  const { page, worker, close } = channel();
  open.push(close);
  serve(
    worker,
    llmHandlers(async () => new TransformersChatEngine()),
  );
  return new WorkerChatEngine(page);
}

const reranker = (): RerankLoadRequest => ({
  model: 'tiny-reranker',
  source: { kind: 'local', path: MODELS },
  device: 'auto',
  dtype: 'fp32',
});

describe('reranker in the embed worker', () => {
  const QUERY = 'when do the tides turn';
  const PASSAGES = [
    'The moon pulls the oceans twice a day.',
    'Bread rises with yeast.',
    'Tides turn every six hours or so.',
    'A comet tail points away.',
  ];

  it('scores each (question, passage) pair exactly as the cross-encoder itself does, whatever the batch or order', async () => {
    const worker = embedWorker();
    await expect(worker.rerank({ query: QUERY, passages: PASSAGES })).rejects.toSatisfy((e) => isAppError(e, 'EngineNotLoaded'));
    const progress: Progress[] = [];
    const info = await worker.loadReranker(reranker(), { onProgress: (p) => progress.push(p) });
    expect(info).toMatchObject({ model: 'tiny-reranker', backend: 'cpu', dtype: 'fp32' });
    const out = await worker.rerank({ query: QUERY, passages: PASSAGES, batchSize: 3 }, { onProgress: (p) => progress.push(p) });
    expect(progress.filter((p) => p.stage === 'rerank').map((p) => [p.loaded, p.total, p.done])).toEqual([
      [3, 4, false],
      [4, 4, true],
    ]);

    // The model called directly, one pair at a time: the reference.
    const tokenizer = await AutoTokenizer.from_pretrained('tiny-reranker');
    const model = await AutoModelForSequenceClassification.from_pretrained('tiny-reranker', { dtype: 'fp32' });
    const expected: number[] = [];
    for (const p of PASSAGES) {
      const { logits } = (await model(tokenizer(QUERY, { text_pair: p }))) as { logits: Tensor };
      expected.push((logits.data as Float32Array)[0]!);
    }
    Array.from(out.scores).forEach((s, i) => expect(s).toBeCloseTo(expected[i]!, 4));
    // Scores belong to passages, not positions: reversed input, reversed scores.
    const reversed = await worker.rerank({ query: QUERY, passages: [...PASSAGES].reverse(), batchSize: 1 });
    expect(
      Array.from(reversed.scores)
        .reverse()
        .map((x) => x.toFixed(4)),
    ).toEqual(Array.from(out.scores, (x) => x.toFixed(4)));
    // A different question changes the scores: the pair is read together.
    const other = await worker.rerank({ query: 'how does sourdough rise', passages: PASSAGES });
    expect(Array.from(other.scores)).not.toEqual(Array.from(out.scores));
  });
});

describe('embed worker handler', () => {
  it('loads with typed progress and returns one contiguous buffer of unit vectors', async () => {
    const embedder = embedWorker();
    const progress: Progress[] = [];
    const info = await embedder.load(bert(), { onProgress: (p) => progress.push(p) });
    expect(info).toMatchObject({ model: 'tiny-bert', backend: 'cpu', dtype: 'fp32', pooling: 'mean' });
    expect(progress.at(-1)).toMatchObject({ stage: 'download', unit: 'bytes', done: true });

    const texts = ['alpha beta', 'gamma delta epsilon', 'alpha beta'];
    const out = await embedder.embed({ texts, kind: 'passage', batchSize: 2 }, { onProgress: (p) => progress.push(p) });
    expect(out.vectors).toBeInstanceOf(Float32Array);
    expect(out.vectors.length).toBe(3 * info.dim);
    for (let i = 0; i < 3; i++) expect(Math.hypot(...row(out, i))).toBeCloseTo(1, 5);
    expect(Array.from(row(out, 2))).toEqual(Array.from(row(out, 0)));
    expect(progress.filter((p) => p.stage === 'embed').map((p) => p.loaded)).toEqual([2, 3]);
  });

  it('gives the same vectors through the worker as in-process, whatever the batch size', async () => {
    const direct = new TransformersEmbedder();
    await direct.load(bert());
    const texts = ['one short text', 'a somewhat longer text with more words in it', 'three'];
    const a = await direct.embed({ texts, kind: 'passage', batchSize: 3 });
    const embedder = embedWorker();
    await embedder.load(bert());
    const b = await embedder.embed({ texts, kind: 'passage', batchSize: 1 });
    for (let i = 0; i < a.vectors.length; i++) expect(Math.abs(a.vectors[i]! - b.vectors[i]!)).toBeLessThan(1e-5);
    await direct.dispose();
  });

  it('stops between batches when cancelled', async () => {
    const embedder = embedWorker();
    await embedder.load(bert());
    const controller = new AbortController();
    const seen: number[] = [];
    const texts = Array.from({ length: 400 }, (_, i) => `text number ${i} about something`);
    const run = embedder.embed(
      { texts, kind: 'passage', batchSize: 1 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.loaded);
          if (p.loaded === 3) controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ name: 'Cancelled' });
    expect(Math.max(...seen)).toBeLessThan(400);
  });

  it('says EngineNotLoaded before a load, and ModelNotFound for a missing model', async () => {
    const embedder = embedWorker();
    await expect(embedder.embed({ texts: ['x'], kind: 'query', batchSize: 1 })).rejects.toMatchObject({ name: 'EngineNotLoaded' });
    await expect(embedder.load({ ...bert(), model: 'absent-model' })).rejects.toMatchObject({
      name: 'ModelNotFound',
      message: expect.stringContaining('absent-model'),
    });
    // A failed load is not memoised: the right model loads afterwards.
    await expect(embedder.load(bert())).resolves.toMatchObject({ model: 'tiny-bert' });
  });
});

describe('LLM worker handler (transformers.js engine)', () => {
  it('streams the answer token by token; the pieces add up to the result', async () => {
    const engine = llmWorker();
    const info = await engine.load(gpt2());
    expect(info).toMatchObject({ engine: 'transformers', model: 'tiny-gpt2', backend: 'cpu' });
    const pieces: string[] = [];
    const res = await engine.generate(ASK, GREEDY, { onToken: (t) => pieces.push(t) });
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(res.text);
    expect(res.completionTokens).toBe(GREEDY.maxTokens);
    expect(res.finishReason).toBe('length');
    expect(res.promptTokens).toBeGreaterThan(0);
    expect(res.timeToFirstTokenMs).toBeLessThanOrEqual(res.totalMs);
  });

  it('is repeatable: same settings and seed give the same answer, greedy or sampled', async () => {
    const engine = llmWorker();
    await engine.load(gpt2());
    const a = await engine.generate(ASK, GREEDY);
    const b = await engine.generate(ASK, GREEDY);
    expect(b.text).toBe(a.text);
    const sampled = { ...GREEDY, temperature: 1.5, seed: 7 };
    const s1 = await engine.generate(ASK, sampled);
    const s2 = await engine.generate(ASK, sampled);
    expect(s2.text).toBe(s1.text);
    const others = await Promise.all([8, 9, 10].map(async (seed) => (await engine.generate(ASK, { ...sampled, seed })).text));
    expect(others.some((t) => t !== s1.text)).toBe(true);
  });

  it('stops on request and keeps the partial answer', async () => {
    const engine = llmWorker();
    await engine.load(gpt2());
    const controller = new AbortController();
    let pieces = 0;
    const res = await engine.generate(
      ASK,
      { ...GREEDY, maxTokens: 200 },
      {
        signal: controller.signal,
        onToken: () => {
          if (++pieces === 2) controller.abort();
        },
      },
    );
    expect(res.finishReason).toBe('interrupted');
    expect(res.completionTokens).toBeLessThan(200);
    expect(res.text.length).toBeGreaterThan(0);

    // interrupt() does the same for whoever holds the engine, not only the caller.
    let n = 0;
    const res2 = await engine.generate(ASK, { ...GREEDY, maxTokens: 200 }, { onToken: () => void (++n === 2 && engine.interrupt()) });
    expect(res2.finishReason).toBe('interrupted');
    expect(res2.completionTokens).toBeLessThan(200);
  });

  it('says EngineNotLoaded before a load', async () => {
    const engine = llmWorker();
    await expect(engine.generate(ASK, GREEDY)).rejects.toMatchObject({ name: 'EngineNotLoaded' });
  });

  it('says ModelNotFound, naming the model and what to do, for a chat model that is not in the model folder', async () => {
    const engine = llmWorker();
    await expect(engine.load({ ...gpt2(), model: 'absent-chat-model' })).rejects.toMatchObject({
      name: 'ModelNotFound',
      message: expect.stringMatching(/"absent-chat-model" was not found at .*Check the model name and the model source in Settings/),
      data: { model: 'absent-chat-model' },
    });
    // A failed load is not memoised: the right model loads afterwards.
    await expect(engine.load(gpt2())).resolves.toMatchObject({ model: 'tiny-gpt2' });
  });

  it('says ModelNotFound, naming the tokenizer files, for a chat model folder without its tokenizer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ragscope-models-'));
    cpSync(join(MODELS, 'tiny-gpt2'), join(dir, 'no-tokenizer'), { recursive: true });
    rmSync(join(dir, 'no-tokenizer', 'tokenizer_config.json'));
    open.push(() => rmSync(dir, { recursive: true, force: true }));
    const engine = llmWorker();
    await expect(engine.load({ ...gpt2(), model: 'no-tokenizer', source: { kind: 'local', path: dir } })).rejects.toMatchObject({
      name: 'ModelNotFound',
      message: expect.stringMatching(/tokenizer of "no-tokenizer" .* was not found at .*Copy the model's tokenizer files/),
    });
  });
});
