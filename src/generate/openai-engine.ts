/**
 * The OpenAI-compatible server `ChatEngine`: a model served by Ollama, llama.cpp's llama-server,
 * LM Studio or vLLM, reached from the LLM worker over HTTP, so one comparison can hold panes from
 * this tab's own engines and from a bigger model on the user's machine or LAN (issue 16).
 *
 * Wire format and streaming are the official `openai` client's (6.x: 7.x needs Node 22, the project
 * supports 20.19), not a hand-written SSE parser. Around it, this module owns what the client cannot
 * know, because it is about browsers and about each server:
 *
 * - Which named error, with which fix. In a browser a refused origin (CORS), a server that is not
 *   running, a page policy (CSP) and a denied local-network permission all reach script as the
 *   same `TypeError: Failed to fetch`. After such a failure `connectionFailure` tells them apart:
 *   a `securitypolicyviolation` seen for the server's origin; the local-network permission's state
 *   ('denied'); then an opaque `fetch(url, { mode: 'no-cors' })`, which resolves when something
 *   answered (so CORS refused the real request) and rejects when nothing did. Mixed content (an
 *   https page, a plain-http server that is not this computer) is refused up front, before any
 *   request, from the page's origin alone.
 * - Request headers. The client adds a dozen `X-Stainless-*` headers; each one must then be named
 *   in the server's CORS allow-list, and Ollama's list is fixed in its source, so a newer client
 *   header would fail the preflight like a refused origin. Only Accept, Content-Type and (when a
 *   key is set) Authorization are sent: a preflight then asks for content-type (and
 *   authorization), which every server that allows the origin allows.
 * - Error bodies. The client reads a message only from `{ "error": { "message" } }`. Servers also
 *   answer `{ "error": "text" }` (Ollama's native errors), `{ "object": "error", "message" }` (older
 *   vLLM), `{ "detail": ... }` (FastAPI), or plain text; `serverFetch` rewrites those into the
 *   OpenAI shape so the server's own words reach the user.
 * - Reasoning. `delta.reasoning_content` / `delta.reasoning` and `<think>` blocks go to
 *   `GenerationResult.reasoning`, never into the answer (reasoning.ts).
 * - Usage. Prompt and completion tokens are the server's (`stream_options.include_usage`); a
 *   server that reports none gives promptTokens 0 (unknown) and completionTokens = the deltas
 *   streamed (one per token on llama-server, vLLM and Ollama). Reasoning tokens count as
 *   completion tokens, as servers count them, and the first reasoning delta is the first token.
 *
 * Cost: the client is about 163 kB minified (42 kB gzipped; esbuild, client and this module),
 * loaded by the LLM worker only when a server engine is chosen.
 *
 * What each server needs (sources: Ollama envconfig/config.go, default origins localhost,
 * 127.0.0.1, 0.0.0.0 on any port plus app://, file://, tauri://; llama.cpp PR #25655 "server: add
 * --cors-* options", `--cors-origins` default `*` reflecting the Origin, limited to localhost when
 * server tools are on, and issue #26988: give it one origin, a list is echoed as-is; LM Studio docs
 * "lms server start": `--cors`, off by default, the app's "Enable CORS" switch; vLLM serve
 * arguments: `--allowed-origins` default ['*']. Error formats: llama.cpp
 * `{"error":{"code":400,"type":"exceed_context_size_error","n_prompt_tokens","n_ctx"}}`; OpenAI
 * `code: context_length_exceeded`, "This model's maximum context length is N tokens. However, ...";
 * vLLM "... and your request has N input tokens"; LM Studio "Trying to keep the first N tokens when
 * context the overflows. However, the model is loaded with context length of only M tokens", which
 * LM Studio may send inside a 200 stream (lmstudio-bug-tracker #2322); Ollama does not refuse an
 * over-long prompt at all: it cuts it to its num_ctx silently (ollama #4967), so no error can be
 * raised for it here. Reasoning fields: ollama and vLLM ≥ 0.19.1 stream `delta.reasoning`.)
 */

