/**
 * The workshop kit: one folder that runs a whole room without internet.
 *
 *   npm run --silent kit -- --out <folder> [--llm <web-llm model id>]... [--embed <model id>]
 *       [--tjs-llm <model id>|none] [--samples <folder>] [--bundle <file>] [--question <text>] [--source <hub-shaped URL>]
 *       [--embed-dtype D] [--tjs-dtype D] [--defaults <settings JSON>] [--llm-server <URL>] [--retries N] [--no-app] [--json]
 *
 * Into <folder>: the chosen models laid out as the app's own model folder (`models/`), the built
 * app set to read models from there (RAGSCOPE_DEFAULTS), the sample documents, `serve.mjs` (a
 * dependency-free server that sends the app's Content-Security-Policy) and a README saying how to
 * run it. With --bundle, "Try the sample documents" imports that prepared collection (Export… in the
 * app) instead: already chunked and embedded. Defaults: the app's default web-llm model (its q4f16 build and the q4f32 one for GPUs
 * without shader-f16), the default embedding model, and the default transformers.js model for
 * machines without WebGPU. `--source` downloads from a hub-shaped server instead of the public
 * hubs (a second kit, or a test).
 *
 * --llm-server points every attendee's copy at one room server (Ollama, llama-server, LM Studio,
 * vLLM: an OpenAI-compatible address such as https://10.0.0.2:8443/v1) for its answer panes: the
 * app's settings start with it, and its host joins the app's Content-Security-Policy (built in, as
 * RAGSCOPE_LLM_SERVERS does, and in kit.json's header), since a copy may reach only the servers it
 * was built for. The README says what the room then needs (https, CORS, the local-network prompt).
 *
 * Files are written whole or not at all; a failed file is retried (--retries, default 3) and
 * reported; running the same command again resumes where it stopped. Exit code 0 when every
 * model is complete, 1 when some failed (they are listed), 2 for bad arguments.
 */

import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { webllmAppConfig } from '../generate/webllm-engine';
import { downloadTransformersModel, downloadWebLlmForKit, type FileReport, type TransformersModelPlan } from '../kit/download';
import { normalizeBaseUrl } from '../generate/openai-engine';
import { contentSecurityPolicy, LOOPBACK_SERVER_SOURCES, MODEL_HOSTS } from '../platform/csp';
import { HF_HUB } from '../platform/model-source';
import { ONNX_DTYPES, type OnnxDtype } from '../core/devices';
import { errorText, isAppError } from '../core/errors';
import { DEFAULT_SETTINGS, type Settings } from '../settings/defaults';
import { parseBuildDefaults } from '../settings/build-defaults';
import type { DeepPartial } from '../settings/validate';
import { formatBytes } from '../ingest/sizes';
import { parseCli, runCli, type CliArgs } from './args';

const USAGE =
  'usage: npm run --silent kit -- --out <folder> [--llm <web-llm model id>]... [--embed <model id>] [--tjs-llm <model id>|none]\n' +
  '         [--samples <folder>] [--bundle <.ragscope.zip>] [--question <text>] [--source <hub-shaped URL>] [--embed-dtype D] [--tjs-dtype D] [--defaults <JSON>]\n' +
  '         [--llm-server <OpenAI-compatible URL>] [--retries N] [--no-app] [--json]';

const isDtype = (d: string): d is OnnxDtype => (ONNX_DTYPES as readonly string[]).includes(d);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface KitArgs {
  out: string;
  llm: string[];
  embed: string;
  embedDtype: OnnxDtype;
  tjsLlm: string | null;
  tjsDtype: OnnxDtype;
  samples: string | null;
  /** A prepared collection (Export… in the app) that "Try the sample documents" imports whole. */
  bundle: string | null;
  /** The question the sample documents suggest. */
  question: string | null;
  source: string | null;
  defaults: DeepPartial<Settings>;
  /** The room's OpenAI-compatible server (its /v1 address), or null. */
  llmServer: string | null;
  retries: number;
  app: boolean;
  json: boolean;
}

/** The default web-llm model and, for GPUs without shader-f16, its q4f32 build. */
function defaultLlms(): string[] {
  const id = DEFAULT_SETTINGS.llm.webllmModel;
  const f32 = id.replace(/q(\d)f16/, 'q$1f32');
  return f32 === id ? [id] : [id, f32];
}

