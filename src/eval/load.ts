/**
 * Reads a BEIR folder from disk (Node only: the eval CLI and tests). Parsing lives in `beir.ts`.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors';
import { beirDataset, parseCorpus, parseQrels, parseQueries, type BeirDataset } from './beir';

/** Loads `<folder>/corpus.jsonl`, `<folder>/queries.jsonl` and `<folder>/qrels/<split>.tsv`. */
export function loadBeirFolder(folder: string, split = 'test'): BeirDataset {
  const file = (...parts: string[]): string => {
    const p = path.join(folder, ...parts);
    if (!existsSync(p))
      throw new AppError('InvalidRequest', `${p} is missing: a BEIR folder has corpus.jsonl, queries.jsonl and qrels/${split}.tsv.`);
    return readFileSync(p, 'utf8');
  };
  const corpus = parseCorpus(file('corpus.jsonl'));
  const queries = parseQueries(file('queries.jsonl'));
  const qrels = parseQrels(file('qrels', `${split}.tsv`));
  // A dataset folder is often named <name>/beir or <name>; report the meaningful part.
  const base = path.basename(path.resolve(folder));
  const name = base === 'beir' ? path.basename(path.dirname(path.resolve(folder))) : base;
  return beirDataset(name, corpus, queries, qrels);
}
