// The workshop kit's downloads, against a local server that imitates the model hosts (web-llm's
// mirror layout and the Hugging Face hub layout): files land where the app looks for them, a
// failed file is retried and reported, an interrupted run resumes. The app build itself is covered
// by tests/browser/kit.test.ts, which serves a whole kit and asks a question in it.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildKit, kitServerHosts, kitDefaults, parseKitArgs, type KitArgs } from '../../src/cli/kit';
import { webllmAppConfig } from '../../src/generate/webllm-engine';
import { LIBRARY_FILE, MIRROR_MODEL, serveTinyHost, tinyKitArgs, type Mirror } from '../fixtures/webllm-mirror';
import { fixtureModels } from '../fixtures/models';

const MODELS_DIR = fixtureModels();

let host: Mirror;

afterEach(async () => {
  await host?.close();
});

async function start(): Promise<void> {
  // Small pieces, so that a connection cut halfway cuts even a small file.
  host = await serveTinyHost(MODELS_DIR, { pieceBytes: 1024 });
}

function args(out: string, extra: string[] = []): KitArgs {
  const a = parseKitArgs([...tinyKitArgs(out, host), '--no-app', ...extra]);
  if (typeof a !== 'object') throw new Error(String(a));
  return a;
}

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'ragscope-kit-'));
const quiet = (): void => undefined;

/** Every file path under a folder, relative, with '/'. */
function tree(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tree(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name)).split(path.sep).join('/')],
  );
}

