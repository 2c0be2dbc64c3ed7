#!/usr/bin/env node
// Serves a ragscope workshop kit: the app and its models, from this folder, with no internet and
// no dependencies (Node 18+). Copied into every kit by `npm run kit`; see the kit's README.md.
//
//   node serve.mjs [--port 8080] [--host 127.0.0.1] [--cert cert.pem --key key.pem]
//
// WebGPU (and so the fast engines) needs a secure context: http://localhost on the same machine,
// or https elsewhere. The default therefore listens on 127.0.0.1 only; --host 0.0.0.0 needs
// --cert/--key, or attendees on other machines would get an app without WebGPU.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)));
const kit = JSON.parse(readFileSync(join(root, 'kit.json'), 'utf8'));

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const port = Number(arg('port', '8080'));
const host = arg('host', '127.0.0.1');
const cert = arg('cert', '');
const key = arg('key', '');
if ((cert && !key) || (key && !cert)) {
  console.error('--cert and --key go together.');
  process.exit(2);
}
const local = host === '127.0.0.1' || host === 'localhost' || host === '::1';
if (!local && !cert) {
  console.error(
    `Serving on ${host} over plain http would switch WebGPU off for every other machine (it needs https or localhost).\n` +
      'Give --cert and --key (see README.md), or let each attendee run this on their own laptop.',
  );
  process.exit(2);
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
};

function fileFor(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null; // a malformed %-escape names no file
  }
  let file = normalize(join(root, decoded));
  if (file !== root && !file.startsWith(root + sep)) return null;
  try {
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

function handle(req, res) {
  const { pathname } = new URL(req.url ?? '/', 'http://kit');
  const file = req.method === 'GET' || req.method === 'HEAD' ? fileFor(pathname) : null;
  // The app's Content-Security-Policy as a header: it is what binds the workers to this origin.
  const headers = { 'content-security-policy': kit.csp, 'x-content-type-options': 'nosniff' };
  if (!file) {
    res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
    return;
  }
  res.writeHead(200, {
    ...headers,
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': String(statSync(file).size),
    // The service worker keeps the app; models are kept by their engines. Revalidate the rest.
    'cache-control': 'no-cache',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}

const server = cert ? createHttps({ cert: readFileSync(cert), key: readFileSync(key) }, handle) : createHttp(handle);
server.listen(port, host, () => {
  const { port: actual } = server.address();
  const shown = host === '::1' ? '[::1]' : host;
  console.log(`ragscope kit: ${cert ? 'https' : 'http'}://${shown}:${actual}/`);
});
