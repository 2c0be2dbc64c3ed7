// The app's Content-Security-Policy: what it allows, and the check Settings uses to warn about a mirror it blocks.
import { describe, expect, it } from 'vitest';
import {
  allowsConnect,
  builtServerHosts,
  contentSecurityPolicy,
  extraModelHosts,
  extraServerHosts,
  LOOPBACK_SERVER_SOURCES,
  MODEL_HOSTS,
  serverAllowed,
} from '../../src/platform/csp';

describe('Content-Security-Policy', () => {
  const policy = contentSecurityPolicy({ modelHosts: [...MODEL_HOSTS, 'http://models.lan:9000'] });
  const page = 'https://ragscope.app';

  it('connects only to the app, the model hosts and named mirrors', () => {
    expect(allowsConnect(policy, 'https://ragscope.app/models/x.onnx', page)).toBe(true);
    expect(allowsConnect(policy, 'https://huggingface.co/Xenova/x/resolve/main/config.json', page)).toBe(true);
    expect(allowsConnect(policy, 'https://cdn-lfs.hf.co/abc', page)).toBe(true);
    expect(allowsConnect(policy, 'http://models.lan:9000/mlc-ai/m/resolve/main/a.bin', page)).toBe(true);
    expect(allowsConnect(policy, 'http://models.lan:9001/a', page)).toBe(false);
    expect(allowsConnect(policy, 'https://evil.example/collect', page)).toBe(false);
    expect(allowsConnect(policy, 'http://huggingface.co/x', page)).toBe(false);
  });

  it('connects to language-model servers on this computer at any port, and to others only when the build names them', () => {
    expect(policy).toContain(
      `connect-src 'self' blob: data: ${[...MODEL_HOSTS, 'http://models.lan:9000', ...LOOPBACK_SERVER_SOURCES].join(' ')};`,
    );
    for (const url of ['http://localhost:11434/v1/chat/completions', 'https://localhost:8443/v1', 'http://127.0.0.1:8080/v1/models']) {
      expect(allowsConnect(policy, url, page), url).toBe(true);
    }
    // Only localhost and 127.0.0.1 are named: a policy cannot name [::1], nor match other IP addresses.
    expect(LOOPBACK_SERVER_SOURCES.join(' ')).not.toContain('[');
    expect(allowsConnect(policy, 'http://127.0.0.2:8080/v1', page)).toBe(false);
    expect(allowsConnect(policy, 'https://llm.lab.example/v1/chat/completions', page)).toBe(false);
    const lab = contentSecurityPolicy({ serverHosts: [...LOOPBACK_SERVER_SOURCES, ...extraServerHosts('https://llm.lab.example')] });
    expect(allowsConnect(lab, 'https://llm.lab.example/v1/chat/completions', page)).toBe(true);
    expect(allowsConnect(lab, 'http://llm.lab.example/v1', page)).toBe(false);
    // A build that names no servers at all (e.g. a kiosk) can leave even this computer's out.
    expect(allowsConnect(contentSecurityPolicy({ serverHosts: [] }), 'http://localhost:11434/v1', page)).toBe(false);
  });

  it('runs no JavaScript eval, no inline script or style, and names frame-ancestors only as a header', () => {
    expect(policy).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);
    expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(policy).not.toContain('frame-ancestors');
    expect(contentSecurityPolicy({ header: true })).toContain("frame-ancestors 'self'");
  });

  it('takes extra mirror hosts from the build environment, refusing anything that is not a host source', () => {
    expect(extraModelHosts('https://models.lan:8443 http://localhost:*')).toEqual(['https://models.lan:8443', 'http://localhost:*']);
    expect(extraModelHosts(undefined)).toEqual([]);
    expect(() => extraModelHosts("https://ok.lan 'unsafe-inline'")).toThrow(/not a host source/);
  });

  it('takes servers on other computers from RAGSCOPE_LLM_SERVERS, refusing paths and IPv6 addresses by name', () => {
    expect(extraServerHosts('https://llm.lab.example, https://*.openai.azure.com')).toEqual([
      'https://llm.lab.example',
      'https://*.openai.azure.com',
    ]);
    expect(extraServerHosts('')).toEqual([]);
    // A wildcard over a whole top-level domain would let questions go to any host under it.
    expect(() => extraServerHosts('https://*.com')).toThrow(/would allow every host under a top-level domain/);
    expect(() => extraServerHosts('https://llm.lab.example/v1')).toThrow(/^RAGSCOPE_LLM_SERVERS: .*no path/);
    expect(() => extraServerHosts('http://[::1]:8080')).toThrow(
      /IPv6 address, which a Content-Security-Policy cannot name; use a host name \(localhost/,
    );
    // What the build named is what the app reads back (vite.config.ts defines it from the same variable).
    expect(builtServerHosts()).toEqual(extraServerHosts(process.env.RAGSCOPE_LLM_SERVERS));
  });
});

