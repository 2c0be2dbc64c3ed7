/**
 * ragscope's Content-Security-Policy: the page and its workers may connect only to the app's own
 * origin, to the hosts models come from, and to language-model servers on this computer (or named
 * when the app was built). One definition, used by the build (a <meta> in index.html, which covers
 * the page), by `npm run dev`/`preview` and by the test server (a response header, which is what
 * covers the workers: a worker takes its policy from its own script's response, not from the
 * page). Static hosts should send the header too (see the README).
 *
 * The policy is what keeps documents on the machine even if a bug tried to send them elsewhere,
 * so Settings cannot widen it: a server on another computer, which would receive the passages of
 * every question asked with documents, is allowed only by whoever builds the app.
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
 * Language-model servers on this computer (Ollama, llama.cpp's server, LM Studio, vLLM: their
 * OpenAI-compatible endpoints), at any port, over http or https: what is sent to them stays on
 * the machine. `[::1]` is not among them because it cannot be: CSP's host-source grammar has no
 * IPv6 literals (host-char is ALPHA / DIGIT / "-"; w3c/webappsec-csp#440), Chromium drops such a
 * source with a console warning, and `localhost` in a policy does not match a URL written with
 * [::1]. A server listening on ::1 is reached as http://localhost:<port> (`serverAllowed` says so).
 * Of IP addresses, only 127.0.0.1 matches anything in a policy (CSP3, "Does url match expression").
 */
export const LOOPBACK_SERVER_SOURCES: readonly string[] = [
  'http://localhost:*',
  'https://localhost:*',
  'http://127.0.0.1:*',
  'https://127.0.0.1:*',
];

