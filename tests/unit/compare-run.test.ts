/**
 * The comparison run with the real transformers.js engine on the generated tiny GPT-2 and the app's
 * own keyword retrieval: both sides stream, they get identical settings, only B sees passages, and
 * Stop interrupts the side that is running.
 */
import { assert, beforeAll, describe, expect, it } from 'vitest';
import { runComparison, type CompareDeps, type CompareRequest, type Side } from '../../src/compare/run';
import { TransformersChatEngine } from '../../src/generate/transformers-engine';
import type { ChatEngine, ChatMessage, GenerationParams } from '../../src/generate/engine';
import { keywordEntry } from '../../src/index/analyze';
import { KeywordIndex } from '../../src/index/keyword';
import { retrieve } from '../../src/index/retrieve';
import type { SearchHit, SearchResult } from '../../src/library/protocol';
import { isAppError } from '../../src/core/errors';
import { contextTooLongAdvice } from '../../src/generate/context-window';
import { chunkId } from '../../src/core/ids';
import { loadTinyChat } from '../fixtures/models';

const PASSAGES = [
  { chunkId: 'tides:0', docName: 'tides.md', headingPath: ['Tides'], text: 'The moon pulls the oceans, so the tide rises twice a day.' },
  {
    chunkId: 'bread:0',
    docName: 'bread.md',
    headingPath: ['Baking'],
    text: 'Sourdough rises slowly because wild yeast ferments the flour.',
  },
  { chunkId: 'trains:0', docName: 'trains.txt', headingPath: [], text: 'The night train reaches the coast by morning.' },
];

/** The app's retrieval (BM25 + retrieve()) over three passages, answering like the library worker. */
function search(question: string, r: CompareRequest['retrieval']): Promise<SearchResult> {
  const index = KeywordIndex.fromEntries(PASSAGES.map((p) => keywordEntry(p.chunkId, p.text)));
  const res = retrieve({ query: question, mode: r.mode, k: r.k }, { keyword: index });
  const hits: SearchHit[] = res.hits.map((h) => {
    const p = PASSAGES.find((x) => x.chunkId === h.chunkId)!;
    return { ...h, docId: p.docName, docName: p.docName, ordinal: 0, text: p.text, headingPath: p.headingPath };
  });
  return Promise.resolve({ hits, modeUsed: res.modeUsed, ms: res.ms.total, retrieveMs: res.ms.total });
}

/** The real engine, with every call's messages and params recorded. */
function recording(engine: ChatEngine): { engine: ChatEngine; calls: Array<{ messages: ChatMessage[]; params: GenerationParams }> } {
  const calls: Array<{ messages: ChatMessage[]; params: GenerationParams }> = [];
  return {
    calls,
    engine: {
      load: (r, o) => engine.load(r, o),
      generate: (messages, params, opts) => {
        calls.push({ messages, params });
        return engine.generate(messages, params, opts);
      },
      interrupt: () => engine.interrupt(),
      unload: () => engine.unload(),
    },
  };
}

const PARAMS: GenerationParams = { maxTokens: 12, temperature: 0, topP: 1, seed: 42 };
const REQ: CompareRequest = { question: 'Why does the tide rise?', retrieval: { mode: 'keyword', k: 2 }, params: PARAMS };

/** One long passage of codes ("tide12"), each several tokens to the tiny GPT-2's tokenizer. */
const CODES: SearchHit = {
  chunkId: 'codes:0',
  rank: 1,
  score: 9,
  docId: 'codes',
  docName: 'codes.md',
  ordinal: 0,
  text: Array.from({ length: 700 }, (_, i) => `tide${i % 50}`).join(' '),
  headingPath: [],
};

let engine: TransformersChatEngine;
beforeAll(async () => {
  engine = await loadTinyChat();
});

