/**
 * The test server's contract, checked with the official `openai` client (the one real servers are
 * used with): it must look like Ollama / llama-server / vLLM's /v1 API for the engine tests to mean
 * anything. Listing, completions with usage (plain and streamed), a stream stopped midway (the
 * server stops generating), OpenAI-shaped 404 / 401 / 400 errors, and CORS only for allowed origins.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAI } from 'openai/client';
import { AuthenticationError, BadRequestError, NotFoundError } from 'openai/error';
import type { ChatEngine } from '../../src/generate/engine';
import { startOpenAIServer, type RunningOpenAIServer } from '../servers/openai-server';

const MESSAGES = [
  { role: 'system' as const, content: 'Answer briefly.' },
  { role: 'user' as const, content: 'Why does the tide rise?' },
];

let server: RunningOpenAIServer;
let client: OpenAI;
beforeAll(async () => {
  server = await startOpenAIServer({ cors: { origins: ['http://localhost:5173'] }, tokenDelayMs: 2 });
  client = new OpenAI({ baseURL: server.url, apiKey: 'none', maxRetries: 0, organization: null, project: null });
});
afterAll(() => server.close());

/** A raw request (Node's fetch may not send an Origin header), answered with status and headers. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  base = server.url,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  const url = new URL(`${base}${path}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('OpenAI-compatible test server', () => {
  it('lists its model', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['tiny-gpt2']);
  });

  it('answers a completion with usage, and records the exact request', async () => {
    const res = await client.chat.completions.create({ model: 'tiny-gpt2', messages: MESSAGES, max_tokens: 8, temperature: 0, seed: 1 });
    const choice = res.choices[0]!;
    expect(choice.message.role).toBe('assistant');
    expect(typeof choice.message.content).toBe('string');
    expect(['stop', 'length']).toContain(choice.finish_reason);
    expect(res.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage!.completion_tokens).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    const last = server.requests.at(-1)!;
    expect(last).toMatchObject({ method: 'POST', path: '/v1/chat/completions', outcome: 'completed' });
    expect(last.body).toMatchObject({ model: 'tiny-gpt2', messages: MESSAGES, max_tokens: 8, temperature: 0, seed: 1 });
  });

  it('streams the same answer as deltas, then a usage chunk and [DONE]', async () => {
    const whole = await client.chat.completions.create({ model: 'tiny-gpt2', messages: MESSAGES, max_tokens: 12, temperature: 0 });
    const stream = await client.chat.completions.create({
      model: 'tiny-gpt2',
      messages: MESSAGES,
      max_tokens: 12,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    let deltas = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        deltas++;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) {
        expect(chunk.choices).toEqual([]);
        usage = chunk.usage;
      }
    }
    expect(deltas).toBeGreaterThan(1);
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe(whole.choices[0]!.finish_reason);
    expect(usage).toEqual(whole.usage);
  });

  it('sends no usage chunk unless asked', async () => {
    const stream = await client.chat.completions.create({ model: 'tiny-gpt2', messages: MESSAGES, max_tokens: 4, stream: true });
    for await (const chunk of stream) expect(chunk.usage ?? null).toBeNull();
  });

  it('stops generating when the client aborts mid-stream', async () => {
    const stop = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'tiny-gpt2', messages: MESSAGES, max_tokens: 400, temperature: 0.8, seed: 3, stream: true },
      { signal: stop.signal },
    );
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (text.length > 0) stop.abort();
    }
    await server.idle();
    const last = server.requests.at(-1)!;
    expect(last.outcome).toBe('aborted');
    expect(last.completionTokens).toBeLessThan(400);
  });

  it('answers an unknown model with 404 model_not_found', async () => {
    const e = await client.chat.completions.create({ model: 'llama3', messages: MESSAGES }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e).toMatchObject({ status: 404, code: 'model_not_found', message: expect.stringMatching(/llama3/) });
  });

  it('answers a missing or wrong key with 401 when it has one', async () => {
    const keyed = await startOpenAIServer({ apiKey: 'sekrit' });
    try {
      const wrong = new OpenAI({ baseURL: keyed.url, apiKey: 'nope', maxRetries: 0, organization: null, project: null });
      await expect(wrong.models.list()).rejects.toBeInstanceOf(AuthenticationError);
      await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      const right = new OpenAI({ baseURL: keyed.url, apiKey: 'sekrit', maxRetries: 0, organization: null, project: null });
      expect((await right.models.list()).data).toHaveLength(1);
    } finally {
      await keyed.close();
    }
  });

  it('refuses a prompt longer than the context window with 400 context_length_exceeded and the numbers', async () => {
    const long = Array.from({ length: 700 }, (_, i) => `tide${i % 50}`).join(' ');
    const e = await client.chat.completions
      .create({ model: 'tiny-gpt2', messages: [{ role: 'user', content: long }], max_tokens: 16 })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    expect((e as Error).message).toMatch(
      /maximum context length is 512 tokens\. However, you requested \d+ tokens \(\d+ in the messages, 16 in the completion\)/,
    );
  });

  it('sends CORS headers only to allowed origins, on requests and preflights', async () => {
    const allowed = await raw('GET', '/models', { origin: 'http://localhost:5173' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const other = await raw('GET', '/models', { origin: 'https://evil.example' });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();

    const preflight = await raw('OPTIONS', '/chat/completions', {
      origin: 'http://localhost:5173',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'http://localhost:5173',
      'access-control-allow-methods': expect.stringMatching(/POST/),
      'access-control-allow-headers': 'authorization,content-type',
    });
    const refused = await raw('OPTIONS', '/chat/completions', { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('sends no CORS headers at all when CORS is off', async () => {
    // No generation here: a stand-in engine spares loading the model again.
    const idle: ChatEngine = {
      load: () => Promise.reject(new Error('unused')),
      generate: () => Promise.reject(new Error('unused')),
      interrupt: async () => undefined,
      unload: async () => undefined,
    };
    const plain = await startOpenAIServer({ engine: idle });
    try {
      const res = await raw('GET', '/models', { origin: 'http://localhost:5173' }, plain.url);
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});
