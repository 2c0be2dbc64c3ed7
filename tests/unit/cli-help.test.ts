/**
 * Every command answers -h/--help and a bad option the same way (src/cli/args.ts): the usage on
 * stdout with exit code 0, or what is wrong plus the usage on stderr with exit code 2. Run as npm
 * runs them, through tsx; the kit's serve.mjs as a room runs it, with plain node.
 */

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const root = path.resolve(__dirname, '../..');

/** Each command: how it is started, the start of its usage, and how it names an unknown option. */
const COMMANDS: Array<[name: string, argv: string[], usage: string, unknown: RegExp]> = [
  ['corpus', [tsxCli, 'src/cli/corpus.ts'], 'usage: npm run --silent corpus -- <folder>', /^unknown argument --frobnicate\n/],
  ['eval', [tsxCli, 'src/cli/eval.ts'], 'usage: npm run --silent eval -- --dataset', /^unknown argument --frobnicate\n/],
  ['rag-eval', [tsxCli, 'src/cli/rag-eval.ts'], 'usage: npm run --silent rag-eval -- --docs', /^unknown argument --frobnicate\n/],
  ['kit', [tsxCli, 'src/cli/kit.ts'], 'usage: npm run --silent kit -- --out', /^unknown argument --frobnicate\n/],
  ['bench', [tsxCli, 'tests/bench/cli.ts'], 'usage: npm run --silent bench --', /^unknown argument --frobnicate\n/],
  ['fixtures', [tsxCli, 'tests/fixtures/gen/cli.ts'], 'Usage: npx tsx tests/fixtures/gen/cli.ts', /^unknown argument --frobnicate\n/],
  // Dependency-free, so parseArgs's own wording.
  ['serve.mjs', ['src/kit/serve.mjs'], 'usage: node serve.mjs', /^Unknown option '--frobnicate'/],
];

describe.each(COMMANDS)('%s', (_name, argv, usage, unknown) => {
  const start = (...args: string[]) => run(process.execPath, [...argv, ...args], { cwd: root, timeout: 30_000 });

  it('prints the usage to stdout and exits 0 for --help and -h, and refuses an unknown option with 2', async () => {
    const [help, short, bad] = await Promise.all([
      start('--help'),
      // Help wins over anything else on the line, even an argument that is wrong.
      start('--frobnicate', '-h'),
      start('--frobnicate').catch((e: unknown) => e as { code: number; stdout: string; stderr: string }),
    ]);
    for (const r of [help, short]) {
      expect(r.stdout.startsWith(usage)).toBe(true);
      expect(r.stderr).toBe('');
    }
    expect('code' in bad ? bad.code : 0).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(unknown);
    expect(bad.stderr).toContain(usage);
  }, 60_000);
});