describe('which language-model servers the app may reach, and why', () => {
  const named = ['https://llm.lab.example', 'http://gpu.lan:8000', 'https://*.openai.azure.com'];

  it('servers on this computer: always, at any port', () => {
    for (const url of ['http://localhost:11434/v1', 'https://localhost:8443/v1', 'http://127.0.0.1:1234/v1']) {
      expect(serverAllowed(url, [], 'https://ragscope.app'), url).toEqual({
        allowed: true,
        why: `${new URL(url).hostname} is this computer: what you send it goes no further, unless that server passes it on (as a proxy to a hosted API does).`,
      });
    }
    expect(serverAllowed('http://127.0.0.1:5173/api', [], 'http://127.0.0.1:5173')).toEqual({
      allowed: true,
      why: "It is this app's own address.",
    });
  });

  it('this computer by a name the policy cannot hold: says which name to use instead', () => {
    expect(serverAllowed('http://[::1]:8080/v1', [])).toEqual({
      allowed: false,
      why: 'A security policy cannot name IPv6 addresses, so this app cannot reach http://[::1]:8080: use http://localhost:8080, which reaches the same server.',
    });
    expect(serverAllowed('http://127.0.0.2:8080/v1', []).why).toBe(
      '127.0.0.2 is this computer, but the security policy names only localhost and 127.0.0.1: use http://localhost:8080.',
    );
    expect(serverAllowed('http://ollama.localhost/v1', []).allowed).toBe(false);
  });

  it('other computers: only when the build named them, and says what leaves the machine', () => {
    expect(serverAllowed('https://llm.lab.example/v1', named)).toEqual({
      allowed: true,
      why: 'llm.lab.example was named when this app was built (RAGSCOPE_LLM_SERVERS). It is another computer: the questions you ask it, and the passages of your documents its panes read, are sent there.',
    });
    expect(serverAllowed('https://east.openai.azure.com/openai/v1', named).allowed).toBe(true);
    expect(serverAllowed('https://llm.lab.example:8443/v1', named).allowed).toBe(false);
    const refused = serverAllowed('https://api.example.com/v1', named);
    expect(refused.allowed).toBe(false);
    expect(refused.why).toMatch(
      /^api\.example\.com is another computer, .* Rebuild with RAGSCOPE_LLM_SERVERS="https:\/\/api\.example\.com" to allow it\.$/,
    );
  });

  it('plain http to another computer from an https page: refused, as the browser would', () => {
    expect(serverAllowed('http://gpu.lan:8000/v1', named, 'http://localhost:5173').allowed).toBe(true);
    expect(serverAllowed('http://gpu.lan:8000/v1', named, 'https://ragscope.app')).toEqual({
      allowed: false,
      why: 'This app is served over https, and browsers refuse plain http to another computer from it: serve gpu.lan over https.',
    });
  });

  it('not a server address', () => {
    for (const bad of ['localhost:11434', 'ftp://llm.lab.example', '']) {
      expect(serverAllowed(bad, named)).toEqual({
        allowed: false,
        why: `"${bad}" is not a server address such as http://localhost:11434/v1.`,
      });
    }
  });
});
