/**
 * Every command answers -h/--help and a bad option the same way (src/cli/args.ts): the usage on
 * stdout with exit code 0, or what is wrong plus the usage on stderr with exit code 2. Run as npm
 * runs them, through tsx.
 */

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const root = path.resolve(__dirname, '../..');

/** Each command's entry point and the start of its usage. */
const COMMANDS: Array<[name: string, file: string, usage: string]> = [
  ['corpus', 'src/cli/corpus.ts', 'usage: npm run --silent corpus -- <folder>'],
  ['eval', 'src/cli/eval.ts', 'usage: npm run --silent eval -- --dataset'],
  ['rag-eval', 'src/cli/rag-eval.ts', 'usage: npm run --silent rag-eval -- --docs'],
  ['kit', 'src/cli/kit.ts', 'usage: npm run --silent kit -- --out'],
  ['bench', 'tests/bench/cli.ts', 'usage: npm run --silent bench --'],
  ['fixtures', 'tests/fixtures/gen/cli.ts', 'Usage: npx tsx tests/fixtures/gen/cli.ts'],
];

describe.each(COMMANDS)('npm run %s', (_name, file, usage) => {
  const cli = path.join(root, file);

  it('prints the usage to stdout and exits 0 for --help and -h, and refuses an unknown option with 2', async () => {
    const [help, short, bad] = await Promise.all([
      run(process.execPath, [tsxCli, cli, '--help'], { timeout: 30_000 }),
      // Help wins over anything else on the line, even an argument that is wrong.
      run(process.execPath, [tsxCli, cli, '--frobnicate', '-h'], { timeout: 30_000 }),
      run(process.execPath, [tsxCli, cli, '--frobnicate'], { timeout: 30_000 }).catch(
        (e: unknown) => e as { code: number; stdout: string; stderr: string },
      ),
    ]);
    for (const r of [help, short]) {
      expect(r.stdout.startsWith(usage)).toBe(true);
      expect(r.stderr).toBe('');
    }
    expect('code' in bad ? bad.code : 0).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^unknown argument --frobnicate\n/);
    expect(bad.stderr).toContain(usage);
  }, 60_000);
});
