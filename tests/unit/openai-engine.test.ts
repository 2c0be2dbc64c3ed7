/**
 * The OpenAI-compatible server engine against the test server (tests/servers/openai-server.ts,
 * the tiny GPT-2 behind the /v1 API): it loads and lists, streams, sends and honours the app's
 * GenerationParams (the same answer as the in-tab engine given the same settings), returns the
 * partial answer when stopped, keeps reasoning out of the answer, and names every failure with its
 * fix: UnknownModel, ServerUnreachable, ContextTooLong with the server's numbers, MixedContent
 * before any request, a wrong key; CORS, local-network and policy refusals by the probe decision,
 * whose browser outcomes are injected here (a browser test comes later). Also across the LLM
 * worker's boundary, as the page uses it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/core/rpc';
import { AppError, isAppError } from '../../src/core/errors';
import type { ChatMessage, GenerationParams } from '../../src/generate/engine';
import { llmHandlers } from '../../src/generate/handler';
import { WorkerChatEngine } from '../../src/generate/client';
import { TransformersChatEngine } from '../../src/generate/transformers-engine';
import {
  connectionFailure,
  contextNumbers,
  listModels,
  normalizeBaseUrl,
  OpenAIChatEngine,
  type ConnectionDeps,
} from '../../src/generate/openai-engine';
import { ReasoningSplitter } from '../../src/generate/reasoning';
import { loadTinyChat } from '../fixtures/models';
import { startOpenAIServer, type OpenAIServerOptions, type RunningOpenAIServer } from '../servers/openai-server';
import { channel } from './channel';

const ASK: ChatMessage[] = [
  { role: 'system', content: 'Answer from the passages.' },
  { role: 'user', content: 'Why does the tide rise?\n\n[1] The moon pulls the oceans, so the tide rises twice a day.' },
];
const GREEDY: GenerationParams = { maxTokens: 16, temperature: 0, topP: 1, seed: 42 };
/** 700 codes of several tokens each: far past the tiny GPT-2's 512 positions. */
const LONG: ChatMessage[] = [{ role: 'user', content: Array.from({ length: 700 }, (_, i) => `tide${i % 50}`).join(' ') }];

let local: TransformersChatEngine;
let server: RunningOpenAIServer;
const servers: RunningOpenAIServer[] = [];
const cleanups: Array<() => void> = [];

/** A server sharing the in-tab engine (one model load for the whole file). */
async function serverWith(opts: OpenAIServerOptions = {}): Promise<RunningOpenAIServer> {
  const s = await startOpenAIServer({ engine: local, ...opts });
  servers.push(s);
  return s;
}

function loaded(s: RunningOpenAIServer, engine = new OpenAIChatEngine(), apiKey?: string): Promise<OpenAIChatEngine> {
  return engine
    .load({ engine: 'openai', model: 'tiny-gpt2', server: { baseUrl: s.url, ...(apiKey ? { apiKey } : {}) } })
    .then(() => engine);
}