import { addressSpace, isLoopback, type AddressSpace } from './address';
import { OpenAI } from 'openai/client';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai/error';
import { AppError, errorText, throwIfCancelled, unlessCancelled } from '../core/errors';
import { contextTooLong } from './context-window';
import { ReasoningSplitter } from './reasoning';
import {
  GenerationClock,
  type ChatEngine,
  type ChatLoadRequest,
  type ChatMessage,
  type ChatModelInfo,
  type FinishReason,
  type GenerateOptions,
  type GenerationParams,
  type GenerationResult,
  type LoadOptions,
  type OpenAIServer,
} from './engine';

/**
 * How long `load` and `listModels` wait for GET /models, in ms. Local servers answer it in
 * milliseconds without touching the model; 10 s leaves room for a machine busy with a long
 * prefill and still tells a user whose address points nowhere (a dropped packet, not a refused
 * port) within a breath.
 */
export const LIST_TIMEOUT_MS = 10_000;
/**
 * How long a generation may wait for the server's response headers, in ms: the client's own
 * default (10 min), kept because a CPU server can take minutes to read a long grounded prompt
 * before it answers. Once streaming, no timeout applies; Stop ends it.
 */
export const GENERATE_TIMEOUT_MS = 600_000;
/**
 * Retries of a failed request: none. The client would retry a refused connection twice with
 * back-off (about 1.5 s in all) before saying anything, for a local server that is simply not
 * running; a named error at once, and the user's retry, serves better.
 */
export const MAX_RETRIES = 0;
/** How long the no-cors probe after a failed request may take, in ms. */
export const PROBE_TIMEOUT_MS = 5_000;
/**
 * Characters per token for the estimate used when a server refuses a prompt as too long without
 * saying how long it was: the usual figure for English with BPE vocabularies (OpenAI's rule of
 * thumb). Only such errors use it; the numbers otherwise come from the server.
 */
export const CHARS_PER_TOKEN_ESTIMATE = 4;

/** The request headers sent (lower case); see the header on why no others. */
const SENT_HEADERS = new Set(['accept', 'content-type', 'authorization']);

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** What connection diagnosis needs from the runtime, injectable for tests (defaults: the real ones). */
export interface ConnectionDeps {
  fetch: Fetch;
  /** The state ('granted' | 'denied' | 'prompt') of a browser permission by name; null when the browser does not know it. */
  permission: (name: string) => Promise<string | null>;
  /** Whether the page's Content-Security-Policy refused a request to this origin. */
  blockedByPolicy: (origin: string) => boolean;
}

// --- addresses -------------------------------------------------------------------------------

function invalidAddress(raw: string): AppError {
  return new AppError(
    'InvalidSettings',
    `"${raw}" is not a server address. Give its API's base URL, such as http://localhost:11434/v1 (Ollama), http://localhost:8080/v1 (llama-server), http://localhost:1234/v1 (LM Studio) or http://localhost:8000/v1 (vLLM).`,
    { count: 1 },
  );
}

/**
 * The API base URL as used: a scheme added when missing (http), no trailing slash, /v1 when the
 * address has no path (every one of these servers serves the OpenAI API under /v1), a pasted
 * endpoint (…/chat/completions, …/models) cut back to its base. Credentials, query and fragment
 * are dropped: a key goes in the API key field.
 */
export function normalizeBaseUrl(raw: string): string {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw invalidAddress(raw);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') throw invalidAddress(raw);
  let path = url.pathname.replace(/\/+$/, '').replace(/\/(chat\/completions|completions|models)$/, '');
  if (path === '') path = '/v1';
  return `${url.origin}${path}`;
}

export function normalizeServer(server: OpenAIServer): { baseUrl: string; apiKey?: string } {
  const baseUrl = normalizeBaseUrl(server.baseUrl);
  const apiKey = server.apiKey?.trim();
  return apiKey ? { baseUrl, apiKey } : { baseUrl };
}

function host(baseUrl: string): string {
  return new URL(baseUrl).host;
}

