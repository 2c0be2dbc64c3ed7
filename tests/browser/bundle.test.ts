/**
 * What a page visit downloads: the main bundle (the entry chunk and everything it imports
 * statically) must not contain web-llm, transformers.js or ONNX Runtime; those belong to the
 * workers. Sizes are printed for the issue notes (targets live there, not in assertions).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { OUT_DIR } from './global-setup';

interface Chunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

const manifest = (): Record<string, Chunk> =>
  JSON.parse(readFileSync(join(OUT_DIR, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;

/** Markers that only each library's code contains (checked below to be present in the workers). */
const LIBRARIES = {
  'web-llm': /tvmjs|MLCEngine/,
  'transformers.js': /AutoModelForCausalLM|PreTrainedTokenizer/,
  'ONNX Runtime': /onnxruntime|InferenceSession/,
};

function staticClosure(m: Record<string, Chunk>, key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const i of m[key]?.imports ?? []) staticClosure(m, i, seen);
  return seen;
}

function read(file: string): string {
  return readFileSync(join(OUT_DIR, file), 'utf8');
}

function gzKB(files: string[]): number {
  return files.reduce((n, f) => n + gzipSync(readFileSync(join(OUT_DIR, f))).length, 0) / 1024;
}

describe('bundles', () => {
  it('keeps every model library out of the page and inside the workers', () => {
    const m = manifest();
    const entry = Object.entries(m).find(([k, c]) => c.isEntry && k.endsWith('index.html'));
    expect(entry, 'main entry in the manifest').toBeDefined();
    const mainFiles = [...staticClosure(m, entry![0])].map((k) => m[k]!.file).filter((f) => f.endsWith('.js'));
    const mainCode = mainFiles.map(read).join('\n');
    for (const [lib, marker] of Object.entries(LIBRARIES)) expect(marker.test(mainCode), `${lib} in the main bundle`).toBe(false);

    // The markers are real: the worker chunks do contain each library.
    // Worker bundles are built separately and are not in the manifest: read the assets folder.
    const all = readdirSync(join(OUT_DIR, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => `assets/${f}`);
    const workerCode = all
      .filter((f) => !mainFiles.includes(f))
      .map(read)
      .join('\n');
    for (const [lib, marker] of Object.entries(LIBRARIES)) expect(marker.test(workerCode), `${lib} in a worker chunk`).toBe(true);

    const sizes = [`main ${gzKB(mainFiles).toFixed(1)} kB gz`];
    for (const f of all.filter((x) => !mainFiles.includes(x))) sizes.push(`${f.replace(/^assets\//, '')} ${gzKB([f]).toFixed(1)} kB gz`);
    console.log(`bundle sizes: ${sizes.join(', ')}`);
  });
});
