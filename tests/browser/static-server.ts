/**
 * The static file server of the browser tests and the bench: the workshop kit's own handler
 * (src/kit/serve.mjs), so the tests serve files exactly as a room's kit does: real 404s for missing
 * files (unlike Vite's SPA fallback), MIME types for .wasm/.mjs, a malformed address a 404 rather
 * than a crash. This adds a free port, a URL and a log of every request it answered.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { staticHandler, type Mount } from '../../src/kit/serve.mjs';

export type { Mount };

export interface StaticServer {
  url: string;
  /** `METHOD /path` of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Headers sent with every response (the app's Content-Security-Policy). */
  headers?: Record<string, string>;
}

export async function serveStatic(mounts: Mount[], opts: ServeOptions = {}): Promise<StaticServer> {
  const { host = '127.0.0.1', port = 0, headers = {} } = opts;
  const requests: string[] = [];
  const handle = staticHandler({ mounts, headers });
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${(req.url ?? '/').split('?')[0]}`);
    handle(req, res);
  });
  await new Promise<void>((ok) => server.listen(port, host, ok));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}`,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
