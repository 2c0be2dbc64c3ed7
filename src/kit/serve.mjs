#!/usr/bin/env node
// Serves a ragscope workshop kit: the app and its models, from this folder, with no internet and
// no dependencies (Node 18.3+, for util.parseArgs). Copied into every kit by `npm run kit`; see the
// kit's README.md.
//
//   node serve.mjs [--port 8080] [--host 127.0.0.1] [--cert cert.pem --key key.pem]
//
// WebGPU (and so the fast engines) needs a secure context: http://localhost on the same machine,
// or https elsewhere. The default therefore listens on 127.0.0.1 only; --host 0.0.0.0 needs
// --cert/--key, or attendees on other machines would get an app without WebGPU.
//
// The browser tests and the bench serve their builds with this file's handler too
// (tests/browser/static-server.ts; types in serve.d.mts), so the tests exercise the server a room
// runs. It stays one plain JavaScript file because the kit copies it alone.
import { createReadStream, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

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

// The file a URL path names under the first mount whose prefix it starts with (longest first), and
// its size; null when there is none. Never a file outside the mount's folder.
function fileFor(mounts, pathname) {
  const mount = mounts.find((m) => pathname.startsWith(m.prefix));
  if (!mount) return null;
  let rel;
  try {
    rel = decodeURIComponent(pathname.slice(mount.prefix.length));
  } catch {
    return null; // a malformed %-escape names no file
  }
  const root = resolve(mount.dir);
  let file = join(root, rel);
  if (file !== root && !file.startsWith(root + sep)) return null;
  try {
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    const stat = statSync(file);
    return stat.isFile() ? { file, size: stat.size } : null;
  } catch {
    return null;
  }
}

/**
 * A request handler that serves the files under `mounts` ({ prefix: '/models/', dir }; prefixes
 * start and end with '/'), GET and HEAD only: a real 404 for anything else, so a missing model file
 * is reported as missing. `headers` go with every response, 404s included.
 */
export function staticHandler({ mounts, headers = {} }) {
  const sorted = [...mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  return (req, res) => {
    let found = null;
    if (req.method === 'GET' || req.method === 'HEAD') {
      try {
        found = fileFor(sorted, new URL(req.url ?? '/', 'http://kit').pathname);
      } catch {
        // a request target that is no URL names no file
      }
    }
    if (!found) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[extname(found.file)] ?? 'application/octet-stream',
      'content-length': String(found.size),
      // The service worker keeps the app; models are kept by their engines. Revalidate the rest.
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    // A file replaced while it is read (a redeploy) ends the response rather than the server.
    else
      createReadStream(found.file)
        .on('error', () => res.destroy())
        .pipe(res);
  };
}

const USAGE = 'usage: node serve.mjs [--port 8080] [--host 127.0.0.1] [--cert cert.pem --key key.pem]';
const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function fail(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function main() {
  const argv = process.argv.slice(2);
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true }));
  } catch (e) {
    // -h/--help wins over a mistake elsewhere on the line, as in the project's other commands.
    if (!parseArgs({ args: argv, options: OPTIONS, strict: false }).values.help) fail(e.message);
    values = { help: true };
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? '8080');
  const host = values.host ?? '127.0.0.1';
  const { cert, key } = values;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port needs a whole number from 0 to 65535');
  if ((cert && !key) || (key && !cert)) fail('--cert and --key go together.');
  const local = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  if (!local && !cert) {
    fail(
      `Serving on ${host} over plain http would switch WebGPU off for every other machine (it needs https or localhost).\n` +
        'Give --cert and --key (see README.md), or let each attendee run this on their own laptop.',
    );
  }

  const root = resolve(fileURLToPath(new URL('.', import.meta.url)));
  const kit = JSON.parse(readFileSync(join(root, 'kit.json'), 'utf8'));
  // The app's Content-Security-Policy as a header: it is what binds the workers to this origin.
  const handle = staticHandler({
    mounts: [{ prefix: '/', dir: root }],
    headers: { 'content-security-policy': kit.csp, 'x-content-type-options': 'nosniff' },
  });
  const server = cert ? createHttps({ cert: readFileSync(cert), key: readFileSync(key) }, handle) : createHttp(handle);
  server.listen(port, host, () => {
    const { port: actual } = server.address();
    const shown = host === '::1' ? '[::1]' : host;
    console.log(`ragscope kit: ${cert ? 'https' : 'http'}://${shown}:${actual}/`);
  });
}

// Run as a program (`node serve.mjs`), not when imported for its handler. Node runs a linked
// file from its real path, so argv[1] is compared both as given and resolved.
function invokedDirectly() {
  const self = fileURLToPath(import.meta.url);
  const invoked = process.argv[1];
  if (!invoked) return false;
  try {
    return invoked === self || realpathSync(invoked) === self;
  } catch {
    return false;
  }
}

if (invokedDirectly()) main();
