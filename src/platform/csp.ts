/**
 * ragscope's Content-Security-Policy: the page and its workers may connect only to the app's own
 * origin and to the hosts models come from. One definition, used by the build (a <meta> in
 * index.html, which covers the page), by `npm run dev`/`preview` and by the test server (a response
 * header, which is what covers the workers: a worker takes its policy from its own script's
 * response, not from the page). Static hosts should send the header too (see the README).
 */

/**
 * Where models come from by default: the Hugging Face hub (transformers.js and web-llm weights,
 * which redirect to its CDN hosts) and GitHub's raw host (web-llm's compiled model libraries).
 */
export const MODEL_HOSTS: readonly string[] = [
  'https://huggingface.co',
  'https://*.huggingface.co',
  'https://*.hf.co',
  'https://raw.githubusercontent.com',
];

/**
 * Extra model hosts (mirrors on another host than the app), from the build's environment:
 * `RAGSCOPE_MODEL_HOSTS="https://models.lan:8443 http://localhost:9000"`. Each must be a CSP
 * host source (scheme, host, optional port or `*`); anything else is refused by name.
 */
export function extraModelHosts(value: string | undefined): string[] {
  const hosts = (value ?? '').split(/[\s,]+/).filter(Boolean);
  for (const h of hosts) {
    if (!/^https?:\/\/(\*\.)?[a-z0-9.-]+(:(\d+|\*))?$/i.test(h)) {
      throw new Error(`RAGSCOPE_MODEL_HOSTS: "${h}" is not a host source such as https://models.lan or http://localhost:9000.`);
    }
  }
  return hosts;
}

export interface PolicyOptions {
  /** Hosts besides the app's own origin that model files may come from. Default: MODEL_HOSTS. */
  modelHosts?: readonly string[];
  /** For the response header only: directives a <meta> policy ignores (frame-ancestors). */
  header?: boolean;
}

export function contentSecurityPolicy(opts: PolicyOptions = {}): string {
  const models = (opts.modelHosts ?? MODEL_HOSTS).join(' ');
  const directives = [
    "default-src 'self'",
    // WebAssembly (ONNX Runtime, web-llm, the SIMD search kernel) needs 'wasm-unsafe-eval'; no JS
    // eval. blob: because ONNX Runtime 1.31 (under transformers.js 4.3) imports its .mjs glue through
    // a blob: URL it makes from the app's own file; seen in Chromium, and absolute same-origin
    // paths did not avoid it. Only code already running on this origin can mint such a URL.
    "script-src 'self' 'wasm-unsafe-eval' blob:",
    "worker-src 'self' blob:",
    // Model files and nothing else leave for other hosts; blob:/data: never leave the machine.
    `connect-src 'self' blob: data: ${models}`,
    "img-src 'self' blob: data:",
    "style-src 'self'",
    "font-src 'self'",
    // Originals open in a new tab as blob: URLs (a PDF in the browser's viewer).
    "object-src 'self' blob:",
    "frame-src 'self' blob:",
    "base-uri 'self'",
    "form-action 'self'",
  ];
  if (opts.header) directives.push("frame-ancestors 'self'");
  return directives.join('; ');
}

/**
 * Whether a policy's connect-src lets the page reach `url` (same origin, or a listed host source,
 * with `*.` subdomains and `:*` ports). Used to warn, in Settings, about a mirror the policy blocks.
 */
export function allowsConnect(policy: string, url: string, pageOrigin: string): boolean {
  const target = new URL(url);
  if (target.origin === pageOrigin) return true;
  const directive = policy
    .split(';')
    .map((d) => d.trim().split(/\s+/))
    .find((d) => d[0] === 'connect-src');
  if (!directive) return true;
  return directive.slice(1).some((source) => {
    const m = /^(https?):\/\/(\*\.)?([^:/]+)(?::(\d+|\*))?$/i.exec(source);
    if (!m) return false;
    const [, scheme, wildcard, host, port] = m;
    if (`${scheme!.toLowerCase()}:` !== target.protocol) return false;
    const hostOk = wildcard ? target.hostname.endsWith(`.${host}`) : target.hostname === host!.toLowerCase();
    const defaultPort = target.protocol === 'https:' ? '443' : '80';
    const portOk = port === '*' || (port ?? defaultPort) === (target.port || defaultPort);
    return hostOk && portOk;
  });
}
