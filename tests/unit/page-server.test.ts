/**
 * Answers on an OpenAI-compatible server from the page's state, in Node: createPageState over
 * workers made of the real handlers (tests/unit/page-workers.ts) and the project's real test
 * server around the tiny GPT-2 (tests/servers/openai-server.ts) on 127.0.0.1. The server's model
 * runs in an LLM worker of its own, so the model in the tab stays loaded beside it.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/settings/defaults';
import { withOverrides } from '../../src/settings/validate';
import { createPageState, type PageState } from '../../src/state/page';
import { SERVER_KEY_STORAGE } from '../../src/state/server.svelte';
import { fixtureModels } from '../fixtures/models';
import { startOpenAIServer, type RunningOpenAIServer } from '../servers/openai-server';
import { useNodeWorkers } from './page-workers';

const workers = useNodeWorkers();
const pages: PageState[] = [];
const servers: RunningOpenAIServer[] = [];
afterEach(async () => {
  for (const p of pages.splice(0)) p.dispose();
  for (const s of servers.splice(0)) await s.close();
});

const SETTINGS = withOverrides(DEFAULT_SETTINGS, {
  modelSource: fixtureModels(),
  llm: { engine: 'transformers', transformersModel: 'tiny-gpt2', transformersDevice: 'wasm', transformersDtype: 'fp32', maxTokens: 8 },
});
const PARAMS = { maxTokens: 8, temperature: 0, topP: 1, seed: 42 };
const MESSAGES = [
  { role: 'system' as const, content: 'Answer briefly.' },
  { role: 'user' as const, content: 'Why does the tide rise?' },
];

describe('page state: a model server', () => {
  it("lists the server's models, answers through a worker of its own, and leaves the tab's model loaded", async () => {
    const w = workers();
    const p = createPageState({ spawn: w.spawn, settings: () => SETTINGS, gpu: () => null, origin: 'http://127.0.0.1' });
    pages.push(p);
    const server = await startOpenAIServer({ cors: false });
    servers.push(server);

    await p.server.list(server.url);
    expect(p.server.failure).toBeNull();
    expect(p.server.models).toEqual({ baseUrl: server.url, ids: ['tiny-gpt2'] });

    const local = await p.engines.chat();
    const remote = await p.engines.serverChat({ baseUrl: server.url }, 'tiny-gpt2');
    expect(remote.info).toMatchObject({ engine: 'openai', model: 'tiny-gpt2', backend: 'server' });
    expect(remote.engine).not.toBe(local.engine);
    // Both answer at once: the server's worker does not unload the tab's model.
    const [here, there] = await Promise.all([local.engine.generate(MESSAGES, PARAMS), remote.engine.generate(MESSAGES, PARAMS)]);
    // The same tiny model, greedy, the same prompt: the same answer in the tab and on the server.
    expect(there.text).toBe(here.text);
    expect(p.engines.chatReady).toBe(true);
    const sent = server.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(sent).toHaveLength(1);
    expect((sent[0]!.body as { messages: unknown }).messages).toEqual(MESSAGES);
    // Asked again, the load is shared, not repeated.
    await p.engines.serverChat({ baseUrl: server.url }, 'tiny-gpt2');
    expect(server.requests.filter((r) => r.path === '/v1/models')).toHaveLength(2);
  });

  it('judges an address as typed: no scheme means http, and 0.0.0.0 is not an address to reach', () => {
    const p = createPageState({ spawn: workers().spawn, settings: () => SETTINGS, gpu: () => null, origin: 'http://127.0.0.1:5173' });
    pages.push(p);
    expect(p.server.policy('localhost:11434')?.allowed).toBe(true);
    expect(p.server.policy('127.0.0.1:8080/v1')?.allowed).toBe(true);
    expect(p.server.policy('http://0.0.0.0:8000')).toEqual({
      allowed: false,
      why: '0.0.0.0 is where the server listens, not an address to reach it at: use http://localhost:8000/v1.',
    });
    expect(p.server.policy('   ')).toBeNull();
  });

  it("keeps each server's API key for that server only: a key typed for one is never sent to another", async () => {
    const p = createPageState({ spawn: workers().spawn, settings: () => SETTINGS, gpu: () => null, origin: 'http://127.0.0.1' });
    pages.push(p);
    const guarded = await startOpenAIServer({ cors: false, apiKey: 'secret-a' });
    const open = await startOpenAIServer({ cors: false });
    servers.push(guarded, open);

    await p.server.list(guarded.url);
    expect(p.server.failure?.error.name).toBe('ServerRequestFailed');
    p.server.setKey(guarded.url, 'secret-a');
    await p.server.list(guarded.url);
    expect(p.server.models?.ids).toEqual(['tiny-gpt2']);
    expect(guarded.requests.at(-1)!.authorization).toBe('Bearer secret-a');

    await p.server.list(open.url);
    expect(p.server.models).toEqual({ baseUrl: open.url, ids: ['tiny-gpt2'] });
    expect(open.requests.map((r) => r.authorization)).toEqual([undefined]);
    // Kept per server (in the browser's localStorage under SERVER_KEY_STORAGE; Node has none), outside the settings.
    expect([p.server.keyFor(guarded.url), p.server.keyFor(open.url)]).toEqual(['secret-a', '']);
    expect(SERVER_KEY_STORAGE).toBe('ragscope.serverKeys');
    expect(JSON.stringify(SETTINGS)).not.toContain('secret-a');
  });

  it('names a server that is not running, with how to start it', async () => {
    const p = createPageState({ spawn: workers().spawn, settings: () => SETTINGS, gpu: () => null, origin: 'http://127.0.0.1' });
    pages.push(p);
    const stopped = await startOpenAIServer();
    await stopped.close();
    await p.server.list(stopped.url);
    expect(p.server.failure?.error.name).toBe('ServerUnreachable');
    expect(p.server.failure?.error.message).toContain('ollama serve');
    await expect(p.engines.serverChat({ baseUrl: stopped.url }, 'tiny-gpt2')).rejects.toMatchObject({ name: 'ServerUnreachable' });
  });
});

describe('page state: a server pane', () => {
  it("asks with the key kept for that server, and neither the key nor an address's credentials reach the history or the exports", async () => {
    const w = workers();
    const key = 'sk-room-secret-4711';
    const server = await startOpenAIServer({ cors: false, apiKey: key });
    servers.push(server);
    const settings = withOverrides(SETTINGS, { llm: { serverUrl: server.url, serverModel: 'tiny-gpt2' } });
    const p = createPageState({ spawn: w.spawn, settings: () => settings, gpu: () => null, origin: 'http://127.0.0.1' });
    pages.push(p);
    await p.library.open();
    await p.ingest.add([{ file: new File(['The moon pulls the oceans, so the tide rises.'], 'tides.txt'), path: 'tides.txt' }]);
    p.server.setKey(server.url, key);
    p.compare.choosePreset('server');
    // Typed with credentials and a query, as people paste addresses: kept without them.
    const typed = server.url.replace('http://', 'http://user:password-in-url@') + '?api_key=query-secret';
    p.compare.editPane('server-docs', { server: { baseUrl: typed } });
    expect(p.compare.paneList[1]!.server).toEqual({ baseUrl: server.url });

    await p.compare.ask('When does the tide rise?', { mode: 'keyword' });
    expect(p.compare.panes.map((x) => x.run?.status)).toEqual(['done', 'done']);
    const chats = server.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats.map((r) => r.authorization)).toEqual([`Bearer ${key}`]);

    const { comparisonToJson, comparisonToMarkdown } = await import('../../src/compare/export');
    const kept = p.compare.history[0]!;
    const shown = { ...kept, panes: kept.panes!, runs: kept.runs! };
    for (const text of [JSON.stringify(kept), comparisonToJson(shown), comparisonToMarkdown(shown)]) {
      for (const secret of [key, 'password-in-url', 'query-secret']) expect(text).not.toContain(secret);
    }
    expect(comparisonToJson(shown)).toContain(server.url);
  });
});