/**
 * Refuses, before any request, what the browser would block as mixed content: an https page
 * reaching a plain-http server that is not this computer. Null when the request may go.
 * (Chrome 142+ can lift this for local addresses with `fetch(…, { targetAddressSpace: 'local' })`
 * after a permission prompt; not used: no other browser has it.)
 */
export function mixedContent(baseUrl: string, pageOrigin: string): AppError<'MixedContent'> | null {
  if (!pageOrigin.startsWith('https:')) return null;
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' || isLoopback(url.hostname)) return null;
  return new AppError(
    'MixedContent',
    `This page is served over https (${pageOrigin}), and browsers block its requests to plain-http servers other than this computer's, so ${baseUrl} cannot be reached from it. Serve the model server over https (for example behind a reverse proxy with a certificate), or open ragscope itself over http://localhost.`,
    { baseUrl, origin: pageOrigin },
  );
}

// --- errors ----------------------------------------------------------------------------------

const START_SERVERS =
  'Ollama: `ollama serve` (port 11434); llama.cpp: `llama-server -m model.gguf --port 8080`; LM Studio: Developer tab → Start Server, or `lms server start` (port 1234); vLLM: `vllm serve <model>` (port 8000).';

/**
 * Characters of a server's own error text kept in a message: enough to say what went wrong, not
 * a whole echoed prompt (FastAPI validation errors repeat the request) in the error box and the
 * saved run. Default 500.
 */
const MAX_SERVER_TEXT = 500;

/** `waitedMs`: the request timed out after this long (the model list's timeout or a generation's). */
function unreachable(baseUrl: string, cause: string, waitedMs?: number): AppError<'ServerUnreachable'> {
  const where = host(baseUrl);
  const first = waitedMs
    ? `The server at ${where} did not answer within ${Math.round(waitedMs / 1000)} s.`
    : `Nothing answered at ${where}: the server is not running, or the address or port is wrong.`;
  const remote = isLoopback(new URL(baseUrl).hostname)
    ? ''
    : ' A server on another machine must also listen on the network, not only on its own localhost: `OLLAMA_HOST=0.0.0.0 ollama serve`, `llama-server --host 0.0.0.0`, LM Studio\'s "Serve on Local Network" switch (vLLM listens on all addresses by default), and its firewall must let the port through.';
  return new AppError(
    'ServerUnreachable',
    `${first} Start it, and check that the address (${baseUrl}) has the server's port and ends in /v1. ${START_SERVERS}${remote}`,
    { baseUrl },
    cause,
  );
}

function corsRefused(baseUrl: string, origin: string, cause: string): AppError<'CorsRefused'> {
  return new AppError(
    'CorsRefused',
    `The server at ${host(baseUrl)} answered, but does not let this page (${origin}) read its replies (CORS). Allow this origin on the server and restart it: Ollama: \`OLLAMA_ORIGINS=${origin} ollama serve\` (it allows localhost pages by default); LM Studio: Developer tab → Settings → "Enable CORS", or \`lms server start --cors\`; vLLM: \`vllm serve <model> --allowed-origins '["${origin}"]'\` (all origins by default); llama-server allows every origin unless started with \`--cors-origins\`: then give it \`--cors-origins ${origin}\`.`,
    { baseUrl, origin },
    cause,
  );
}

function localNetworkDenied(baseUrl: string, permission: string, cause: string): AppError<'LocalNetworkDenied'> {
  const what = permission === 'loopback-network' ? 'apps on this device' : 'devices on your local network';
  return new AppError(
    'LocalNetworkDenied',
    `The browser blocked this page from reaching ${host(baseUrl)}: its permission to connect to ${what} is set to Block for this site. Allow it in the site's settings (the icon left of the address bar → Site settings → Local network access, or the local network and loopback entries in newer versions), then reload and try again.`,
    { baseUrl, permission },
    cause,
  );
}

function blockedByPolicy(baseUrl: string, cause: string): AppError<'ServerBlockedByPolicy'> {
  const origin = new URL(baseUrl).origin;
  return new AppError(
    'ServerBlockedByPolicy',
    `This copy of ragscope may only connect to the hosts its Content-Security-Policy lists, and ${origin} is not one of them. Rebuild it with RAGSCOPE_LLM_SERVERS="${origin}" (see the README), or add ${origin} to connect-src in the policy your web server sends. Servers on this computer (http://localhost or http://127.0.0.1, any port) are always allowed.`,
    { baseUrl },
    cause,
  );
}