const OPTIONS = {
  out: { type: 'string', arg: 'a folder' },
  llm: { type: 'string', multiple: true, arg: 'a web-llm model id' },
  embed: { type: 'string', arg: 'a model id' },
  'tjs-llm': { type: 'string', arg: 'a model id, or none' },
  'embed-dtype': { type: 'string', arg: `one of ${ONNX_DTYPES.join(', ')}` },
  'tjs-dtype': { type: 'string', arg: `one of ${ONNX_DTYPES.join(', ')}` },
  samples: { type: 'string', arg: 'a folder' },
  bundle: { type: 'string', arg: 'a .ragscope.zip file' },
  question: { type: 'string', arg: 'a question' },
  source: { type: 'string', arg: 'a URL' },
  defaults: { type: 'string', arg: 'a JSON object of settings' },
  'llm-server': { type: 'string', arg: 'an http(s) address such as https://10.0.0.2:8443/v1' },
  retries: { type: 'string', arg: 'a whole number from 0 to 20' },
  'no-app': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export function parseKitArgs(argv: string[]): CliArgs<KitArgs> {
  const p = parseCli(argv, OPTIONS);
  if (typeof p !== 'object') return p;
  const v = p.values;
  const a: KitArgs = {
    out: v.out ?? '',
    llm: v.llm ?? [],
    embed: v.embed ?? DEFAULT_SETTINGS.embedding.model,
    embedDtype: 'auto',
    tjsLlm: v['tjs-llm'] === 'none' ? null : (v['tjs-llm'] ?? DEFAULT_SETTINGS.llm.transformersModel),
    tjsDtype: 'auto',
    samples: v.samples ?? null,
    bundle: v.bundle ?? null,
    question: v.question ?? null,
    source: null,
    defaults: {},
    llmServer: null,
    retries: 3,
    app: v['no-app'] !== true,
    json: v.json === true,
  };
  for (const flag of ['embed-dtype', 'tjs-dtype'] as const) {
    const d = v[flag];
    if (d === undefined) continue;
    if (!isDtype(d)) return `--${flag} must be one of ${ONNX_DTYPES.join(', ')}`;
    if (flag === 'embed-dtype') a.embedDtype = d;
    else a.tjsDtype = d;
  }
  if (v.source !== undefined) {
    if (!/^https?:\/\//.test(v.source)) return '--source must be an http(s) URL';
    a.source = v.source.endsWith('/') ? v.source : `${v.source}/`;
  }
  if (v.defaults !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v.defaults);
    } catch (e) {
      return `--defaults is not JSON: ${errorText(e)}`;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return '--defaults must be a JSON object';
    a.defaults = parsed as DeepPartial<Settings>;
  }
  if (v['llm-server'] !== undefined) {
    const u = URL.canParse(v['llm-server']) ? new URL(v['llm-server']) : null;
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password)
      return '--llm-server must be an http(s) address such as https://10.0.0.2:8443/v1';
    // The server's API as the engine reads an address (ending in /v1 unless a path was given);
    // credentials are refused above rather than dropped: they would be written into every copy.
    a.llmServer = normalizeBaseUrl(u.href);
  }
  if (v.retries !== undefined) {
    const n = Number(v.retries);
    if (!Number.isInteger(n) || n < 0 || n > 20) return '--retries needs a whole number from 0 to 20';
    a.retries = n;
  }
  if (!a.out) return 'missing --out';
  if (a.llm.length === 0) a.llm = defaultLlms();
  if (a.samples !== null && !(existsSync(a.samples) && statSync(a.samples).isDirectory())) return `${a.samples} is not a folder`;
  if (a.bundle !== null && !(existsSync(a.bundle) && statSync(a.bundle).isFile())) return `${a.bundle} is not a file`;
  return a;
}

/** The settings the kit's app starts from: models from its own folder, the kit's models chosen. */
export function kitDefaults(a: KitArgs): DeepPartial<Settings> {
  const d: DeepPartial<Settings> = {
    ...a.defaults,
    modelSource: '/models/',
    embedding: { ...a.defaults.embedding, model: a.embed, ...(a.embedDtype !== 'auto' ? { dtype: a.embedDtype } : {}) },
    llm: {
      ...a.defaults.llm,
      webllmModel: a.llm[0]!,
      ...(a.tjsLlm ? { transformersModel: a.tjsLlm } : {}),
      ...(a.tjsDtype !== 'auto' ? { transformersDtype: a.tjsDtype } : {}),
      ...(a.llmServer ? { serverUrl: a.llmServer } : {}),
    },
  };
  parseBuildDefaults(JSON.stringify(d)); // refuses invalid settings before anything is downloaded
  return d;
}

