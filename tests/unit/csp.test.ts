// The app's Content-Security-Policy: what it allows, and the check Settings uses to warn about a mirror it blocks.
import { describe, expect, it } from 'vitest';
import { allowsConnect, contentSecurityPolicy, extraModelHosts, MODEL_HOSTS } from '../../src/platform/csp';

describe('Content-Security-Policy', () => {
  const policy = contentSecurityPolicy({ modelHosts: [...MODEL_HOSTS, 'http://localhost:9000'] });
  const page = 'https://ragscope.app';

  it('connects only to the app, the model hosts and named mirrors', () => {
    expect(allowsConnect(policy, 'https://ragscope.app/models/x.onnx', page)).toBe(true);
    expect(allowsConnect(policy, 'https://huggingface.co/Xenova/x/resolve/main/config.json', page)).toBe(true);
    expect(allowsConnect(policy, 'https://cdn-lfs.hf.co/abc', page)).toBe(true);
    expect(allowsConnect(policy, 'http://localhost:9000/mlc-ai/m/resolve/main/a.bin', page)).toBe(true);
    expect(allowsConnect(policy, 'http://localhost:9001/a', page)).toBe(false);
    expect(allowsConnect(policy, 'https://evil.example/collect', page)).toBe(false);
    expect(allowsConnect(policy, 'http://huggingface.co/x', page)).toBe(false);
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
});
