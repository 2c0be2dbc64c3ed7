/**
 * The eval command end to end on a tiny BEIR folder written here: bm25 on queries whose answers are
 * unambiguous scores 1.0, dense runs the generated tiny-bert through the real transformers.js
 * runtime, and bad arguments exit with 2 and the usage line.
 */

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModels } from '../fixtures/models';

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const cli = path.resolve(__dirname, '../../src/cli/eval.ts');

let root = '';
let dataset = '';
let model = '';

const DOCS = [
  { _id: 'd1', title: 'Axolotl regeneration', text: 'Axolotls regrow whole limbs after amputation.' },
  { _id: 'd2', title: 'Tea', text: 'Green tea contains catechins and caffeine.' },
  { _id: 'd3', title: 'Volcanoes', text: 'Basaltic lava flows from shield volcanoes in Hawaii.' },
  { _id: 'd4', title: '', text: 'Sourdough bread rises thanks to wild yeast and lactobacilli.' },
  { _id: 'd5', title: 'Comets', text: 'A comet tail always points away from the sun.' },
  { _id: 'd6', title: 'Bees', text: 'Honey bees communicate by a waggle dance.' },
];
const QUERIES = [
  { _id: 'q1', text: 'Do axolotls regrow limbs?' },
  { _id: 'q2', text: 'Why does sourdough rise? wild yeast' },
  { _id: 'q3', text: 'a query nobody judged' },
];

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ragscope-eval-'));
  dataset = path.join(root, 'toyset');
  mkdirSync(path.join(dataset, 'qrels'), { recursive: true });
  writeFileSync(path.join(dataset, 'corpus.jsonl'), DOCS.map((d) => JSON.stringify(d)).join('\n') + '\n');
  writeFileSync(path.join(dataset, 'queries.jsonl'), QUERIES.map((q) => JSON.stringify(q)).join('\n') + '\n');
  writeFileSync(path.join(dataset, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td4\t2\n');
  model = `${fixtureModels()}tiny-bert`;
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const lastJson = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

describe('npm run eval', () => {
  it('bm25: prints the metrics and ends with the JSON line', async () => {
    const { stdout } = await run(process.execPath, [tsxCli, cli, '--dataset', dataset, '--json'], { timeout: 60_000 });
    const out = lastJson(stdout);
    expect(Object.keys(out).slice(0, 6)).toEqual(['dataset', 'mode', 'ndcg@10', 'recall@100', 'mrr@10', 'qps']);
    expect(out).toMatchObject({ dataset: 'toyset', mode: 'bm25', 'ndcg@10': 1, 'recall@100': 1, 'mrr@10': 1, queries: 2, docs: 6 });
    expect(out.qps).toBeGreaterThan(0);
    expect(stdout).toMatch(/^nDCG@10\s+1\.0000$/m);
    expect(stdout).toMatch(/^index build \d+ ms/m);
  }, 60_000);

  it('dense: embeds with a local model folder and scores every query', async () => {
    const { stdout } = await run(process.execPath, [tsxCli, cli, '--dataset', dataset, '--mode', 'dense', '--model', model, '--json'], {
      timeout: 120_000,
    });
    const out = lastJson(stdout);
    expect(out).toMatchObject({ dataset: 'toyset', mode: 'dense', model: 'tiny-bert', queries: 2, docs: 6 });
    expect(out.fallback).toBeUndefined();
    // Six documents, 100 retrieved: every relevant one is found whatever the (random) model ranks.
    expect(out['recall@100']).toBe(1);
    for (const key of ['ndcg@10', 'mrr@10']) {
      expect(out[key]).toBeGreaterThan(0);
      expect(out[key]).toBeLessThanOrEqual(1);
    }
    expect(stdout).toMatch(/query embedding included/);
  }, 120_000);

  it.each([
    [['--json'], /missing --dataset/],
    [['--dataset', '/nonexistent/folder'], /is not a folder/],
    [['--dataset', '.', '--mode', 'dense'], /needs --model/],
    [['--dataset', '.', '--mode', 'fuzzy'], /--mode must be/],
    [['--dataset', '.', '--frobnicate'], /unknown argument/],
  ])(
    'exits with 2 and the usage line for %j',
    async (args, message) => {
      const err = (await run(process.execPath, [tsxCli, cli, ...args]).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(err.code).toBe(2);
      expect(err.stderr).toMatch(message);
      expect(err.stderr).toContain('usage: npm run --silent eval -- --dataset <BEIR folder>');
    },
    30_000,
  );
});
