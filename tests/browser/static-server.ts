/**
 * A plain static file server for browser tests: real 404s for missing files (unlike Vite's SPA
 * fallback), correct MIME types for .wasm/.mjs/.onnx, and a log of every request it answered.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export interface Mount {
  /** URL prefix, starting and ending with '/'. */
  prefix: string;
  dir: string;
}

export interface StaticServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

function fileFor(mounts: Mount[], pathname: string): string | null {
  // Longest prefix first, so '/models/' wins over '/'.
  for (const m of [...mounts].sort((a, b) => b.prefix.length - a.prefix.length)) {
    if (!pathname.startsWith(m.prefix)) continue;
    const root = resolve(m.dir);
    const rel = normalize(decodeURIComponent(pathname.slice(m.prefix.length)));
    let file = join(root, rel);
    if (file !== root && !file.startsWith(root + sep)) return null;
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      return statSync(file).isFile() ? file : null;
    } catch {
      return null;
    }
  }
  return null;
}

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Headers sent with every file (the app's Content-Security-Policy). */
  headers?: Record<string, string>;
}

export async function serveStatic(mounts: Mount[], opts: ServeOptions = {}): Promise<StaticServer> {
  const { host = '127.0.0.1', port = 0, headers = {} } = opts;
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    const file = req.method === 'GET' || req.method === 'HEAD' ? fileFor(mounts, url.pathname) : null;
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    const size = statSync(file).size;
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': String(size),
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(port, host, ok));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}`,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