beforeAll(async () => {
  local = await loadTinyChat();
  server = await serverWith();
});
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('OpenAI-compatible server engine', () => {
  it('loads a model the server lists, and lists them', async () => {
    const engine = new OpenAIChatEngine();
    const info = await engine.load({ engine: 'openai', model: 'tiny-gpt2', server: { baseUrl: server.url } });
    expect(info).toMatchObject({ engine: 'openai', model: 'tiny-gpt2', backend: 'server', dtype: 'unknown' });
    expect(info.note).toMatch(/127\.0\.0\.1:\d+, on this computer/);
    expect(await listModels({ baseUrl: server.url })).toEqual(['tiny-gpt2']);
    // An address typed without /v1 (or with a trailing slash) reaches the same API.
    expect(await listModels({ baseUrl: server.url.replace(/\/v1$/, '') })).toEqual(['tiny-gpt2']);
  });

  it('streams the answer and reports the server usage and timings', async () => {
    const engine = await loaded(server);
    const deltas: string[] = [];
    const result = await engine.generate(ASK, GREEDY, { onToken: (d) => deltas.push(d) });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(result.text);
    expect(result.promptTokens).toBeGreaterThan(0);
    expect(result.completionTokens).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(result.finishReason);
    expect(result.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(result.totalMs).toBeGreaterThanOrEqual(result.timeToFirstTokenMs);
    expect(result.tokensPerSecond).toBeGreaterThanOrEqual(0);
    expect(result.reasoning).toBeUndefined();
  });

  it('sends the GenerationParams as given: the same answer as the in-tab engine, twice', async () => {
    const engine = await loaded(server);
    const before = server.requests.length;
    const a = await engine.generate(ASK, GREEDY);
    const b = await engine.generate(ASK, GREEDY);
    const inTab = await local.generate(ASK, GREEDY);
    expect(a.text).toBe(b.text);
    expect(a.text).toBe(inTab.text);
    expect(a.completionTokens).toBe(inTab.completionTokens);
    expect(a.promptTokens).toBe(inTab.promptTokens);
    // The exact request, prompt included.
    expect(server.requests[before]!.body).toEqual({
      model: 'tiny-gpt2',
      messages: ASK,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 16,
      temperature: 0,
      top_p: 1,
      seed: 42,
    });
    // Sampling too: the seed makes it repeatable.
    const sampled: GenerationParams = { maxTokens: 24, temperature: 0.9, topP: 0.95, seed: 7 };
    const [c, d] = [await engine.generate(ASK, sampled), await engine.generate(ASK, sampled)];
    expect(c.text).toBe(d.text);
    expect(c.text).toBe((await local.generate(ASK, sampled)).text);
  });

  it('sends only Accept, Content-Type and, with a key, Authorization', async () => {
    const keyed = await serverWith({ apiKey: 'sekrit' });
    const engine = await loaded(keyed, new OpenAIChatEngine(), 'sekrit');
    await engine.generate(ASK, { ...GREEDY, maxTokens: 2 });
    for (const r of keyed.requests) {
      expect(r.authorization).toBe('Bearer sekrit');
      expect(r.headerNames.filter((h) => h.startsWith('x-'))).toEqual([]);
    }
    const before = server.requests.length;
    await loaded(server);
    expect(server.requests[before]!.authorization).toBeUndefined();
  });

  it('refuses a wrong or missing key by name, with the fix', async () => {
    const keyed = await serverWith({ apiKey: 'sekrit' });
    for (const key of [undefined, 'wrong']) {
      const e = await loaded(keyed, new OpenAIChatEngine(), key).catch((x: unknown) => x);
      expect(e).toMatchObject({
        name: 'ServerRequestFailed',
        data: { baseUrl: keyed.url, status: 401, serverMessage: 'Incorrect API key provided.' },
      });
      expect((e as Error).message).toMatch(/API key.*--api-key/);
    }
  });

  it('returns the partial answer when stopped, by interrupt() or by the signal, and the server stops', async () => {
    const slow = await serverWith({ tokenDelayMs: 3 });
    const engine = await loaded(slow);
    const long: GenerationParams = { maxTokens: 300, temperature: 0.8, topP: 1, seed: 5 };
    let streamed = '';
    const result = await engine.generate(ASK, long, {
      onToken: (d) => {
        streamed += d;
        if (streamed.length >= 8) void engine.interrupt();
      },
    });
    expect(result.finishReason).toBe('interrupted');
    expect(result.text.length).toBeGreaterThanOrEqual(8);
    expect(result.text).toBe(streamed);
    await slow.idle();
    expect(slow.requests.at(-1)).toMatchObject({ outcome: 'aborted', completionTokens: expect.any(Number) });
    expect(slow.requests.at(-1)!.completionTokens).toBeLessThan(300);

    const stop = new AbortController();
    let seen = '';
    const byStop = await engine.generate(ASK, long, {
      signal: stop.signal,
      onToken: (d) => {
        seen += d;
        stop.abort();
      },
    });
    expect(byStop).toMatchObject({ finishReason: 'interrupted', text: seen });
    // Stopped before it began: an empty answer, not an error.
    const early = await engine.generate(ASK, long, { signal: AbortSignal.abort() });
    expect(early).toMatchObject({ finishReason: 'interrupted', text: '' });
  });

  it('names a model the server does not have, listing the ones it has', async () => {
    const e = await new OpenAIChatEngine()
      .load({ engine: 'openai', model: 'llama3.2', server: { baseUrl: server.url } })
      .catch((x: unknown) => x);
    expect(isAppError(e, 'UnknownModel')).toBe(true);
    expect(e).toMatchObject({ data: { baseUrl: server.url, model: 'llama3.2', available: ['tiny-gpt2'] } });
    expect((e as Error).message).toMatch(/no model "llama3\.2"\. It has: tiny-gpt2\..*ollama pull/);
  });

  it('says when an address has no OpenAI API under it (a path without /v1)', async () => {
    const api = server.url.replace(/\/v1$/, '/api');
    const e = await new OpenAIChatEngine()
      .load({ engine: 'openai', model: 'tiny-gpt2', server: { baseUrl: api } })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'ServerRequestFailed', data: { baseUrl: api, status: 404 } });
    expect((e as Error).message).toMatch(/no OpenAI-compatible API at .*\/api.*under \/v1/);
  });

  it('says ServerUnreachable, with how to start each server, for a port nothing listens on', async () => {
    const gone = await startOpenAIServer({ engine: local });
    await gone.close();
    const started = performance.now();
    const e = await loaded(gone).catch((x: unknown) => x);
    expect(performance.now() - started).toBeLessThan(2000); // no retries with back-off first
    expect(e).toMatchObject({ name: 'ServerUnreachable', data: { baseUrl: gone.url } });
    const message = (e as Error).message;
    for (const how of ['ollama serve', 'llama-server -m model.gguf --port 8080', 'Start Server', 'vllm serve <model>'])
      expect(message).toContain(how);
    await expect(listModels({ baseUrl: gone.url })).rejects.toMatchObject({ name: 'ServerUnreachable' });
    // And a generation whose server went away after loading.
    const doomed = await serverWith();
    const engine = await loaded(doomed);
    await doomed.close();
    await expect(engine.generate(ASK, GREEDY)).rejects.toMatchObject({ name: 'ServerUnreachable' });
  });

  it('maps the server refusing a long prompt to ContextTooLong with its numbers', async () => {
    const engine = await loaded(server);
    const e = await engine.generate(LONG, GREEDY).catch((x: unknown) => x);
    const inTab = await local.generate(LONG, GREEDY).catch((x: unknown) => x);
    expect(isAppError(e, 'ContextTooLong')).toBe(true);
    expect(isAppError(inTab, 'ContextTooLong')).toBe(true);
    // The very numbers the in-tab engine gives, read back from the server's sentence.
    expect((e as AppError<'ContextTooLong'>).data).toEqual((inTab as AppError<'ContextTooLong'>).data);
    expect((e as Error).message).toMatch(/reads at most 512 tokens.*llama-server `-c N`/);
  });

  it('refuses an http server on the LAN from an https page before any request; localhost is allowed', async () => {
    const calls: string[] = [];
    const recording: Partial<ConnectionDeps> = {
      fetch: (input, init) => {
        calls.push(String(input instanceof Request ? input.url : input));
        return fetch(input, init);
      },
    };
    const engine = new OpenAIChatEngine('https://ragscope.app', recording);
    const e = await engine
      .load({ engine: 'openai', model: 'qwen3', server: { baseUrl: 'http://192.168.1.5:11434/v1' } })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'MixedContent', data: { baseUrl: 'http://192.168.1.5:11434/v1', origin: 'https://ragscope.app' } });
    expect((e as Error).message).toMatch(/over https.*http:\/\/localhost/);
    expect(calls).toEqual([]);
    await expect(listModels({ baseUrl: 'http://192.168.1.5:11434' }, { pageOrigin: 'https://ragscope.app' })).rejects.toMatchObject({
      name: 'MixedContent',
    });
    // This computer is not mixed content; an http page may reach the LAN.
    const port = new URL(server.url).port;
    await expect(loaded({ ...server, url: `http://localhost:${port}/v1` }, engine)).resolves.toBeInstanceOf(OpenAIChatEngine);
    expect(calls.length).toBeGreaterThan(0);
    const http = new OpenAIChatEngine('http://192.168.1.20:5173');
    await expect(loaded(server, http)).resolves.toBeInstanceOf(OpenAIChatEngine);
  });

  it('keeps reasoning out of the answer, whichever way the server sends it', async () => {
    const THOUGHT = 'The user asks about tides. Passage [1] says the moon pulls.';
    const plain = await local.generate(ASK, GREEDY);
    for (const style of ['think-tags', 'reasoning_content', 'reasoning', 'think-close-only'] as const) {
      const thinking = await serverWith({ reasoning: { style, text: THOUGHT } });
      const engine = await loaded(thinking);
      let streamed = '';
      const result = await engine.generate(ASK, GREEDY, { onToken: (d) => (streamed += d) });
      expect(result.text, style).toBe(plain.text);
      expect(result.reasoning, style).toBe(THOUGHT);
      // Streamed text is the answer too, except where the block was opened in the prompt (see reasoning.ts).
      if (style === 'think-close-only') expect(streamed).toContain(THOUGHT);
      else expect(streamed, style).toBe(plain.text);
    }
  });

  it('works behind the LLM worker, errors keeping their name and data', async () => {
    const { page, worker, close } = channel();
    cleanups.push(close);
    serve(
      worker,
      llmHandlers(async (kind) => (kind === 'openai' ? new OpenAIChatEngine() : local)),
    );
    const engine = new WorkerChatEngine(page);
    await expect(engine.load({ engine: 'openai', model: 'nope', server: { baseUrl: server.url } })).rejects.toMatchObject({
      name: 'UnknownModel',
      data: { available: ['tiny-gpt2'] },
    });
    await expect(engine.load({ engine: 'openai', model: 'tiny-gpt2', server: { baseUrl: server.url } })).resolves.toMatchObject({
      engine: 'openai',
      backend: 'server',
    });
    let streamed = '';
    const result = await engine.generate(ASK, GREEDY, { onToken: (d) => (streamed += d) });
    expect(result.text).toBe((await local.generate(ASK, GREEDY)).text);
    expect(streamed).toBe(result.text);
  });
});