/** The local-network permissions a request from `pageOrigin` to `hostname` needs, newest names first. */
function permissionsFor(hostname: string, pageOrigin: string): string[] {
  const rank: Record<AddressSpace, number> = { public: 0, unknown: 1, local: 1, loopback: 2 };
  const page = addressSpace(new URL(pageOrigin).hostname);
  const target = addressSpace(hostname);
  // Local Network Access checks only a request into a more private space than the page's; a name
  // only DNS can place is asked about as a local address, the likeliest for a model server.
  if (rank[target] <= rank[page === 'unknown' ? 'public' : page]) return [];
  // 'local-network-access' is Chrome 142's single permission, later split in two.
  return [target === 'loopback' ? 'loopback-network' : 'local-network', 'local-network-access'];
}

/**
 * Why a request got no answer at all (the client's APIConnectionError), by the checks in the
 * module header, in order: the page's policy, the local-network permission, then the no-cors
 * probe (CORS refused vs nothing there). Without a page origin (Node) or for a same-origin server
 * there is no CORS nor permission to blame: nothing answered.
 */
export async function connectionFailure(baseUrl: string, pageOrigin: string, cause: string, deps: ConnectionDeps): Promise<AppError> {
  const url = new URL(baseUrl);
  if (deps.blockedByPolicy(url.origin)) return blockedByPolicy(baseUrl, cause);
  if (!pageOrigin || url.origin === pageOrigin) return unreachable(baseUrl, cause);
  for (const name of permissionsFor(url.hostname, pageOrigin)) {
    const state = await deps.permission(name).catch(() => null);
    if (state === 'denied') return localNetworkDenied(baseUrl, name, cause);
    if (state !== null) break;
  }
  const reached = await deps
    .fetch(`${baseUrl}/models`, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
    .then(
      () => true,
      () => false,
    );
  // The probe may itself have been refused by the policy (a violation reported only now).
  if (deps.blockedByPolicy(url.origin)) return blockedByPolicy(baseUrl, cause);
  return reached ? corsRefused(baseUrl, pageOrigin, cause) : unreachable(baseUrl, cause);
}

/** The body fields a server's error may carry (OpenAI's, plus llama-server's counts). */
interface ServerErrorBody {
  message?: unknown;
  code?: unknown;
  type?: unknown;
  n_prompt_tokens?: unknown;
  n_ctx?: unknown;
}

function serverMessage(e: APIError): string {
  const body = (e.error ?? {}) as ServerErrorBody;
  if (typeof body.message === 'string' && body.message) return body.message;
  return e.message.replace(/^\d{3} /, '');
}

const CONTEXT_CODE = /context_length_exceeded|exceed_context_size/i;
const CONTEXT_TEXT =
  /maximum context length|context length of only|exceeds the available context size|context size has been exceeded|reached context length|context window|prompt is too long|too many tokens/i;

/** Token numbers of a context-length refusal: exact where the server states them (see the header), else estimated. */
export function contextNumbers(
  body: ServerErrorBody,
  message: string,
  maxTokens: number,
  messages: readonly ChatMessage[],
): { promptTokens: number; maxTokens: number; contextWindow: number; exact: boolean } | null {
  const code = `${String(body.code ?? '')} ${String(body.type ?? '')}`;
  if (!CONTEXT_CODE.test(code) && !CONTEXT_TEXT.test(message)) return null;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
  let prompt = num(body.n_prompt_tokens);
  let window = num(body.n_ctx);
  const m = (re: RegExp): number[] | null => {
    const r = re.exec(message);
    return r ? r.slice(1).map(Number) : null;
  };
  const llama = m(/request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)/i);
  const lmstudio = m(/keep the first (\d+) tokens[\s\S]*?context length of only (\d+) tokens/i);
  if (llama) [prompt, window] = [prompt ?? llama[0]!, window ?? llama[1]!];
  if (lmstudio) [prompt, window] = [prompt ?? lmstudio[0]!, window ?? lmstudio[1]!];
  window ??= m(/maximum context length is (\d+) tokens/i)?.[0] ?? m(/context length of (\d+) tokens/i)?.[0] ?? null;
  if (prompt === null) {
    const split = m(/\((\d+) in the messages, (\d+) in the completion\)/i);
    const input = m(/(?:resulted in|has|have) (\d+) (?:input |prompt )?tokens/i);
    const requested = m(/you requested (\d+) tokens/i);
    prompt = split?.[0] ?? input?.[0] ?? (requested ? Math.max(1, requested[0]! - maxTokens) : null);
  }
  const exact = prompt !== null && window !== null;
  const promptTokens = prompt ?? Math.ceil(messages.reduce((n, x) => n + x.content.length, 0) / CHARS_PER_TOKEN_ESTIMATE);
  // A window the server did not state: as if the prompt filled it, leaving no room for the
  // answer (callers then drop or cut passages by maxTokens' worth).
  return { promptTokens, maxTokens, contextWindow: window ?? promptTokens, exact };
}

