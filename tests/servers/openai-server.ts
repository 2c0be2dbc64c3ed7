/**
 * An OpenAI-compatible server for tests, serving the project's generated tiny GPT-2 (through the
 * app's own transformers.js engine) with the wire format of Ollama, llama-server, LM Studio and
 * vLLM's /v1 API: GET /v1/models; POST /v1/chat/completions streamed (SSE `data: {...}` chunks, a
 * usage chunk when `stream_options.include_usage` asks, `data: [DONE]`) or not; errors shaped like
 * OpenAI's `{ error: { message, type, param, code } }`: 404 model_not_found, 400
 * context_length_exceeded (the engine's ContextTooLong, worded as OpenAI and vLLM word it, so
 * the numbers can be read back), 401 invalid_api_key.
 *
 * Like a real local server it answers one generation at a time (llama-server's single slot),
 * queueing the rest, and stops generating when the client goes (the request's connection closes).
 * CORS is off unless asked for, as in LM Studio; with `cors` it reflects allowed origins and
 * answers preflights. Every request is recorded (method, path, Origin, Authorization, the JSON
 * body as received, and how it ended) so a test can assert the exact prompt a pane sent.
 *
 * Node's http module only: no framework is a dependency of the project.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAppError } from '../../src/core/errors';
import type { ChatEngine, ChatMessage, GenerationParams } from '../../src/generate/engine';
import { loadTinyChat } from '../fixtures/models';

export interface OpenAIServerOptions {
  /** Port to listen on; 0 (default) picks a free one. Listens on 127.0.0.1. */
  port?: number;
  /** CORS: origins whose requests may be read ('*' = any); false (default) sends no CORS headers. */
  cors?: { origins: string[] | '*' } | false;
  /** When set, every /v1 request must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** The id the model is listed and requested under. Default 'tiny-gpt2'. */
  modelId?: string;
  /**
   * Reasoning sent before the model's answer, the ways servers send it: 'think-tags' inline as
   * `<think>…</think>` (cut into 3-character deltas, so tags straddle deltas), 'think-close-only'
   * as a template that opened the block in the prompt leaves it (only `</think>`),
   * 'reasoning_content' (llama-server, DeepSeek, vLLM ≤ 0.19) or 'reasoning' (Ollama, newer vLLM)
   * delta fields. Not counted in usage.
   */
  reasoning?: { style: 'think-tags' | 'think-close-only' | 'reasoning_content' | 'reasoning'; text: string };
  /**
   * A pause after each generated token, in ms (default 0), so a test can stop a stream midway: the
   * tiny model makes about two tokens a millisecond. The pause blocks (Atomics.wait) because the
   * engine's token callback is synchronous; each step then awaits ONNX Runtime, which is when the
   * server sees a client that left.
   */
  tokenDelayMs?: number;
  /** An engine to serve instead of loading the tiny GPT-2 (already loaded). */
  engine?: ChatEngine;
}

export interface RecordedRequest {
  method: string;
  path: string;
  origin?: string;
  authorization?: string;
  /** Every request header's name, lower case. */
  headerNames: string[];
  /** The JSON body as received (POST only). */
  body?: unknown;
  /** How a chat completion ended: sent in full, stopped because the client left, or refused with this status. */
  outcome?: 'completed' | 'aborted' | number;
  /** Tokens generated for it (chat completions that ran). */
  completionTokens?: number;
}

export interface RunningOpenAIServer {
  /** Base URL of the API, ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Resolves when no generation is running or queued. */
  idle(): Promise<void>;
  /** Stops listening and drops open connections; again, it does nothing. */
  close(): Promise<void>;
}

/** Generation defaults when a request leaves a parameter out (OpenAI's: temperature 1, top_p 1; a short answer). */
const DEFAULT_MAX_TOKENS = 64;

interface ChatRequestBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  temperature?: unknown;
  top_p?: unknown;
  seed?: unknown;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function parseMessages(v: unknown): ChatMessage[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new HttpError(400, 'invalid_request_error', null, "'messages' must be a non-empty array.", 'messages');
  return v.map((m: { role?: unknown; content?: unknown }) => {
    if ((m.role !== 'system' && m.role !== 'user' && m.role !== 'assistant') || typeof m.content !== 'string') {
      throw new HttpError(
        400,
        'invalid_request_error',
        null,
        'Each message needs a role (system, user, assistant) and text content.',
        'messages',
      );
    }
    return { role: m.role, content: m.content };
  });
}

/** The reasoning option as the deltas a server would send (see OpenAIServerOptions.reasoning). */
function reasoningDeltas(r: NonNullable<OpenAIServerOptions['reasoning']>): Array<Record<string, string>> {
  if (r.style === 'reasoning_content' || r.style === 'reasoning') {
    return r.text.match(/.{1,5}/gs)!.map((piece) => ({ [r.style]: piece }));
  }
  const inline = r.style === 'think-tags' ? `<think>${r.text}</think>\n\n` : `${r.text}</think>\n\n`;
  return inline.match(/.{1,3}/gs)!.map((piece) => ({ content: piece }));
}