describe('why a request got no answer (the browser probe, outcomes injected)', () => {
  const BASE = 'http://localhost:11434/v1';
  const PAGE = 'https://ragscope.app';
  const deps = (over: Partial<ConnectionDeps>): ConnectionDeps & { probes: string[] } => {
    const probes: string[] = [];
    return {
      probes,
      fetch: (input, init) => {
        probes.push(`${String(input)} ${init?.mode}`);
        return Promise.resolve(new Response(null));
      },
      permission: () => Promise.resolve(null),
      blockedByPolicy: () => false,
      ...over,
    };
  };

  it('says CorsRefused when the opaque no-cors probe reaches the server', async () => {
    const d = deps({});
    const e = await connectionFailure(BASE, PAGE, 'TypeError: Failed to fetch', d);
    expect(e).toMatchObject({ name: 'CorsRefused', data: { baseUrl: BASE, origin: PAGE } });
    expect(d.probes).toEqual([`${BASE}/models no-cors`]);
    for (const fix of [`OLLAMA_ORIGINS=${PAGE} ollama serve`, 'Enable CORS', `--allowed-origins '["${PAGE}"]'`, `--cors-origins ${PAGE}`]) {
      expect(e.message).toContain(fix);
    }
  });

  it('says ServerUnreachable when the probe does not reach it either', async () => {
    const d = deps({ fetch: () => Promise.reject(new TypeError('Failed to fetch')) });
    await expect(connectionFailure(BASE, PAGE, 'TypeError: Failed to fetch', d)).resolves.toMatchObject({ name: 'ServerUnreachable' });
  });

  it('says LocalNetworkDenied when the browser permission for that address space is denied', async () => {
    const asked: string[] = [];
    const d = deps({
      permission: (name) => {
        asked.push(name);
        return Promise.resolve(name === 'loopback-network' ? 'denied' : null);
      },
    });
    const e = await connectionFailure(BASE, PAGE, 'Failed to fetch', d);
    expect(e).toMatchObject({ name: 'LocalNetworkDenied', data: { baseUrl: BASE, permission: 'loopback-network' } });
    expect(e.message).toMatch(/Site settings/);
    expect(d.probes).toEqual([]);
    // A LAN address asks for 'local-network', then Chrome 142's single permission.
    const lan = deps({
      permission: (name) => {
        asked.push(name);
        return Promise.resolve(name === 'local-network-access' ? 'denied' : null);
      },
    });
    await expect(connectionFailure('http://192.168.1.5:8000/v1', PAGE, 'x', lan)).resolves.toMatchObject({
      name: 'LocalNetworkDenied',
      data: { permission: 'local-network-access' },
    });
    expect(asked).toEqual(['loopback-network', 'local-network', 'local-network-access']);
    // Granted (or a page already on this computer): no permission to blame, the probe decides.
    const granted = deps({ permission: () => Promise.resolve('granted') });
    await expect(connectionFailure(BASE, PAGE, 'x', granted)).resolves.toMatchObject({ name: 'CorsRefused' });
    const localPage = deps({ permission: () => Promise.resolve('denied') });
    await expect(connectionFailure(BASE, 'http://localhost:5173', 'x', localPage)).resolves.toMatchObject({ name: 'CorsRefused' });
  });

  it("says ServerBlockedByPolicy when the page's CSP refused the server", async () => {
    // A room server on another machine that the build did not name.
    const room = 'https://gpu.lab.example:8000/v1';
    const e = await connectionFailure(
      room,
      PAGE,
      'Failed to fetch',
      deps({ blockedByPolicy: (o) => o === 'https://gpu.lab.example:8000' }),
    );
    expect(e).toMatchObject({ name: 'ServerBlockedByPolicy', data: { baseUrl: room } });
    expect(e.message).toContain('RAGSCOPE_LLM_SERVERS="https://gpu.lab.example:8000"');
  });

  it('blames nothing but the server without a page (Node) or for a same-origin server', async () => {
    const d = deps({});
    await expect(connectionFailure(BASE, '', 'fetch failed', d)).resolves.toMatchObject({ name: 'ServerUnreachable' });
    await expect(connectionFailure('http://localhost:11434/v1', 'http://localhost:11434', 'x', d)).resolves.toMatchObject({
      name: 'ServerUnreachable',
    });
    expect(d.probes).toEqual([]);
  });

  it('runs the probe from the engine when the real request fails like a CORS refusal does', async () => {
    // A browser's view of a server that answers but does not allow the origin.
    const fetchLikeBrowser: ConnectionDeps['fetch'] = (_input, init) =>
      init?.mode === 'no-cors' ? Promise.resolve(new Response(null)) : Promise.reject(new TypeError('Failed to fetch'));
    const engine = new OpenAIChatEngine('http://localhost:5173', { fetch: fetchLikeBrowser, permission: async () => null });
    await expect(engine.load({ engine: 'openai', model: 'm', server: { baseUrl: 'http://localhost:1234/v1' } })).rejects.toMatchObject({
      name: 'CorsRefused',
      data: { origin: 'http://localhost:5173' },
      causeText: expect.stringMatching(/Failed to fetch/),
    });
  });
});