export interface KitReport {
  out: string;
  models: {
    id: string;
    engine: 'web-llm' | 'transformers.js';
    ok: boolean;
    bytes: number;
    fetchedBytes: number;
    attempts: number;
    error?: string;
  }[];
  app: boolean;
  ok: boolean;
}

type Log = (line: string) => void;

/** Runs `attempt` up to 1 + retries times; a retry resumes (finished files stay). */
async function withRetries<T>(
  retries: number,
  label: string,
  log: Log,
  attempt: () => Promise<T>,
): Promise<{ value?: T; error?: string; attempts: number }> {
  let last = '';
  for (let i = 0; i <= retries; i++) {
    try {
      return { value: await attempt(), attempts: i + 1 };
    } catch (e) {
      last = isAppError(e) ? `${e.name}: ${e.message}` : errorText(e);
      if (isAppError(e, 'ModelNotFound') || isAppError(e, 'Cancelled')) return { error: last, attempts: i + 1 };
      log(`${label}: ${last}${i < retries ? ' — retrying' : ''}`);
    }
  }
  return { error: last, attempts: retries + 1 };
}

export async function buildKit(a: KitArgs, log: Log = (l) => console.error(l), fetchFn: typeof fetch = fetch): Promise<KitReport> {
  const out = path.resolve(a.out);
  const modelsDir = path.join(out, 'models');
  await mkdir(modelsDir, { recursive: true });
  const defaults = kitDefaults(a);
  const report: KitReport = { out, models: [], app: false, ok: true };
  const source = a.source ?? HF_HUB;

  const appConfig = webllmAppConfig(a.source ? { kind: 'mirror', baseUrl: a.source } : { kind: 'hub' }, 'http://localhost');
  for (const id of a.llm) {
    const record = appConfig.model_list.find((r) => r.model_id === id);
    if (!record) {
      report.models.push({
        id,
        engine: 'web-llm',
        ok: false,
        bytes: 0,
        fetchedBytes: 0,
        attempts: 0,
        error: `${id} is not in web-llm's model list`,
      });
      continue;
    }
    let lastShown = 0;
    const r = await withRetries(a.retries, id, log, () =>
      downloadWebLlmForKit(record, modelsDir, {
        fetch: fetchFn,
        onBytes: (loaded, total) => {
          // A line per ~10% keeps a long download visible without flooding the terminal.
          if (total > 0 && (loaded === total || loaded - lastShown >= total / 10)) {
            lastShown = loaded;
            log(`${id}: ${formatBytes(loaded)} of ${formatBytes(total)}`);
          }
        },
      }),
    );
    report.models.push({
      id,
      engine: 'web-llm',
      ok: r.value !== undefined,
      bytes: r.value?.totalBytes ?? 0,
      fetchedBytes: r.value?.fetchedBytes ?? 0,
      attempts: r.attempts,
      ...(r.error ? { error: r.error } : {}),
    });
  }

  const tjs: TransformersModelPlan[] = [{ id: a.embed, kind: 'embed', dtype: a.embedDtype }];
  if (a.tjsLlm) tjs.push({ id: a.tjsLlm, kind: 'llm', dtype: a.tjsDtype });
  for (const plan of tjs) {
    const files: FileReport[] = [];
    const r = await withRetries(a.retries, plan.id, log, async () => {
      files.length = 0;
      return downloadTransformersModel(plan, source, modelsDir, {
        fetch: fetchFn,
        onFile: (f) => {
          files.push(f);
          log(`${f.file}: ${formatBytes(f.bytes)}${f.fetched ? '' : ' (already here)'}`);
        },
      });
    });
    report.models.push({
      id: plan.id,
      engine: 'transformers.js',
      ok: r.value !== undefined,
      bytes: files.reduce((n, f) => n + f.bytes, 0),
      fetchedBytes: files.reduce((n, f) => n + (f.fetched ? f.bytes : 0), 0),
      attempts: r.attempts,
      ...(r.error ? { error: r.error } : {}),
    });
  }

  if (a.app) {
    log('building the app…');
    await buildApp(out, defaults, kitServerHosts(a));
    report.app = true;
  }
  if (a.samples) await copySamples(a.samples, path.join(out, 'samples'), a.question);
  if (a.bundle) await addBundle(a.bundle, path.join(out, 'samples'), a.question, a.embed);
  await writeFile(
    path.join(out, 'kit.json'),
    `${JSON.stringify({ csp: contentSecurityPolicy({ modelHosts: MODEL_HOSTS, serverHosts: [...LOOPBACK_SERVER_SOURCES, ...kitServerHosts(a)], header: true }), defaults }, null, 2)}\n`,
  );
  await cp(path.join(ROOT, 'src/kit/serve.mjs'), path.join(out, 'serve.mjs'));
  await writeFile(path.join(out, 'README.md'), kitReadme(report, a.llmServer));
  report.ok = report.models.every((m) => m.ok);
  return report;
}