describe('workshop kit', () => {
  it('puts every model file where the app reads it from its own folder, byte for byte', async () => {
    await start();
    const out = tmp();
    const report = await buildKit(args(out), quiet);
    expect(report.ok, JSON.stringify(report.models)).toBe(true);
    expect(report.models.map((m) => [m.engine, m.id])).toEqual([
      ['web-llm', MIRROR_MODEL],
      ['transformers.js', 'tiny-bert'],
      ['transformers.js', 'tiny-gpt2'],
    ]);

    // web-llm: the URLs the app's local source asks for (`/models/` on its own origin) map onto the kit's files.
    const local = webllmAppConfig({ kind: 'local', path: '/models/' }, 'http://127.0.0.1:8080');
    const record = local.model_list.find((r) => r.model_id === MIRROR_MODEL)!;
    const onDisk = (url: string): string => path.join(out, ...new URL(url).pathname.split('/').filter(Boolean));
    const folder = `${record.model}/resolve/main/`;
    for (const name of host.files.keys()) {
      const file = onDisk(name === LIBRARY_FILE ? record.model_lib : `${folder}${name}`);
      expect(existsSync(file), file).toBe(true);
      expect(Buffer.compare(readFileSync(file), Buffer.from(host.files.get(name)!)), name).toBe(0);
    }
    // transformers.js: `<localModelPath><id>/<file>`.
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      expect(readFileSync(path.join(out, 'models/tiny-bert', f)).equals(readFileSync(path.join(MODELS_DIR, 'tiny-bert', f))), f).toBe(true);
    }
    expect(existsSync(path.join(out, 'models/tiny-gpt2/generation_config.json'))).toBe(true);
    // Only the dtype asked for: no q8 weights.
    expect(existsSync(path.join(out, 'models/tiny-bert/onnx/model_quantized.onnx'))).toBe(false);
    expect(tree(out).filter((f) => f.endsWith('.part'))).toEqual([]);

    // The kit runs on its own: a server, its policy and settings, and a README saying how.
    const kit = JSON.parse(readFileSync(path.join(out, 'kit.json'), 'utf8')) as { csp: string; defaults: { modelSource: string } };
    expect(kit.defaults.modelSource).toBe('/models/');
    expect(kit.csp).toContain("connect-src 'self'");
    expect(readFileSync(path.join(out, 'serve.mjs'), 'utf8')).toContain('content-security-policy');
    expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toMatch(/node serve\.mjs[\s\S]*https/);
  });

  it('retries a file that failed, and reports what could not be had', async () => {
    await start();
    host.breakOnce('params_shard_1.bin', 'cut');
    host.breakOnce('tiny-gpt2/tokenizer.json', 'cut');
    const lines: string[] = [];
    const report = await buildKit(args(tmp()), (l) => lines.push(l));
    expect(report.ok).toBe(true);
    expect(report.models.map((m) => m.attempts)).toEqual([2, 1, 2]);
    expect(lines.some((l) => /params_shard_1\.bin.*retrying/.test(l))).toBe(true);

    // A model the host does not have is reported by name, not retried, and the kit says it is incomplete.
    const missing = await buildKit({ ...args(tmp()), tjsLlm: 'no-such-model' }, quiet);
    expect(missing.ok).toBe(false);
    expect(missing.models.at(-1)).toMatchObject({
      id: 'no-such-model',
      ok: false,
      attempts: 1,
      error: expect.stringMatching(/ModelNotFound.*HTTP 404/),
    });
    expect(readFileSync(path.join(missing.out, 'README.md'), 'utf8')).toMatch(/no-such-model.*INCOMPLETE/);
  });

  it('an interrupted run resumes: only the missing files are fetched again', async () => {
    await start();
    const out = tmp();
    // The first run is cut off after a few requests (as if the laptop slept), with no retries.
    let calls = 0;
    const flaky: typeof fetch = (input, init) => (++calls > 5 ? Promise.reject(new TypeError('network gone')) : fetch(input, init));
    const first = await buildKit({ ...args(out), retries: 0 }, quiet, flaky);
    expect(first.ok).toBe(false);
    // A half-written file from a killed process is only ever a .part, never a complete-looking file.
    mkdirSync(path.join(out, 'models/tiny-gpt2/onnx'), { recursive: true });
    writeFileSync(path.join(out, 'models/tiny-gpt2/onnx/model.onnx.part'), 'half');

    const had = new Set(tree(out).filter((f) => !f.endsWith('.part')));
    host.requests.length = 0;
    const second = await buildKit(args(out), quiet);
    expect(second.ok).toBe(true);
    const fetchedAgain = host.requests.filter((r) =>
      had.has(r.startsWith('tiny-') ? `models/${r}` : `models/mlc-ai/${MIRROR_MODEL}/resolve/main/${r}`),
    );
    expect(fetchedAgain).toEqual([]);
    expect(host.requests.length).toBeGreaterThan(0);
    expect(
      readFileSync(path.join(out, 'models/tiny-gpt2/onnx/model.onnx')).equals(
        readFileSync(path.join(MODELS_DIR, 'tiny-gpt2/onnx/model.onnx')),
      ),
    ).toBe(true);
  });

  it('refuses bad arguments and settings by name, before downloading anything', () => {
    expect(parseKitArgs([])).toBe('missing --out');
    expect(parseKitArgs(['--out', 'x', '--embed-dtype', 'int3'])).toMatch(/--embed-dtype must be one of/);
    expect(parseKitArgs(['--out', 'x', '--source', 'ftp://x'])).toMatch(/http/);
    expect(parseKitArgs(['--out', 'x', '--bundle', '/no/such.ragscope.zip'])).toBe('/no/such.ragscope.zip is not a file');
    const a = parseKitArgs(['--out', 'x']);
    expect(typeof a === 'object' && a.llm).toEqual(['Llama-3.2-1B-Instruct-q4f16_1-MLC', 'Llama-3.2-1B-Instruct-q4f32_1-MLC']);
    expect(() => kitDefaults({ ...(a as KitArgs), defaults: { retrieval: { topK: 0 } } })).toThrow(/retrieval.topK/);
    expect(parseKitArgs(['--out', 'x', '--llm-server', 'ftp://10.0.0.2/v1'])).toMatch(/--llm-server must be an http\(s\) address/);
  });

  it('--llm-server starts every copy with the room server, and lets its policy reach it', async () => {
    const a = args(tmp(), ['--llm-server', 'https://10.0.0.2:8443']);
    expect(a.llmServer).toBe('https://10.0.0.2:8443/v1');
    expect(kitDefaults(a).llm?.serverUrl).toBe('https://10.0.0.2:8443/v1');
    expect(kitServerHosts(a)).toEqual(['https://10.0.0.2:8443']);
    // A server on each attendee's own computer needs no policy change (loopback is always allowed).
    expect(kitServerHosts({ llmServer: 'http://localhost:11434/v1' })).toEqual([]);
    const report = await buildKit(a, quiet);
    const kit = JSON.parse(readFileSync(path.join(report.out, 'kit.json'), 'utf8')) as {
      csp: string;
      defaults: { llm: { serverUrl: string } };
    };
    expect(kit.csp).toMatch(/connect-src [^;]*https:\/\/10\.0\.0\.2:8443/);
    expect(kit.defaults.llm.serverUrl).toBe('https://10.0.0.2:8443/v1');
    const readme = readFileSync(path.join(report.out, 'README.md'), 'utf8');
    expect(readme).toContain("## The room's model server");
    expect(readme).toContain('OLLAMA_ORIGINS=<app address>');
    expect(readme).toMatch(/mixed\s+content/);
  });
});