const SERVER_WINDOW =
  "On a server the window is set when the model is started: llama-server `-c N`, vLLM `--max-model-len N`, Ollama `OLLAMA_CONTEXT_LENGTH=N` (or the num_ctx parameter), LM Studio: the model's Context Length when loading it.";

/** What was being done when a request failed: listing models, or generating with these params and messages. */
interface FailureContext {
  model: string;
  listing?: boolean;
  params?: GenerationParams;
  messages?: readonly ChatMessage[];
}

/** A refusal the server answered (APIError with a body), named for what the user can do. */
function refusal(e: APIError, baseUrl: string, ctx: FailureContext): AppError {
  const body = (e.error ?? {}) as ServerErrorBody;
  const text = serverMessage(e);
  const cause = errorText(e);
  if (ctx.params && ctx.messages && (e.status === undefined || e.status === 400 || e.status === 413 || e.status === 422)) {
    const n = contextNumbers(body, text, ctx.params.maxTokens, ctx.messages);
    if (n) {
      const numbers = { promptTokens: n.promptTokens, maxTokens: n.maxTokens, contextWindow: n.contextWindow };
      if (n.exact) {
        const error = contextTooLong(numbers, undefined, cause);
        return new AppError('ContextTooLong', `${error.message} ${SERVER_WINDOW}`, numbers, cause);
      }
      return new AppError(
        'ContextTooLong',
        `The prompt is too long for ${ctx.model} on ${host(baseUrl)} (the server said: "${text}"). Ask with fewer passages, set Max tokens lower, or give the model a longer context window. ${SERVER_WINDOW}`,
        numbers,
        cause,
      );
    }
  }
  const where = host(baseUrl);
  if (e.status === 404 && ctx.listing) {
    return new AppError(
      'ServerRequestFailed',
      `There is no OpenAI-compatible API at ${baseUrl}: ${where} answered 404 for its model list ("${text}"). These servers serve it under /v1, e.g. http://localhost:11434/v1.`,
      { baseUrl, status: 404, serverMessage: text },
      cause,
    );
  }
  if (e.status === 404 && (String(body.code) === 'model_not_found' || /model/i.test(text))) {
    return new AppError(
      'UnknownModel',
      `The server at ${where} has no model "${ctx.model}" (it said: "${text}"). Pick one it lists in Settings${/ollama|pull/i.test(text) ? `, or fetch it first: \`ollama pull ${ctx.model}\`` : ''}.`,
      { baseUrl, model: ctx.model, available: [] },
      cause,
    );
  }
  if (e.status === 401 || e.status === 403) {
    return new AppError(
      'ServerRequestFailed',
      `The server at ${where} refused the ${e.status === 401 ? 'missing or wrong API key' : 'request (forbidden)'}: "${text}". Enter the key it was started with (llama-server --api-key, vllm serve --api-key, LM Studio's API token) in Settings, or none if it needs none.`,
      { baseUrl, status: e.status, serverMessage: text },
      cause,
    );
  }
  const status = e.status === undefined ? 'while streaming' : `with HTTP ${e.status}`;
  return new AppError(
    'ServerRequestFailed',
    `The server at ${where} refused the request ${status}: "${text}".`,
    {
      baseUrl,
      ...(e.status !== undefined ? { status: e.status } : {}),
      serverMessage: text,
    },
    cause,
  );
}