describe('reading what servers say', () => {
  const MSG: ChatMessage[] = [{ role: 'user', content: 'x'.repeat(4000) }];

  it('reads the token numbers of each server’s context refusal', () => {
    const cases: Array<[object, string, [number, number]]> = [
      // llama-server: the counts in the body.
      [
        { type: 'exceed_context_size_error', n_prompt_tokens: 9412, n_ctx: 8192 },
        'request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it',
        [9412, 8192],
      ],
      [{ code: 400 }, 'request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it', [9412, 8192]],
      // OpenAI, and vLLM's older wording.
      [
        { code: 'context_length_exceeded' },
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
        [9000, 8192],
      ],
      [
        {},
        "This model's maximum context length is 2048 tokens. However, you requested 2100 tokens (2000 in the messages, 100 in the completion).",
        [2000, 2048],
      ],
      // vLLM's newer ones.
      [
        { type: 'BadRequestError' },
        "This model's maximum context length is 1536 tokens. However, your request has 4176 input tokens. Please reduce the length of the input messages.",
        [4176, 1536],
      ],
      [
        {},
        "'max_tokens' or 'max_completion_tokens' is too large: 8000. This model's maximum context length is 4096 tokens and your request has 2778 input tokens (8000 > 4096 - 2778).",
        [2778, 4096],
      ],
      // LM Studio.
      [
        {},
        'Trying to keep the first 10136 tokens when context the overflows. However, the model is loaded with context length of only 7866 tokens, which is not enough.',
        [10136, 7866],
      ],
    ];
    for (const [body, message, [prompt, window]] of cases) {
      expect(contextNumbers(body, message, 64, MSG), message).toEqual({
        promptTokens: prompt,
        maxTokens: 64,
        contextWindow: window,
        exact: true,
      });
    }
  });

  it('estimates what a server does not say, and ignores other errors', () => {
    expect(contextNumbers({ code: 'context_length_exceeded' }, 'Too long.', 64, MSG)).toEqual({
      promptTokens: 1000,
      maxTokens: 64,
      contextWindow: 1000,
      exact: false,
    });
    expect(
      contextNumbers(
        {},
        'Reached context length of 4096 tokens with model (arch: qwen3) that does not currently support mid-generation context overflow.',
        64,
        MSG,
      ),
    ).toMatchObject({ contextWindow: 4096, exact: false });
    expect(contextNumbers({ code: 'model_not_found' }, 'The model does not exist', 64, MSG)).toBeNull();
  });

  it("brings a server's own words through whatever shape its error body has", async () => {
    const bodies: Array<[string, string]> = [
      [
        '{"object":"error","message":"This model\'s maximum context length is 2048 tokens. However, you requested 2100 tokens (2000 in the messages, 100 in the completion).","type":"BadRequestError","code":400}',
        'ContextTooLong',
      ],
      ['{"error":"model \\"qwen3\\" not found, try pulling it first"}', 'UnknownModel'],
      ['{"detail":"Internal failure in the sampler"}', 'Internal failure in the sampler'],
      ['upstream connect error', 'upstream connect error'],
      // FastAPI's validation detail echoes the request: only its start reaches the message.
      [JSON.stringify({ detail: [{ loc: ['body', 'messages'], input: 'x'.repeat(5000) }] }), '"loc":["body","messages"]'],
    ];
    for (const [body, expected] of bodies) {
      const status = expected === 'UnknownModel' ? 404 : expected === 'ContextTooLong' ? 400 : 500;
      const fake: ConnectionDeps['fetch'] = async (input) =>
        String(input).endsWith('/models')
          ? new Response(JSON.stringify({ object: 'list', data: [{ id: 'qwen3', object: 'model' }] }), {
              headers: { 'content-type': 'application/json' },
            })
          : new Response(body, { status });
      const engine = new OpenAIChatEngine('', { fetch: fake });
      await engine.load({ engine: 'openai', model: 'qwen3', server: { baseUrl: 'http://localhost:11434/v1' } });
      const e = await engine.generate(MSG, GREEDY).catch((x: unknown) => x);
      if (expected === 'ContextTooLong')
        expect(e).toMatchObject({ name: 'ContextTooLong', data: { promptTokens: 2000, contextWindow: 2048 } });
      else if (expected === 'UnknownModel')
        expect(e).toMatchObject({ name: 'UnknownModel', message: expect.stringMatching(/ollama pull qwen3/) });
      else if (body.includes('"detail":[')) {
        const said = (e as { data: { serverMessage: string } }).data.serverMessage;
        expect(said).toContain(expected);
        expect(said.length).toBeLessThanOrEqual(500);
      } else expect(e).toMatchObject({ name: 'ServerRequestFailed', data: { status: 500, serverMessage: expected } });
    }
  });

  it('normalises the addresses people type', () => {
    expect(normalizeBaseUrl('localhost:11434')).toBe('http://localhost:11434/v1');
    expect(normalizeBaseUrl(' http://localhost:8080/ ')).toBe('http://localhost:8080/v1');
    expect(normalizeBaseUrl('http://gpu-box:8000/v1/')).toBe('http://gpu-box:8000/v1');
    expect(normalizeBaseUrl('http://localhost:1234/v1/chat/completions')).toBe('http://localhost:1234/v1');
    expect(normalizeBaseUrl('https://user:pw@models.lan/openai/v1?x=1')).toBe('https://models.lan/openai/v1');
    expect(() => normalizeBaseUrl('ftp://x')).toThrow(expect.objectContaining({ name: 'InvalidSettings' }));
    expect(() => normalizeBaseUrl('http://')).toThrow(expect.objectContaining({ name: 'InvalidSettings' }));
  });
});