/** The room server's origin, for the kit's policy (none when it is on each attendee's own computer). */
export function kitServerHosts(a: Pick<KitArgs, 'llmServer'>): string[] {
  if (!a.llmServer) return [];
  const origin = new URL(a.llmServer).origin;
  return LOOPBACK_SERVER_SOURCES.some((s) => new URL(s.replace(':*', '')).hostname === new URL(origin).hostname) ? [] : [origin];
}

async function buildApp(out: string, defaults: DeepPartial<Settings>, servers: string[]): Promise<void> {
  const { build } = await import('vite');
  const previous = process.env.RAGSCOPE_DEFAULTS;
  const previousServers = process.env.RAGSCOPE_LLM_SERVERS;
  process.env.RAGSCOPE_DEFAULTS = JSON.stringify(defaults);
  if (servers.length > 0) process.env.RAGSCOPE_LLM_SERVERS = servers.join(' ');
  try {
    await build({
      root: ROOT,
      configFile: path.join(ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: out, emptyOutDir: false },
    });
  } finally {
    if (previous === undefined) delete process.env.RAGSCOPE_DEFAULTS;
    else process.env.RAGSCOPE_DEFAULTS = previous;
    if (previousServers === undefined) delete process.env.RAGSCOPE_LLM_SERVERS;
    else process.env.RAGSCOPE_LLM_SERVERS = previousServers;
  }
}

/** Copies a folder of documents as the kit's samples, listed in samples.json for "Try the sample documents". */
async function copySamples(from: string, to: string, question: string | null): Promise<void> {
  await mkdir(to, { recursive: true });
  const files = (await readdir(from, { withFileTypes: true })).filter((e) => e.isFile() && e.name !== 'samples.json').map((e) => e.name);
  for (const f of files) await cp(path.join(from, f), path.join(to, f));
  const listed = existsSync(path.join(from, 'samples.json'));
  if (listed && !question) await cp(path.join(from, 'samples.json'), path.join(to, 'samples.json'));
  else
    await writeFile(
      path.join(to, 'samples.json'),
      `${JSON.stringify({ files: files.sort(), ...(question ? { question } : {}) }, null, 2)}\n`,
    );
}

/**
 * Makes a prepared collection the kit's samples: "Try the sample documents" then imports it whole
 * (already chunked and embedded), the quickest start a room can have. The bundle is checked here
 * as the app would check it, so a kit never ships a file the app refuses.
 */