// --- transport -------------------------------------------------------------------------------

/** `{ "error": { "message" } }` from any error body (see the header); the other fields kept. */
function openAIErrorBody(text: string, status: number): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return JSON.stringify({
      error: { message: text.trim().slice(0, MAX_SERVER_TEXT) || `HTTP ${status}`, type: 'server_error', code: status },
    });
  }
  const o = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  if (o.error && typeof o.error === 'object' && typeof (o.error as { message?: unknown }).message === 'string') return text;
  const message =
    typeof o.error === 'string'
      ? o.error
      : typeof o.message === 'string'
        ? o.message
        : typeof o.detail === 'string'
          ? o.detail
          : o.detail !== undefined
            ? // FastAPI's validation detail can echo the whole request (the prompt): its start is enough.
              JSON.stringify(o.detail).slice(0, MAX_SERVER_TEXT)
            : text.slice(0, MAX_SERVER_TEXT);
  const rest = Object.entries(typeof o.error === 'object' && o.error ? (o.error as Record<string, unknown>) : o).filter(
    ([k]) => k !== 'error',
  );
  return JSON.stringify({ error: { ...Object.fromEntries(rest), message } });
}

/** The fetch the client uses: only the headers that must go, and error bodies in OpenAI's shape. */
export function serverFetch(base: Fetch, withKey: boolean): Fetch {
  return async (input, init) => {
    const given = new Headers(init?.headers);
    const headers = new Headers();
    given.forEach((value, name) => {
      if (SENT_HEADERS.has(name) && (withKey || name !== 'authorization')) headers.set(name, value);
    });
    const res = await base(input, { ...init, headers });
    if (res.ok) return res;
    const body = openAIErrorBody(await res.text().catch(() => ''), res.status);
    const out = new Headers(res.headers);
    for (const name of ['content-length', 'content-encoding', 'transfer-encoding']) out.delete(name);
    out.set('content-type', 'application/json');
    return new Response(body, { status: res.status, statusText: res.statusText, headers: out });
  };
}

let policyWatch: Set<string> | null = null;
/** Origins the page's CSP refused, from `securitypolicyviolation` events (fired in workers too). */
function watchPolicy(): Set<string> {
  if (policyWatch) return policyWatch;
  const blocked = new Set<string>();
  const target = globalThis as { addEventListener?: (type: string, listener: (e: unknown) => void) => void };
  target.addEventListener?.('securitypolicyviolation', (e) => {
    const uri = (e as { blockedURI?: unknown }).blockedURI;
    try {
      if (typeof uri === 'string') blocked.add(new URL(uri).origin);
    } catch {
      // 'inline', 'eval' and the like name no URL.
    }
  });
  return (policyWatch = blocked);
}

async function browserPermission(name: string): Promise<string | null> {
  const permissions = (globalThis as { navigator?: { permissions?: { query(d: { name: string }): Promise<{ state: string }> } } }).navigator
    ?.permissions;
  if (!permissions) return null;
  try {
    return (await permissions.query({ name })).state;
  } catch {
    return null; // a permission this browser does not know
  }
}

function defaultDeps(over: Partial<ConnectionDeps> = {}): ConnectionDeps {
  const blocked = watchPolicy();
  return {
    fetch: over.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    permission: over.permission ?? browserPermission,
    blockedByPolicy: over.blockedByPolicy ?? ((origin) => blocked.has(origin)),
  };
}

