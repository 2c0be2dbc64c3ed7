/**
 * The static server the kit runs and the browser tests use (src/kit/serve.mjs's handler, through
 * tests/browser/static-server.ts): files under the longest matching prefix with their type and
 * size, the given headers on every answer, and a 404, never a crash or a file outside the folder,
 * for whatever address a client sends.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../browser/static-server';

let root = '';
let server: StaticServer;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'ragscope-static-'));
  mkdirSync(path.join(root, 'app/sub'), { recursive: true });
  mkdirSync(path.join(root, 'models/m'), { recursive: true });
  writeFileSync(path.join(root, 'app/index.html'), '<!doctype html>');
  writeFileSync(path.join(root, 'app/sub/index.html'), '<p>sub</p>');
  writeFileSync(path.join(root, 'app/ort.wasm'), new Uint8Array(10));
  writeFileSync(path.join(root, 'models/m/model.onnx'), new Uint8Array(7));
  writeFileSync(path.join(root, 'secret.txt'), 'outside every mount');
  server = await serveStatic(
    [
      { prefix: '/', dir: path.join(root, 'app') },
      { prefix: '/models/', dir: path.join(root, 'models') },
    ],
    { headers: { 'content-security-policy': "default-src 'self'" } },
  );
});

afterAll(async () => {
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Sends a request line as written (fetch would normalise it) and returns the status line. */
function rawStatus(target: string): Promise<string> {
  const { port, hostname } = new URL(server.url);
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(Number(port), hostname, () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    socket.on('data', (b) => (data += b.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(data.split('\r\n')[0]!));
  });
}

describe('static server', () => {
  it('serves files by the longest matching prefix, with type, size and the headers', async () => {
    const wasm = await fetch(`${server.url}/ort.wasm`);
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(wasm.headers.get('content-length')).toBe('10');
    expect(wasm.headers.get('content-security-policy')).toBe("default-src 'self'");
    const model = await fetch(`${server.url}/models/m/model.onnx`);
    expect(model.status).toBe(200);
    expect(model.headers.get('content-type')).toBe('application/octet-stream');
    expect((await model.arrayBuffer()).byteLength).toBe(7);
    expect(await (await fetch(`${server.url}/sub/`)).text()).toBe('<p>sub</p>');
    const head = await fetch(`${server.url}/`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, '15']);
    expect(server.requests).toContain('GET /models/m/model.onnx');
  });

  it('answers 404 with the headers for a missing file, another method, or an address outside the folder', async () => {
    const missing = await fetch(`${server.url}/models/m/missing.onnx`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect((await fetch(`${server.url}/ort.wasm`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${server.url}/..%2fsecret.txt`)).status).toBe(404);
    expect(await rawStatus('/../secret.txt')).toBe('HTTP/1.1 404 Not Found');
  });

  it('answers 404 to a malformed address and keeps serving', async () => {
    expect((await fetch(`${server.url}/%E0%A4%A`)).status).toBe(404);
    expect((await fetch(`${server.url}/%00`)).status).toBe(404);
    expect(await rawStatus('http://[')).toBe('HTTP/1.1 404 Not Found');
    expect((await fetch(`${server.url}/ort.wasm`)).status).toBe(200);
  });
});
