/**
 * The bench command's contract, on a quick run of its Node sections: tables on stdout, one JSON
 * object as the last line, exact search agreeing with the brute-force truth, and bad arguments
 * refused with exit code 2. (Its numbers are reported, never asserted: speed lives in the bench.)
 */

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const cli = path.resolve(__dirname, '../bench/cli.ts');

interface Contender {
  recall: number;
  queryMs: number;
}

describe('bench command', () => {
  it('runs the dense and BM25 sections and ends with one JSON line', async () => {
    const { stdout } = await run(process.execPath, [tsxCli, cli, '--quick', '--only', 'dense,bm25', '--json'], { timeout: 120_000 });
    const lines = stdout.trim().split('\n');
    const report = JSON.parse(lines.at(-1)!) as {
      quick: boolean;
      dense: Array<{
        n: number;
        app: Contender & { backend: string };
        usearchExact: Contender;
        usearchHnsw: Array<Contender & { tuned: boolean }>;
      }>;
      bm25: { docs: number; queries: number } | { skipped: string };
    };
    expect(report.quick).toBe(true);
    expect(report.dense.map((r) => r.n)).toEqual([1000, 5000]);
    for (const r of report.dense) {
      // Exact search is exact: the app's scan and USearch's agree with brute force.
      expect(r.app.recall).toBe(1);
      expect(r.usearchExact.recall).toBe(1);
      expect(r.app.backend).toBe('wasm-simd');
      expect(r.usearchHnsw.map((h) => h.tuned)).toEqual([false, true]);
    }
    expect(stdout).toContain('Dense search: top-10');
    if ('docs' in report.bm25) {
      expect(report.bm25.docs).toBe(1000);
      expect(stdout).toContain('BM25 (app keyword index) on SciFact');
    } else {
      expect(stdout).toContain('BM25: skipped');
    }
  });

  it('refuses unknown sections with exit code 2 and the usage line', async () => {
    const err = (await run(process.execPath, [tsxCli, cli, '--only', 'gpu']).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('usage: npm run --silent bench');
  });
});
