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
import { paragraphPng, scannedPdf } from '../fixtures/docs/scanned';

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const cli = path.resolve(__dirname, '../../src/cli/corpus.ts');

let dir = '';

let scans = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ragscope-corpus-'));
  // Read by OCR (on by default, as in the app): a two-page scan and a photographed paragraph,
  // apart from the folder whose slow file is abandoned after 2 s (OCR takes longer than that).
  scans = mkdtempSync(path.join(tmpdir(), 'ragscope-corpus-scans-'));
  writeFileSync(path.join(scans, 'scan.pdf'), await scannedPdf());
  writeFileSync(path.join(scans, 'note.png'), paragraphPng());
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
  if (scans) rmSync(scans, { recursive: true, force: true });
});

describe('npm run corpus', () => {
  it('reports every file, abandons the one that overruns the limit, and ends with the JSON summary', async () => {
    const { stdout } = await run(process.execPath, [tsxCli, cli, dir, '--json', '--timeout-ms', '2000'], { timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    const summary = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({
      files: 7,
      parsed: 4,
      // f.json, and e.png: an image cut off after its signature (images are read by OCR, on by default).
      errors: { CorruptFile: 2 },
      crashes: 0,
      timeouts: 1,
      pages: 3,
    });
    expect(typeof summary.seconds).toBe('number');
    expect(stdout).toMatch(/^pdf\s+2\s+1\s/m); // table row: 2 PDFs, 1 parsed (the other timed out)
    expect(stdout).toContain('slow.pdf: timeout after');
  }, 90_000);

  it('reads scans by OCR and reports its pages, pages per second and confidence; --no-ocr refuses them as before', async () => {
    const { stdout } = await run(process.execPath, [tsxCli, cli, scans, '--json'], { timeout: 60_000 });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ files: 2, parsed: 2, errors: {}, pages: 3, ocr: { files: 2, pages: 3, leftOut: 0 } });
    expect((summary.ocr as { confidence: number }).confidence).toBeGreaterThan(0.8);
    expect(stdout).toMatch(
      /^OCR: 3 pages or images in 2 files read in [\d.]+ s \([\d.]+ pages\/s in one thread\), mean confidence \d+%, 0 left out as too unsure$/m,
    );

    const off = await run(process.execPath, [tsxCli, cli, scans, '--json', '--no-ocr'], { timeout: 60_000 });
    const before = JSON.parse(off.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(before).toMatchObject({ parsed: 0, errors: { NoTextLayer: 1, UnsupportedFile: 1 } });
    expect(before.ocr).toBeUndefined();
    expect(off.stdout).toContain('OCR: off (--no-ocr)');
  }, 90_000);

  it('exits with 2 and the usage line for bad arguments', async () => {
    const err = (await run(process.execPath, [tsxCli, cli, '--json']).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('usage: npm run --silent corpus');
  });
});