/** Host sources from a build variable, each scheme, host (optionally `*.`-prefixed) and optional port or `*`; anything else is refused by name. */
function hostSources(name: string, value: string | undefined, example: string): string[] {
  const hosts = (value ?? '').split(/[\s,]+/).filter(Boolean);
  for (const h of hosts) {
    if (/^https?:\/\/\[/i.test(h)) {
      throw new Error(
        `${name}: "${h}" is an IPv6 address, which a Content-Security-Policy cannot name; use a host name (localhost for this computer).`,
      );
    }
    if (/^https?:\/\/\*\.[a-z0-9-]+(:(\d+|\*))?$/i.test(h)) {
      throw new Error(`${name}: "${h}" would allow every host under a top-level domain; name the server's own domain, such as ${example}.`);
    }
    if (!/^https?:\/\/(\*\.)?[a-z0-9.-]+(:(\d+|\*))?$/i.test(h)) {
      throw new Error(`${name}: "${h}" is not a host source such as ${example} (scheme, host and port; no path).`);
    }
  }
  return hosts;
}

/**
 * Extra model hosts (mirrors on another host than the app), from the build's environment:
 * `RAGSCOPE_MODEL_HOSTS="https://models.lan:8443 http://localhost:9000"`. Each must be a CSP
 * host source (scheme, host, optional port or `*`); anything else is refused by name.
 */
export function extraModelHosts(value: string | undefined): string[] {
  return hostSources('RAGSCOPE_MODEL_HOSTS', value, 'https://models.lan or http://localhost:9000');
}

/**
 * Language-model servers on other computers, from the build's environment:
 * `RAGSCOPE_LLM_SERVERS="https://llm.lab.example https://*.openai.azure.com"`. Host sources as for
 * RAGSCOPE_MODEL_HOSTS. Servers on this computer need no naming (LOOPBACK_SERVER_SOURCES).
 */
export function extraServerHosts(value: string | undefined): string[] {
  return hostSources('RAGSCOPE_LLM_SERVERS', value, 'https://llm.lab.example or https://*.openai.azure.com');
}

// Replaced by the build (vite.config.ts `define`) with the servers RAGSCOPE_LLM_SERVERS named; absent in Node.
declare const __RAGSCOPE_LLM_SERVERS__: readonly string[] | undefined;

/** The servers on other computers this build's policy allows (RAGSCOPE_LLM_SERVERS), for `serverAllowed`. */
export function builtServerHosts(): readonly string[] {
  return typeof __RAGSCOPE_LLM_SERVERS__ === 'undefined' ? [] : __RAGSCOPE_LLM_SERVERS__;
}

export interface PolicyOptions {
  /** Hosts besides the app's own origin that model files may come from. Default: MODEL_HOSTS. */
  modelHosts?: readonly string[];
  /**
   * Language-model servers the page may send questions (and passages) to. Default:
   * LOOPBACK_SERVER_SOURCES; a build adds those RAGSCOPE_LLM_SERVERS names.
   */
  serverHosts?: readonly string[];
  /** For the response header only: directives a <meta> policy ignores (frame-ancestors). */
  header?: boolean;
}

export function contentSecurityPolicy(opts: PolicyOptions = {}): string {
  const connect = ["'self'", 'blob:', 'data:', ...(opts.modelHosts ?? MODEL_HOSTS), ...(opts.serverHosts ?? LOOPBACK_SERVER_SOURCES)];
  const directives = [
    "default-src 'self'",
    // WebAssembly (ONNX Runtime, web-llm, the SIMD search kernel) needs 'wasm-unsafe-eval'; no JS
    // eval. blob: because ONNX Runtime 1.31 (under transformers.js 4.3) imports its .mjs glue through
    // a blob: URL it makes from the app's own file; seen in Chromium, and absolute same-origin
    // paths did not avoid it. Only code already running on this origin can mint such a URL.
    "script-src 'self' 'wasm-unsafe-eval' blob:",
    "worker-src 'self' blob:",
    // Model files come from other hosts; questions go to language-model servers on this computer
    // or named at build time; blob:/data: never leave the machine.
    `connect-src ${connect.join(' ')}`,
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
  return directive.slice(1).some((source) => sourceMatches(source, target));
}

/** Whether a host source (`https://*.hf.co`, `http://localhost:*`) lets a URL through: scheme, host (with `*.` subdomains), port (`*`: any). */
export function sourceMatches(source: string, target: URL): boolean {
  const m = /^(https?):\/\/(\*\.)?([^:/]+)(?::(\d+|\*))?$/i.exec(source);
  if (!m) return false;
  const [, scheme, wildcard, host, port] = m;
  if (`${scheme!.toLowerCase()}:` !== target.protocol) return false;
  const hostOk = wildcard ? target.hostname.endsWith(`.${host!.toLowerCase()}`) : target.hostname === host!.toLowerCase();
  const defaultPort = target.protocol === 'https:' ? '443' : '80';
  const portOk = port === '*' || (port ?? defaultPort) === (target.port || defaultPort);
  return hostOk && portOk;
}

/**
 * Whether this app may send questions to the language-model server at `baseUrl`, and why, in
 * words Settings shows beside the address: servers on this computer (localhost, 127.0.0.1) always;
 * the app's own origin; servers on other computers only when the build named them
 * (`allowedExtra`: `builtServerHosts()`), and then only over https from an https page (browsers
 * refuse plain http to another computer from a secure page). `pageOrigin`, when given, makes the
 * same-origin and https checks.
 */
export function serverAllowed(baseUrl: string, allowedExtra: readonly string[], pageOrigin?: string): { allowed: boolean; why: string } {
  const target = URL.canParse(baseUrl) ? new URL(baseUrl) : null;
  if (!target || (target.protocol !== 'http:' && target.protocol !== 'https:')) {
    return { allowed: false, why: `"${baseUrl}" is not a server address such as http://localhost:11434/v1.` };
  }
  if (pageOrigin !== undefined && target.origin === pageOrigin) return { allowed: true, why: "It is this app's own address." };
  const host = target.hostname;
  const port = target.port ? `:${target.port}` : '';
  // vLLM and `llama-server --host 0.0.0.0` print this address: it means "listening everywhere",
  // and browsers refuse to connect to it.
  if (host === '0.0.0.0')
    return {
      allowed: false,
      why: `0.0.0.0 is where the server listens, not an address to reach it at: use http://localhost${port}${target.pathname === '/' ? '/v1' : target.pathname}.`,
    };
  if (host.startsWith('[')) {
    return {
      allowed: false,
      why: `A security policy cannot name IPv6 addresses, so this app cannot reach ${target.origin}: use ${target.protocol}//localhost${port}, which reaches the same server.`,
    };
  }
  if (LOOPBACK_SERVER_SOURCES.some((s) => sourceMatches(s, target))) {
    return {
      allowed: true,
      why: `${host} is this computer: what you send it goes no further, unless that server passes it on (as a proxy to a hosted API does).`,
    };
  }
  if (/^127\.\d+\.\d+\.\d+$/.test(host) || host.endsWith('.localhost')) {
    return {
      allowed: false,
      why: `${host} is this computer, but the security policy names only localhost and 127.0.0.1: use ${target.protocol}//localhost${port}.`,
    };
  }
  if (allowedExtra.some((s) => sourceMatches(s, target))) {
    if (pageOrigin?.startsWith('https:') && target.protocol === 'http:') {
      return {
        allowed: false,
        why: `This app is served over https, and browsers refuse plain http to another computer from it: serve ${host} over https.`,
      };
    }
    return {
      allowed: true,
      why: `${host} was named when this app was built (RAGSCOPE_LLM_SERVERS). It is another computer: the questions you ask it, and the passages of your documents its panes read, are sent there.`,
    };
  }
  return {
    allowed: false,
    why: `${host} is another computer, and this app's security policy lets it send questions only to servers on this computer or named when it was built, so that your documents do not leave it by mistake. Rebuild with RAGSCOPE_LLM_SERVERS="${target.origin}" to allow it.`,
  };
}
