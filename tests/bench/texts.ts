/**
 * Chunk-like texts for the browser benchmarks (embedding throughput, IndexedDB): SciFact abstracts
 * cut into pieces of 100–250 words, the size the app's chunker produces, or generated sentences of
 * the same lengths when the dataset is missing. Node only (reads the dataset folder).
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCorpus } from '../../src/eval/beir';
import { mulberry32 } from '../../src/core/random';

/** Piece length in words, drawn uniformly per piece: about 130–330 tokens, the chunker's range. */
const MIN_WORDS = 100;
const MAX_WORDS = 250;
/** A document's tail shorter than this joins the previous piece instead of standing alone. */
const MIN_TAIL_WORDS = 40;

export interface TextSource {
  texts: string[];
  /** Where they came from, for the report. */
  source: 'scifact' | 'generated';
}

/** `count` texts: SciFact pieces when `scifactDir` holds corpus.jsonl, generated ones otherwise. */
export function chunkTexts(count: number, scifactDir: string | null, seed = 7): TextSource {
  const corpus = scifactDir ? path.join(scifactDir, 'corpus.jsonl') : '';
  if (corpus && existsSync(corpus)) {
    const docs = parseCorpus(readFileSync(corpus, 'utf8')).map((d) => d.text);
    return { texts: cutIntoPieces(docs, count, seed), source: 'scifact' };
  }
  return { texts: generatedTexts(count, seed), source: 'generated' };
}

/** Cuts documents into 100–250-word pieces, in corpus order, cycling through it when it runs out. */
export function cutIntoPieces(docs: readonly string[], count: number, seed: number): string[] {
  const next = mulberry32(seed);
  const out: string[] = [];
  for (let pass = 0; out.length < count && docs.length > 0; pass++) {
    for (const doc of docs) {
      const words = doc.split(/\s+/).filter(Boolean);
      const pieces: string[][] = [];
      for (let at = 0; at < words.length;) {
        const len = MIN_WORDS + Math.floor(next() * (MAX_WORDS - MIN_WORDS + 1));
        pieces.push(words.slice(at, at + len));
        at += len;
      }
      const tail = pieces.at(-1);
      if (pieces.length > 1 && tail && tail.length < MIN_TAIL_WORDS) pieces[pieces.length - 2]!.push(...pieces.pop()!);
      for (const p of pieces) {
        if (out.length >= count) break;
        // Later passes over the corpus would repeat texts exactly; a marker keeps them distinct.
        out.push(pass === 0 ? p.join(' ') : `(${pass}) ${p.join(' ')}`);
      }
      if (out.length >= count) break;
    }
  }
  return out;
}

const WORDS = (
  'the a of and in to with for on by cell cells protein gene genes expression patients study results ' +
  'increased decreased risk treatment disease cancer tumor mice model response levels analysis clinical ' +
  'trial associated significant effect effects role human activity pathway signaling receptor immune ' +
  'infection blood brain tissue growth factor binding function mutation dna rna sequence data observed ' +
  'compared control group groups dose therapy outcome mortality cohort years age women men children'
).split(' ');

/** Seeded pseudo-sentences with the same word-count distribution, when SciFact is not there. */
export function generatedTexts(count: number, seed: number): string[] {
  const next = mulberry32(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = MIN_WORDS + Math.floor(next() * (MAX_WORDS - MIN_WORDS + 1));
    const words: string[] = [];
    for (let w = 0; w < len; w++) {
      let word = WORDS[Math.floor(next() * WORDS.length)]!;
      if (w === 0 || words[w - 1]!.endsWith('.')) word = word[0]!.toUpperCase() + word.slice(1);
      // A sentence ends every ~15 words, so tokenisers see punctuation as in real text.
      words.push(next() < 1 / 15 || w === len - 1 ? `${word}.` : word);
    }
    out.push(words.join(' '));
  }
  return out;
}