function client(server: { baseUrl: string; apiKey?: string }, deps: ConnectionDeps): OpenAI {
  return new OpenAI({
    baseURL: server.baseUrl,
    // The client insists on a key; a keyless server gets a placeholder that serverFetch never sends.
    apiKey: server.apiKey || 'none',
    // Explicit, so nothing is read from OPENAI_* environment variables (Node tests, CLIs).
    organization: null,
    project: null,
    // Here the key is the user's own, typed into this browser for their own server.
    dangerouslyAllowBrowser: true,
    maxRetries: MAX_RETRIES,
    timeout: GENERATE_TIMEOUT_MS,
    logLevel: 'off',
    fetch: serverFetch(deps.fetch, Boolean(server.apiKey)),
  });
}

/** Any failure of a request, named (connection failures diagnosed as in the header). */
async function mapFailure(e: unknown, baseUrl: string, pageOrigin: string, deps: ConnectionDeps, ctx: FailureContext): Promise<AppError> {
  if (e instanceof AppError) return e;
  if (e instanceof APIConnectionTimeoutError)
    return unreachable(baseUrl, errorText(e), ctx.listing ? LIST_TIMEOUT_MS : GENERATE_TIMEOUT_MS);
  if (e instanceof APIConnectionError) {
    const cause = e.cause ? `${errorText(e)}: ${errorText(e.cause)}` : errorText(e);
    return connectionFailure(baseUrl, pageOrigin, cause, deps);
  }
  if (e instanceof APIError) return refusal(e, baseUrl, ctx);
  // A stream cut after it began (the server stopped or crashed mid-answer).
  return new AppError('GenerationFailed', `The server at ${host(baseUrl)} stopped answering: ${errorText(e)}.`, undefined, errorText(e));
}

async function fetchModelIds(api: OpenAI, signal: AbortSignal | undefined): Promise<string[]> {
  const page = await api.models.list({ timeout: LIST_TIMEOUT_MS, signal: signal ?? null });
  return page.data.map((m) => m.id);
}

/**
 * The model ids an OpenAI-compatible server lists (GET /models), for Settings' model picker.
 * `pageOrigin`: the page's origin when called in a browser (mixed content is refused up front,
 * and a failure is diagnosed as in the module header); '' in Node.
 */
export async function listModels(
  server: OpenAIServer,
  opts: { pageOrigin?: string; signal?: AbortSignal; deps?: Partial<ConnectionDeps> } = {},
): Promise<string[]> {
  const { baseUrl, apiKey } = normalizeServer(server);
  const pageOrigin = opts.pageOrigin ?? '';
  const mixed = mixedContent(baseUrl, pageOrigin);
  if (mixed) throw mixed;
  const deps = defaultDeps(opts.deps);
  try {
    return await fetchModelIds(client(apiKey ? { baseUrl, apiKey } : { baseUrl }, deps), opts.signal);
  } catch (e) {
    throwIfCancelled(opts.signal);
    throw await mapFailure(e, baseUrl, pageOrigin, deps, { model: '', listing: true });
  }
}

interface Connected {
  api: OpenAI;
  baseUrl: string;
  model: string;
  info: ChatModelInfo;
}

export class OpenAIChatEngine implements ChatEngine {
  private connected: Connected | null = null;
  private running: AbortController | null = null;
  private readonly deps: ConnectionDeps;

  /**
   * `pageOrigin`: the origin of the page the worker serves (`self.location.origin`), which decides
   * mixed content and is what a server's CORS settings must allow; '' in Node.
   */
  constructor(
    private readonly pageOrigin = '',
    deps: Partial<ConnectionDeps> = {},
  ) {
    this.deps = defaultDeps(deps);
  }