describe('comparison run', () => {
  it('answers twice on one engine with identical settings; only the grounded side sees the passages', async () => {
    const rec = recording(engine);
    const deps: CompareDeps = { engine: rec.engine, search };
    const log: string[] = [];
    const streamed: Record<Side, string> = { plain: '', grounded: '' };
    const out = await runComparison(REQ, deps, {
      onRetrieved: (r) => log.push(`retrieved ${r.hits.length}`),
      onStart: (side) => log.push(`start ${side}`),
      onToken: (side, d) => (streamed[side] += d),
      onDone: (side, run) => log.push(`done ${side} ${run.status}`),
    });
    expect(log).toEqual(['retrieved 2', 'start plain', 'done plain done', 'start grounded', 'done grounded done']);

    // Same params for both, value for value (one frozen object, in fact).
    expect(rec.calls).toHaveLength(2);
    expect(rec.calls[0]!.params).toEqual(PARAMS);
    expect(rec.calls[1]!.params).toBe(rec.calls[0]!.params);
    expect(out.params).toEqual(PARAMS);

    // A: the question alone. B: the retrieved passages, numbered, then the question.
    expect(out.plain.messages[1]!.content).toBe('Why does the tide rise?');
    expect(out.plain.messages.map((m) => m.content).join('\n')).not.toContain('<passage');
    // "rise" also matches the sourdough passage, ranked below the one about tides.
    expect(out.retrieval.hits.map((h) => h.docName)).toEqual(['tides.md', 'bread.md']);
    expect(out.grounded.messages[1]!.content).toContain('<passage number="1" source="tides.md, Tides">');
    expect(out.grounded.messages[1]!.content).toContain('<passage number="2" source="bread.md, Baking">');
    expect(out.grounded.messages[1]!.content).toMatch(/Question: Why does the tide rise\?$/);

    // Both streamed what they returned, with their own numbers.
    for (const side of ['plain', 'grounded'] as const) {
      const r = out[side].result!;
      expect(r.completionTokens).toBeGreaterThan(0);
      expect(streamed[side]).toBe(r.text);
      expect(r.promptTokens).toBeGreaterThan(0);
    }
    expect(out.grounded.result!.promptTokens).toBeGreaterThan(out.plain.result!.promptTokens);
  });

  it('is reproducible: same question, same settings, same answers', async () => {
    const deps: CompareDeps = { engine, search };
    const [a, b] = [await runComparison(REQ, deps), await runComparison(REQ, deps)];
    expect([b.plain.result!.text, b.grounded.result!.text]).toEqual([a.plain.result!.text, a.grounded.result!.text]);
  });

  it('Stop during "model only" keeps its partial answer and never starts the other side', async () => {
    const controller = new AbortController();
    const started: Side[] = [];
    const out = await runComparison(
      REQ,
      { engine, search },
      { onStart: (side) => started.push(side), onToken: (side) => side === 'plain' && controller.abort() },
      controller.signal,
    );
    expect(started).toEqual(['plain']);
    expect(out.plain.status).toBe('interrupted');
    expect(out.plain.result!.completionTokens).toBeLessThan(PARAMS.maxTokens);
    expect(out.grounded).toMatchObject({ status: 'stopped', result: null });
  });

  it('Stop during "model + documents" leaves the first answer whole', async () => {
    const controller = new AbortController();
    const out = await runComparison(
      REQ,
      { engine, search },
      { onToken: (side) => side === 'grounded' && controller.abort() },
      controller.signal,
    );
    expect(out.plain.status).toBe('done');
    expect(out.grounded.status).toBe('interrupted');
  });

  it("leaves out the lowest-ranked passages that do not fit the model's context window, and says how many it used", async () => {
    const long = (doc: string, rank: number): SearchHit => ({
      chunkId: chunkId(doc, 0),
      rank,
      score: 10 - rank,
      docId: doc,
      docName: `${doc}.md`,
      ordinal: 0,
      text: `${doc} `.repeat(25),
      headingPath: [],
    });
    const hits = [long('alpha', 1), long('beta', 2), long('gamma', 3)];
    const longSearch = (): Promise<SearchResult> => Promise.resolve({ hits, modeUsed: 'keyword', ms: 0, retrieveMs: 0 });
    const out = await runComparison(REQ, { engine, search: longSearch });
    expect(out.grounded.status).toBe('done');
    const used = out.grounded.passagesUsed!;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(3);
    // The prompt sent carries exactly the best `used` passages, and fits with the answer (tiny GPT-2 reads 512 tokens).
    expect(out.grounded.messages[1]!.content.match(/<passage /g)).toHaveLength(used);
    expect(out.grounded.messages[1]!.content).toContain('source="alpha.md"');
    expect(out.grounded.result!.promptTokens + PARAMS.maxTokens).toBeLessThanOrEqual(512);
  });

  it('cuts the end of a single passage too long for the context, instead of answering without it', async () => {
    const huge: SearchHit = {
      chunkId: 'log:0',
      rank: 1,
      score: 9,
      docId: 'log',
      docName: 'log.md',
      ordinal: 0,
      text: Array.from({ length: 700 }, (_, i) => `tide${i % 50}`).join(' '),
      headingPath: [],
    };
    const out = await runComparison(REQ, {
      engine,
      search: () => Promise.resolve({ hits: [huge], modeUsed: 'keyword', ms: 0, retrieveMs: 0 }),
    });
    expect(out.grounded.status).toBe('done');
    expect(out.grounded.passagesUsed).toBe(1);
    const kept = out.grounded.firstPassageChars!;
    expect(kept).toBeLessThan(huge.text.length);
    expect(kept).toBeGreaterThanOrEqual(200);
    // The prompt carries the start of the passage, marked as cut, and fits with room for the answer.
    const content = out.grounded.messages[1]!.content;
    expect(content).toContain(huge.text.slice(0, 100));
    expect(content).toContain(' …');
    expect(content).not.toContain(huge.text.slice(-40));
    expect(out.grounded.result!.promptTokens + PARAMS.maxTokens).toBeLessThanOrEqual(512);
  });

  it('the engine refuses a prompt it cannot read, by name and with the numbers, before running the model', async () => {
    const err = await engine.generate([{ role: 'user', content: 'tide '.repeat(600) }], PARAMS).catch((e: unknown) => e);
    assert(isAppError(err, 'ContextTooLong'), String(err));
    expect(err.data).toMatchObject({ maxTokens: 12, contextWindow: 512 });
    expect(err.data.promptTokens + err.data.maxTokens).toBeGreaterThan(err.data.contextWindow);
    expect(err.message).toMatch(/reads at most 512 tokens/);
  });

  it('when one passage cut short still does not fit with 12 max tokens, says so and advises smaller chunks or a longer-window model', async () => {
    // A passage of codes takes more tokens per character than the prompt around it, so the first
    // estimate of the cut overshoots: the shortest useful passage is still tried before giving up.
    const out = await runComparison(
      { ...REQ, question: 'Why does the tide rise at Kestrel Point '.repeat(6).trim() + '?', retrieval: { mode: 'keyword', k: 1 } },
      { engine, search: () => Promise.resolve({ hits: [CODES], modeUsed: 'keyword', ms: 0, retrieveMs: 0 }) },
    );
    expect(out.plain.status).toBe('done');
    expect(out.grounded.status).toBe('failed');
    expect(out.grounded.passagesUsed).toBe(1);
    expect(out.grounded.firstPassageChars).toBe(200);
    const error = out.grounded.error!;
    expect(error.name).toBe('ContextTooLong');
    expect(error.message).toMatch(/answer may take 12 more, but this model reads at most 512 tokens/);
    expect(error.message).toMatch(/smaller chunks \(Settings → Documents → Chunk size.*longer context window/);
    expect(error.message).not.toMatch(/fewer passages|max tokens/i);
  });

  it('when one passage and the many max tokens asked for do not fit, advises a max tokens that does, and that answers', async () => {
    const question = { ...REQ, retrieval: { mode: 'keyword' as const, k: 1 } };
    const deps: CompareDeps = { engine, search: () => Promise.resolve({ hits: [CODES], modeUsed: 'keyword', ms: 0, retrieveMs: 0 }) };
    const out = await runComparison({ ...question, params: { ...PARAMS, maxTokens: 400 } }, deps);
    expect(out.grounded.status).toBe('failed');
    expect(out.grounded.passagesUsed).toBe(1);
    const advised = /set max tokens to (\d+) or fewer \(next to the question\)/i.exec(out.grounded.error!.message);
    expect(advised, out.grounded.error!.message).not.toBeNull();
    expect(out.grounded.error!.message).not.toMatch(/fewer passages/);
    const again = await runComparison({ ...question, params: { ...PARAMS, maxTokens: Number(advised![1]) } }, deps);
    expect(again.grounded.status).toBe('done');
    expect(again.grounded.passagesUsed).toBe(1);
  });

  it('refuses an empty question by name', async () => {
    const err = await runComparison({ ...REQ, question: '   ' }, { engine, search }).catch((e: unknown) => e);
    expect(isAppError(err, 'InvalidRequest')).toBe(true);
  });
});

describe('what a prompt that does not fit advises', () => {
  const window = (promptTokens: number, maxTokens: number) => ({ promptTokens, maxTokens, contextWindow: 1024 });

  it('several passages: fewer passages first', () => {
    const advice = contextTooLongAdvice(window(1100, 256), { passages: 4, passageTokens: 900 });
    expect(advice).toMatch(/^Ask with fewer passages \(Top, next to the question\)/);
    expect(advice).toMatch(/longer context window\.$/);
  });

  it('one passage and many max tokens: max tokens that leave room, not fewer passages', () => {
    const advice = contextTooLongAdvice(window(600, 1024), { passages: 1, passageTokens: 400 });
    expect(advice).toMatch(/^Set Max tokens to 424 or fewer \(next to the question\)/);
    expect(advice).not.toMatch(/fewer passages/);
  });

  it('one passage and few max tokens: only smaller chunks or a model with a longer window', () => {
    const advice = contextTooLongAdvice(window(1030, 12), { passages: 1, passageTokens: 900 });
    expect(advice).toBe(
      'Use smaller chunks (Settings → Documents → Chunk size, then rebuild the documents), or choose a model with a longer context window.',
    );
  });

  it('a question too long for the window: a shorter question, whatever the passages', () => {
    expect(contextTooLongAdvice(window(1030, 12), { passages: 1, passageTokens: 60 })).toBe(
      'Ask a shorter question, or choose a model with a longer context window.',
    );
    // The model-only side carries no passages at all.
    expect(contextTooLongAdvice(window(1100, 12), { passages: 0, passageTokens: 0 })).toBe(
      'Ask a shorter question, or choose a model with a longer context window.',
    );
  });
});