export async function startOpenAIServer(opts: OpenAIServerOptions = {}): Promise<RunningOpenAIServer> {
  const modelId = opts.modelId ?? 'tiny-gpt2';
  let engine = opts.engine;
  if (!engine) {
    engine = await loadTinyChat();
  }
  const model = engine;
  const requests: RecordedRequest[] = [];
  // One generation at a time: each waits for the one before it.
  let queue: Promise<void> = Promise.resolve();
  const created = Math.floor(Date.now() / 1000);

  function corsHeaders(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (!opts.cors || !origin) return;
    const allowed = opts.cors.origins === '*' || opts.cors.origins.includes(origin);
    if (!allowed) return;
    res.setHeader('Access-Control-Allow-Origin', opts.cors.origins === '*' ? '*' : origin);
    res.setHeader('Vary', 'Origin');
  }

  function sendError(res: ServerResponse, e: HttpError): void {
    res.writeHead(e.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: e.message, type: e.type, param: e.param, code: e.code } }));
  }

  async function chat(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    let body: ChatRequestBody;
    try {
      body = JSON.parse(await readBody(req)) as ChatRequestBody;
    } catch {
      throw new HttpError(400, 'invalid_request_error', null, 'The body is not valid JSON.');
    }
    record.body = body;
    if (body.model !== modelId) {
      throw new HttpError(404, 'invalid_request_error', 'model_not_found', `The model '${String(body.model)}' does not exist`, 'model');
    }
    const messages = parseMessages(body.messages);
    const params: GenerationParams = {
      maxTokens: num(body.max_completion_tokens ?? body.max_tokens, DEFAULT_MAX_TOKENS),
      temperature: num(body.temperature, 1),
      topP: num(body.top_p, 1),
      seed: num(body.seed, 0),
    };
    const stream = body.stream === true;
    const usageWanted = stream && body.stream_options?.include_usage === true;

    const stop = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) stop.abort();
    });
    // Wait for the slot; a client that left meanwhile costs nothing.
    const turn = queue;
    let release = (): void => undefined;
    queue = new Promise((r) => (release = r));
    await turn;
    try {
      if (stop.signal.aborted) {
        record.outcome = 'aborted';
        return;
      }
      const id = `chatcmpl-${requests.indexOf(record)}`;
      const chunk = (delta: Record<string, string>, finish: string | null = null): string =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: modelId, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      let headersSent = false;
      const begin = (): void => {
        if (headersSent) return;
        headersSent = true;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        res.write(chunk({ role: 'assistant', content: '' }));
        for (const d of opts.reasoning ? reasoningDeltas(opts.reasoning) : []) res.write(chunk(d));
      };
      let result;
      try {
        result = await model.generate(messages, params, {
          signal: stop.signal,
          onToken: (delta) => {
            sleepSync(opts.tokenDelayMs ?? 0);
            if (!stream || stop.signal.aborted) return;
            begin();
            res.write(chunk({ content: delta }));
          },
        });
      } catch (e) {
        if (isAppError(e, 'ContextTooLong')) {
          const { promptTokens, maxTokens, contextWindow } = e.data;
          throw new HttpError(
            400,
            'invalid_request_error',
            'context_length_exceeded',
            `This model's maximum context length is ${contextWindow} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`,
            'messages',
          );
        }
        throw e;
      }
      record.completionTokens = result.completionTokens;
      if (stop.signal.aborted || result.finishReason === 'interrupted') {
        record.outcome = 'aborted';
        res.destroy();
        return;
      }
      const finish = result.finishReason === 'length' ? 'length' : 'stop';
      const usage = {
        prompt_tokens: result.promptTokens,
        completion_tokens: result.completionTokens,
        total_tokens: result.promptTokens + result.completionTokens,
      };
      if (stream) {
        begin();
        res.write(chunk({}, finish));
        if (usageWanted) {
          res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: modelId, choices: [], usage })}\n\n`);
        }
        res.end('data: [DONE]\n\n');
      } else {
        const thinking = opts.reasoning
          ? opts.reasoning.style === 'think-tags'
            ? `<think>${opts.reasoning.text}</think>\n\n`
            : opts.reasoning.style === 'think-close-only'
              ? `${opts.reasoning.text}</think>\n\n`
              : ''
          : '';
        const message: Record<string, string> = { role: 'assistant', content: `${thinking}${result.text}` };
        if (opts.reasoning && !thinking) message[opts.reasoning.style] = opts.reasoning.text;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id,
            object: 'chat.completion',
            created,
            model: modelId,
            choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
            usage,
          }),
        );
      }
      record.outcome = 'completed';
    } finally {
      release();
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const record: RecordedRequest = { method: req.method ?? 'GET', path, headerNames: Object.keys(req.headers) };
    if (req.headers.origin) record.origin = req.headers.origin;
    if (req.headers.authorization) record.authorization = req.headers.authorization;
    requests.push(record);
    corsHeaders(req, res);

    if (req.method === 'OPTIONS') {
      // A preflight: allowed origins get the methods and the headers they asked for.
      if (opts.cors && res.hasHeader('Access-Control-Allow-Origin')) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        const asked = req.headers['access-control-request-headers'];
        if (asked) res.setHeader('Access-Control-Allow-Headers', asked);
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.writeHead(204).end();
      return;
    }

    const handle = async (): Promise<void> => {
      if (!path.startsWith('/v1/')) throw new HttpError(404, 'invalid_request_error', null, `Unknown path ${path}`);
      if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        throw new HttpError(401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.');
      }
      if (req.method === 'GET' && path === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: modelId, object: 'model', created, owned_by: 'ragscope-tests' }] }));
        return;
      }
      if (req.method === 'POST' && path === '/v1/chat/completions') return chat(req, res, record);
      throw new HttpError(404, 'invalid_request_error', null, `Unknown path ${req.method} ${path}`);
    };
    handle().catch((e: unknown) => {
      const error =
        e instanceof HttpError
          ? e
          : new HttpError(500, 'server_error', null, `The model failed: ${e instanceof Error ? e.message : String(e)}`);
      if (record.outcome === undefined) record.outcome = error.status;
      if (res.headersSent) res.destroy();
      else sendError(res, error);
    });
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    idle: async () => {
      let seen: Promise<void>;
      do {
        seen = queue;
        await seen;
      } while (seen !== queue);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