  async load(req: ChatLoadRequest, opts: LoadOptions = {}): Promise<ChatModelInfo> {
    if (req.engine !== 'openai') throw new AppError('InvalidRequest', `"${req.model}" runs in this tab, not on a server.`);
    const started = performance.now();
    const server = normalizeServer(req.server);
    const { baseUrl } = server;
    const mixed = mixedContent(baseUrl, this.pageOrigin);
    if (mixed) throw mixed;
    const api = client(server, this.deps);
    let ids: string[];
    try {
      ids = await unlessCancelled(fetchModelIds(api, opts.signal), opts.signal);
    } catch (e) {
      throwIfCancelled(opts.signal);
      throw await mapFailure(e, baseUrl, this.pageOrigin, this.deps, { model: req.model, listing: true });
    }
    if (!ids.includes(req.model)) {
      const list = ids.length ? `It has: ${ids.join(', ')}.` : 'It lists no models.';
      throw new AppError(
        'UnknownModel',
        `The server at ${host(baseUrl)} has no model "${req.model}". ${list} Pick one of them in Settings, or make the model available there (Ollama: \`ollama pull <model>\`; LM Studio: load it; llama-server and vLLM serve the model they were started with).`,
        { baseUrl, model: req.model, available: ids },
      );
    }
    const where = host(baseUrl);
    const info: ChatModelInfo = {
      engine: 'openai',
      model: req.model,
      backend: 'server',
      dtype: 'unknown',
      loadMs: Math.round(performance.now() - started),
      // Issue 16's privacy line: a server elsewhere receives the questions and the passages.
      note: isLoopback(new URL(baseUrl).hostname)
        ? `Answered by the server at ${where}, on this computer.`
        : `Answered by the server at ${where}: questions and passages from your documents are sent to it.`,
    };
    this.connected = { api, baseUrl, model: req.model, info };
    return info;
  }

  async generate(messages: ChatMessage[], params: GenerationParams, opts: GenerateOptions = {}): Promise<GenerationResult> {
    const connected = this.connected;
    if (!connected) throw new AppError('EngineNotLoaded', 'No language model is loaded yet. Load one first.');
    const { api, baseUrl, model } = connected;
    const clock = new GenerationClock();
    const stop = new AbortController();
    this.running = stop;
    const onAbort = (): void => stop.abort();
    if (opts.signal?.aborted) stop.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const split = new ReasoningSplitter();
    const emit = (text: string): void => {
      if (text) opts.onToken?.(text);
    };
    let finish: FinishReason = 'stop';
    // 0 when the server reports no usage (then completionTokens counts streamed deltas: one
    // token each on llama-server, vLLM and Ollama, which send a chunk per token).
    let promptTokens = 0;
    let completionTokens = 0;
    try {
      const stream = await api.chat.completions.create(
        {
          model,
          messages,
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: params.maxTokens,
          temperature: params.temperature,
          top_p: params.topP,
          seed: params.seed,
        },
        { signal: stop.signal },
      );
      for await (const chunk of stream) {
        const choice = chunk.choices?.[0];
        const delta = choice?.delta as { content?: string | null; reasoning_content?: unknown; reasoning?: unknown } | undefined;
        const thought =
          typeof delta?.reasoning_content === 'string'
            ? delta.reasoning_content
            : typeof delta?.reasoning === 'string'
              ? delta.reasoning
              : '';
        if (thought) {
          clock.token();
          split.pushReasoning(thought);
        }
        if (delta?.content) {
          clock.token();
          emit(split.push(delta.content).answer);
        }
        if (choice?.finish_reason === 'length') finish = 'length';
        if (chunk.usage) {
          promptTokens = chunk.usage.prompt_tokens ?? 0;
          completionTokens = chunk.usage.completion_tokens ?? 0;
        }
      }
    } catch (e) {
      // Stopped: whatever came is the answer (the client ends the stream quietly on abort, or
      // rejects before it began); any other failure is named.
      if (!stop.signal.aborted) {
        throw await mapFailure(e, baseUrl, this.pageOrigin, this.deps, { model, params, messages });
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      if (this.running === stop) this.running = null;
    }
    emit(split.finish().answer);
    if (stop.signal.aborted) finish = 'interrupted';
    const result = clock.result(split.answer, finish, promptTokens, completionTokens || clock.completionTokens);
    // Only a real thought is kept (an empty <think></think> leaves blank lines).
    if (split.reasoning.trim()) result.reasoning = split.reasoning;
    return result;
  }

  async interrupt(): Promise<void> {
    this.running?.abort();
  }

  async unload(): Promise<void> {
    this.running?.abort();
    this.connected = null;
  }
}