describe('reasoning splitter', () => {
  const TEXT = 'before<think>a thought</think>\n\nthe answer';

  it('splits <think> blocks cut at every position across deltas', () => {
    for (let cut = 0; cut <= TEXT.length; cut++) {
      for (let cut2 = cut; cut2 <= TEXT.length; cut2 += 3) {
        const s = new ReasoningSplitter();
        let streamed = '';
        for (const part of [TEXT.slice(0, cut), TEXT.slice(cut, cut2), TEXT.slice(cut2)]) streamed += s.push(part).answer;
        streamed += s.finish().answer;
        expect(s.answer, `${cut}/${cut2}`).toBe('beforethe answer');
        expect(streamed).toBe('beforethe answer');
        expect(s.reasoning).toBe('a thought');
      }
    }
  });

  it('moves everything before an unopened </think> to the reasoning at the end', () => {
    const s = new ReasoningSplitter();
    for (const part of ['I think', ' hard', '</th', 'ink>\n', 'Paris.']) s.push(part);
    s.finish();
    expect(s.answer).toBe('Paris.');
    expect(s.reasoning).toBe('I think hard');
  });

  it('leaves text without tags alone, a lone "<" included', () => {
    const s = new ReasoningSplitter();
    let out = '';
    for (const part of ['a <', 'b', ' c<', '/']) out += s.push(part).answer;
    out += s.finish().answer;
    expect(out).toBe('a <b c</');
    expect(s.reasoning).toBe('');
  });

  it('keeps an unfinished thought as reasoning', () => {
    const s = new ReasoningSplitter();
    s.push('<think>still going</th');
    s.finish();
    expect(s.answer).toBe('');
    expect(s.reasoning).toBe('still going</th');
  });
});
