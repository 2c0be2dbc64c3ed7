/**
 * The corpus report command end to end, on a folder of generated files: per-file outcomes are
 * counted by name, a file that overruns the time limit is abandoned (its worker thread replaced)
 * while the others go on, and with --json the last line is the summary object.
 */

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf, threePagePdf } from '../fixtures/docs/pdf-writer';

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const cli = path.resolve(__dirname, '../../src/cli/corpus.ts');

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ragscope-corpus-'));
  mkdirSync(path.join(dir, 'nested'));
  writeFileSync(path.join(dir, 'a.txt'), 'Plain notes.\n\nSecond paragraph.\n');
  writeFileSync(path.join(dir, 'b.md'), '# Title\n\nSome text.\n');
  writeFileSync(path.join(dir, 'c.pdf'), threePagePdf());
  writeFileSync(path.join(dir, 'nested', 'd.csv'), 'name,age\nAnn,30\n');
  writeFileSync(path.join(dir, 'e.png'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
  writeFileSync(path.join(dir, 'f.json'), '{"broken": ');
  // Thousands of pages: far longer than the 2 s limit below, so it is abandoned.
  const page = { paragraphs: Array.from({ length: 40 }, (_, i) => `Line ${i} of a very long report that takes a while to read.`) };
  writeFileSync(path.join(dir, 'slow.pdf'), makePdf({ pages: Array.from({ length: 6000 }, () => page) }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm run corpus', () => {
  it('reports every file, abandons the one that overruns the limit, and ends with the JSON summary', async () => {
    const { stdout } = await run(process.execPath, [tsxCli, cli, dir, '--json', '--timeout-ms', '2000'], { timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    const summary = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({
      files: 7,
      parsed: 4,
      errors: { CorruptFile: 1, UnsupportedFile: 1 },
      crashes: 0,
      timeouts: 1,
      pages: 3,
    });
    expect(typeof summary.seconds).toBe('number');
    expect(stdout).toMatch(/^pdf\s+2\s+1\s/m); // table row: 2 PDFs, 1 parsed (the other timed out)
    expect(stdout).toContain('slow.pdf: timeout after');
  }, 90_000);

  it('exits with 2 and the usage line for bad arguments', async () => {
    const err = (await run(process.execPath, [tsxCli, cli, '--json']).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('usage: npm run --silent corpus');
  });
});