async function addBundle(file: string, to: string, question: string | null, embedModel: string): Promise<void> {
  const { readBundle } = await import('../bundle/bundle');
  const bytes = new Uint8Array(await readFile(file));
  // Its vectors must be the kit's embedding model's, or the app would refuse it.
  await readBundle(bytes, embedModel);
  await mkdir(to, { recursive: true });
  const name = path.basename(file);
  await cp(file, path.join(to, name));
  const manifest = { about: 'A prepared collection for this workshop.', files: [], bundle: name, ...(question ? { question } : {}) };
  await writeFile(path.join(to, 'samples.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

function kitReadme(r: KitReport, llmServer: string | null): string {
  const list = r.models
    .map((m) => `- ${m.engine}: \`${m.id}\`${m.ok ? ` (${formatBytes(m.bytes)})` : ' — INCOMPLETE, run the kit command again'}`)
    .join('\n');
  return `# ragscope workshop kit

Everything a room needs to use ragscope without internet: the app, these models, and sample documents.

${list}

## Run it

WebGPU needs a secure context: \`http://localhost\` (or \`127.0.0.1\`) on the machine itself, or
\`https\`. Plain \`http\` to another machine's address turns WebGPU off, and ragscope falls back to
its slower WASM engine. So pick one:

1. **Each attendee serves their own copy** (simplest): copy this folder to the laptop, then
   \`node serve.mjs\` in it, and open http://127.0.0.1:8080/. It needs Node 18.3 or later, and
   nothing else.
2. **The instructor serves the room over https**: make a certificate the attendees' browsers
   trust, for example with \`mkcert\` (\`mkcert -install && mkcert <your-ip> <your-hostname>\`, then
   install mkcert's root certificate on each attendee machine). Then run
   \`node serve.mjs --host 0.0.0.0 --cert <cert.pem> --key <key.pem>\`, and open
   https://<your-ip>:8080/.

\`serve.mjs\` sends the app's Content-Security-Policy (from \`kit.json\`), which keeps the app and
its workers from connecting anywhere but this folder, the public model hosts and model servers on
the attendee's own computer (plus the room's server, with --llm-server). Other static
servers work too (\`python3 -m http.server\` on localhost), but without that header.

After the first visit the app keeps itself in the browser (the Network card says "Saved on this
device"). The models are kept by their engines once used.
${llmServer ? roomServerReadme(llmServer) : ''}`;
}

/** What a room server needs, for the kit's README (--llm-server). */
function roomServerReadme(url: string): string {
  const server = new URL(url);
  return `
## The room's model server

Every copy of this app starts with ${url} as its model server (Settings → Model server), for the
answer panes that run a bigger model than a laptop's tab can. Questions and the passages retrieved
for them are sent to it from each attendee's browser; documents themselves never are. Before the
session:

1. **Start the server so it listens on the network and allows the app's address** (CORS). The
   app's address is what attendees open, e.g. https://<your-ip>:8080 (served by you) or
   http://127.0.0.1:8080 (their own copy):
   - Ollama: \`OLLAMA_HOST=0.0.0.0 OLLAMA_ORIGINS=<app address> ollama serve\`
   - llama.cpp: \`llama-server -m model.gguf --host 0.0.0.0 --port 8081\` (it allows any origin by default; 8080 is the app's)
   - LM Studio: Developer tab → server settings → "Serve on Local Network" and "Enable CORS"
   - vLLM: \`vllm serve <model> --host 0.0.0.0 --allowed-origins '["<app address>"]'\`
2. **https:** a page opened over https may only call an https server (the browser blocks "mixed
   content"). ${server.protocol === 'https:' ? `This kit points at an https address: give the server a certificate the attendees' browsers trust (mkcert, as above), or put it behind a reverse proxy that has one.` : `This kit points at a plain-http address: it works when attendees open their own copy over http://127.0.0.1 (option 1 above), not from an https page.`}
3. **The local-network prompt:** recent Chrome and Edge ask before a page may reach a device on the
   local network ("… wants to look for and connect to any device on your local network"). Attendees
   answer Allow; if one answered Block, it is under the padlock → Site settings → Local network access.

Settings → Model server → "List its models" checks all three from an attendee's machine, and names
what is wrong (server not running, CORS, permission) with the fix.
`;
}

async function main(args: KitArgs): Promise<number> {
  try {
    const report = await buildKit(args);
    for (const m of report.models) {
      console.log(
        `${m.ok ? 'ok  ' : 'FAIL'} ${m.engine} ${m.id}: ${m.ok ? `${formatBytes(m.bytes)}, ${formatBytes(m.fetchedBytes)} fetched now` : m.error}`,
      );
    }
    console.log(
      report.ok ? `kit ready in ${report.out} — see its README.md` : 'some models are incomplete: run the same command again to resume',
    );
    if (args.json) console.log(JSON.stringify(report));
    return report.ok ? 0 : 1;
  } catch (e) {
    console.error(isAppError(e) ? `${e.name}: ${e.message}` : errorText(e));
    return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runCli(USAGE, parseKitArgs, main);
}
