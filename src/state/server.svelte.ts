/**
 * The OpenAI-compatible server of Settings (Ollama, llama-server, LM Studio, vLLM): whether this
 * copy of the app may reach it (its Content-Security-Policy: servers on this computer always, other
 * hosts only when named at build time), its API key, and the models it offers. The key is kept in
 * this browser's localStorage under its own name, never in the settings object, so no export,
 * bundle or kit carries it. The models are asked for by the LLM worker (the page never loads the
 * `openai` client); a failure keeps its name and fix (ServerUnreachable, CorsRefused, ...).
 */

import { serializeError, type SerializedError } from '../core/errors';
import { builtServerHosts, serverAllowed } from '../platform/csp';
import type { Engines } from './engines.svelte';

/** Where the server's API key is kept (this browser only). */
export const SERVER_KEY_STORAGE = 'ragscope.serverKey';

function readKey(): string {
  try {
    return localStorage.getItem(SERVER_KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
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
  apiKey = $state(readKey());
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

  setKey(key: string): void {
    this.apiKey = key;
    try {
      if (key) localStorage.setItem(SERVER_KEY_STORAGE, key);
      else localStorage.removeItem(SERVER_KEY_STORAGE);
    } catch {
      // Storage refused (private mode): the key still holds for this visit.
    }
  }

  /** Asks the server for its models (`/v1/models`). */
  async list(baseUrl: string): Promise<void> {
    const url = withScheme(baseUrl);
    if (!url || this.busy) return;
    this.busy = true;
    this.failure = null;
    try {
      const ids = await this.engines.llm().serverModels(this.apiKey ? { baseUrl: url, apiKey: this.apiKey } : { baseUrl: url });
      this.models = { baseUrl: url, ids };
    } catch (e) {
      this.models = null;
      this.failure = { baseUrl: url, error: serializeError(e) };
    } finally {
      this.busy = false;
    }
  }
}
