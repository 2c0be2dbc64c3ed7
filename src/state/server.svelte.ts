/**
 * The OpenAI-compatible server of Settings (Ollama, llama-server, LM Studio, vLLM): whether this
 * copy of the app may reach it (its Content-Security-Policy: servers on this computer always, other
 * hosts only when named at build time), its API key, and the models it offers. Keys are kept in
 * this browser's localStorage under their own name, one per server origin (a key typed for one
 * server is never sent to another as its bearer token), never in the settings object, so no
 * export, bundle or kit carries them. The models are asked for by the LLM worker (the page never loads the
 * `openai` client); a failure keeps its name and fix (ServerUnreachable, CorsRefused, ...).
 */

import { serializeError, type SerializedError } from '../core/errors';
import { builtServerHosts, serverAllowed } from '../platform/csp';
import type { Engines } from './engines.svelte';

/** Where servers' API keys are kept (this browser only): a JSON object, server origin → key. */
export const SERVER_KEY_STORAGE = 'ragscope.serverKeys';

function readKeys(): Record<string, string> {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(SERVER_KEY_STORAGE) ?? '{}');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

/** The origin a key belongs to ("http://localhost:11434"), or null for an address that is not one. */
function originOf(address: string): string | null {
  const url = withScheme(address);
  return URL.canParse(url) ? new URL(url).origin : null;
}

/**
 * An address as people type it ("localhost:11434") with the scheme the engine would assume
 * (http), so the policy check and the engine judge the same URL.
 */
export function withScheme(address: string): string {
  const a = address.trim();
  return !a || /^[a-z][a-z0-9+.-]*:\/\//i.test(a) ? a : `http://${a}`;
}

export class ServerState {
  /** Server origin → API key. */
  private keys = $state<Record<string, string>>(readKeys());
  /** The models the server listed last, for the address they came from. */
  models = $state.raw<{ baseUrl: string; ids: string[] } | null>(null);
  /** Why listing failed, for the address it was asked of (another address typed since shows none). */
  failure = $state.raw<{ baseUrl: string; error: SerializedError } | null>(null);
  busy = $state(false);

  constructor(
    private readonly engines: Engines,
    private readonly origin: string,
  ) {}

  /** Whether the page's policy lets it reach `baseUrl`, and why (shown beside the address). */
  policy(baseUrl: string): { allowed: boolean; why: string } | null {
    return baseUrl.trim() ? serverAllowed(withScheme(baseUrl), builtServerHosts(), this.origin) : null;
  }

  /** The key kept for the server at `address` ('' when none). */
  keyFor(address: string): string {
    const origin = originOf(address);
    return origin ? (this.keys[origin] ?? '') : '';
  }

  /** Keeps `key` for the server at `address` only ('' forgets it). */
  setKey(address: string, key: string): void {
    const origin = originOf(address);
    if (!origin) return;
    const { [origin]: _old, ...rest } = this.keys;
    void _old;
    this.keys = key ? { ...rest, [origin]: key } : rest;
    try {
      localStorage.setItem(SERVER_KEY_STORAGE, JSON.stringify(this.keys));
    } catch {
      // Storage refused (private mode): the key still holds for this visit.
    }
  }

  /** The server at `address` as the engine takes it, with its own key if one is kept. */
  server(address: string): { baseUrl: string; apiKey?: string } {
    const baseUrl = withScheme(address);
    const apiKey = this.keyFor(address);
    return apiKey ? { baseUrl, apiKey } : { baseUrl };
  }

  /** Asks the server for its models (`/v1/models`). */
  async list(baseUrl: string): Promise<void> {
    const url = withScheme(baseUrl);
    if (!url || this.busy) return;
    this.busy = true;
    this.failure = null;
    try {
      const ids = await this.engines.llm().serverModels(this.server(url));
      this.models = { baseUrl: url, ids };
    } catch (e) {
      this.models = null;
      this.failure = { baseUrl: url, error: serializeError(e) };
    } finally {
      this.busy = false;
    }
  }
}
