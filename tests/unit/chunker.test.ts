import { describe, expect, it } from 'vitest';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS } from '../../src/ingest/chunker';
import { estimateTokens } from '../../src/ingest/tokens';
import type { Chunk, HeadingMark, PageSpan, ParsedDocument } from '../../src/ingest/types';
import { chunkId } from '../../src/core/ids';

/** Builds a document from blocks, recording heading offsets and page spans like a parser does. */
function doc(blocks: Array<string | { h: number; text: string } | { page: number }>): ParsedDocument {
  let text = '';
  const headings: HeadingMark[] = [];
  const pages: PageSpan[] = [];
  for (const b of blocks) {
    if (typeof b === 'object' && 'page' in b) {
      if (pages.length > 0) pages[pages.length - 1]!.end = text.length;
      pages.push({ number: b.page, start: text.length, end: text.length });
      continue;
    }
    if (text.length > 0) text += '\n\n';
    if (typeof b === 'string') text += b;
    else {
      headings.push({ level: b.h, text: b.text, start: text.length });
      text += b.text;
    }
  }
  if (pages.length > 0) pages[pages.length - 1]!.end = text.length;
  return { format: 'text', text, headings, warnings: [], ...(pages.length ? { pages } : {}) };
}

const WORDS = 'the quick brown fox jumps over lazy dogs while seven wizards quietly judge boxing matches near old rivers'.split(' ');
/** A deterministic paragraph of `n` sentences of 8–14 words. */
function para(n: number, seed: number): string {
  const out: string[] = [];
  let x = seed;
  for (let s = 0; s < n; s++) {
    const len = 8 + (s % 7);
    const words: string[] = [];
    for (let w = 0; w < len; w++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      words.push(WORDS[x % WORDS.length]!);
    }
    const sentence = words.join(' ');
    out.push(sentence[0]!.toUpperCase() + sentence.slice(1) + '.');
  }
  return out.join(' ');
}

function assertWellFormed(d: ParsedDocument, chunks: Chunk[], limit = DEFAULT_CHUNK_OPTIONS.chunkTokens): void {
  chunks.forEach((c, i) => {
    expect(c.ordinal).toBe(i);
    expect(c.text).toBe(d.text.slice(c.start, c.end));
    expect(c.tokens).toBeLessThanOrEqual(limit);
    // Never mid-word: the characters just outside the chunk are not letters joined to its edges.
    const before = d.text[c.start - 1];
    const after = d.text[c.end];
    if (before !== undefined) expect(/\w/.test(before) && /\w/.test(d.text[c.start]!)).toBe(false);
    if (after !== undefined) expect(/\w/.test(after) && /\w/.test(d.text[c.end - 1]!)).toBe(false);
  });
  // Everything non-blank is covered by some chunk.
  const covered = new Uint8Array(d.text.length);
  for (const c of chunks) covered.fill(1, c.start, c.end);
  for (let i = 0; i < d.text.length; i++) if (!covered[i]) expect(/\s/.test(d.text[i]!)).toBe(true);
}

describe('chunker', () => {
  it('packs whole paragraphs and ends chunks at paragraph breaks when it can', () => {
    const d = doc([para(5, 1), para(5, 2), para(5, 3), para(5, 4), para(5, 5), para(5, 6)]);
    const chunks = chunkDocument(d, 'doc', { chunkTokens: 256, overlapTokens: 0 });
    assertWellFormed(d, chunks);
    expect(chunks.length).toBeGreaterThan(1);
    const paragraphEnds = new Set([...d.text.matchAll(/\n\n/g)].map((m) => m.index).concat(d.text.length));
    for (const c of chunks) expect(paragraphEnds.has(c.end)).toBe(true);
  });

  it('does not start a long paragraph in a chunk that is already half full', () => {
    const mid = para(12, 1);
    const long = para(40, 2);
    const d = doc([mid, long]);
    expect(estimateTokens(mid)).toBeGreaterThan(128);
    const chunks = chunkDocument(d, 'doc', { chunkTokens: 256, overlapTokens: 0 });
    assertWellFormed(d, chunks);
    expect(chunks[0]!.text).toBe(mid);
    expect(chunks[1]!.start).toBe(mid.length + 2);
  });

  it('splits a long paragraph at sentence ends, and a huge sentence at spaces', () => {
    const long = para(60, 9);
    const runOn = Array.from({ length: 600 }, (_, i) => WORDS[i % WORDS.length]).join(' ');
    const d = doc([long, runOn]);
    const chunks = chunkDocument(d, 'doc', { chunkTokens: 128, overlapTokens: 0 });
    assertWellFormed(d, chunks, 128);
    const inLong = chunks.filter((c) => c.end <= long.length);
    for (const c of inLong) expect(c.text.endsWith('.')).toBe(true);
    expect(chunks.filter((c) => c.start >= long.length).length).toBeGreaterThan(3);
  });

  it('cuts a single giant token (e.g. base64) only because nothing else can fit', () => {
    const blob = 'QUJD'.repeat(3000);
    const d = doc(['Intro sentence here.', blob]);
    const chunks = chunkDocument(d, 'doc', { chunkTokens: 64, overlapTokens: 0 });
    expect(
      chunks
        .map((c) => c.text)
        .join('')
        .replace('Intro sentence here.', ''),
    ).toBe(blob);
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(64);
  });

  it('never spans two sections, and knows each chunk’s heading path', () => {
    const d = doc([
      { h: 1, text: 'Methods' },
      para(3, 1),
      { h: 2, text: 'Sampling' },
      para(30, 2),
      { h: 2, text: 'Analysis' },
      para(2, 3),
      { h: 1, text: 'Results' },
      para(2, 4),
    ]);
    const chunks = chunkDocument(d, 'doc');
    assertWellFormed(d, chunks);
    const starts = d.headings.map((h) => h.start);
    for (const c of chunks) expect(starts.filter((s) => s > c.start && s < c.end)).toEqual([]);
    expect(chunks[0]!.text.startsWith('Methods')).toBe(true);
    expect(chunks[0]!.headingPath).toEqual(['Methods']);
    const sampling = chunks.filter((c) => c.headingPath.join('/') === 'Methods/Sampling');
    expect(sampling.length).toBeGreaterThan(1);
    expect(sampling[0]!.text.startsWith('Sampling')).toBe(true);
    expect(chunks.find((c) => c.text.startsWith('Analysis'))!.headingPath).toEqual(['Methods', 'Analysis']);
    expect(chunks.at(-1)!.headingPath).toEqual(['Results']);
  });

  it('a heading with no text of its own opens the next section’s chunk, whose path is where its text starts', () => {
    const d = doc([
      { h: 1, text: 'Note 5 – Income Taxes' },
      { h: 1, text: 'State Aid Decision' },
      para(3, 1),
      { h: 1, text: 'Note 6 – Debt' },
      para(2, 2),
    ]);
    const chunks = chunkDocument(d, 'doc');
    assertWellFormed(d, chunks);
    expect(chunks.map((c) => c.text.split('\n\n')[0])).toEqual(['Note 5 – Income Taxes', 'Note 6 – Debt']);
    expect(chunks[0]!.text).toContain('State Aid Decision');
    expect(chunks[0]!.headingPath).toEqual(['State Aid Decision']);
    expect(chunks[1]!.headingPath).toEqual(['Note 6 – Debt']);
  });

  it('a block too large to follow the overlap starts a chunk of its own instead of a run of repeated scraps', () => {
    // Short lines (a table's column headers), then one block that nearly fills a chunk by itself.
    const headers = ['Three Months Ended', 'September 30,', 'Nine Months Ended', 'September 30,', '2022 2023 2022 2023'];
    const big = Array.from({ length: 24 }, (_, i) => `Line item ${i} cost ${1000 + i} ${2000 + i} ${3000 + i} ${4000 + i}`).join('\n');
    const d = doc([...headers, big, para(2, 3)]);
    const limit = estimateTokens(big) + 8;
    const chunks = chunkDocument(d, 'doc', { chunkTokens: limit, overlapTokens: 32 });
    assertWellFormed(d, chunks, limit);
    expect(chunks.length).toBeLessThanOrEqual(3);
    // Every chunk adds text no earlier chunk had.
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.end).toBeGreaterThan(chunks[i - 1]!.end);
    expect(chunks.filter((c) => c.text.includes('Line item 0')).length).toBe(1);
  });

  it('records the pages a chunk touches, both when it crosses a page break', () => {
    const d = doc([{ page: 1 }, para(3, 1), { page: 2 }, para(3, 2), { page: 3 }, para(40, 3)]);
    const chunks = chunkDocument(d, 'doc', { chunkTokens: 512, overlapTokens: 0 });
    assertWellFormed(d, chunks, 512);
    expect(chunks[0]!.pages).toEqual([1, 2, 3]);
    for (const c of chunks.slice(1)) expect(c.pages).toEqual([3]);
    const noPages = chunkDocument(doc([para(2, 1)]), 'x');
    expect(noPages[0]!.pages).toBeUndefined();
  });

  it('overlaps consecutive chunks by whole sentences up to the overlap budget', () => {
    const d = doc([para(80, 5)]);
    const chunks = chunkDocument(d, 'doc', { chunkTokens: 128, overlapTokens: 32 });
    assertWellFormed(d, chunks, 128);
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]!;
      const cur = chunks[i]!;
      expect(cur.start).toBeLessThan(prev.end);
      expect(cur.start).toBeGreaterThan(prev.start);
      expect(estimateTokens(d.text.slice(cur.start, prev.end))).toBeLessThanOrEqual(32);
      expect(/[.!?]\s$/.test(d.text.slice(cur.start - 2, cur.start))).toBe(true);
    }
    const none = chunkDocument(d, 'doc', { chunkTokens: 128, overlapTokens: 0 });
    for (let i = 1; i < none.length; i++) expect(none[i]!.start).toBeGreaterThanOrEqual(none[i - 1]!.end);
  });

  it('is deterministic and ids are docId:ordinal', () => {
    const d = doc([{ h: 1, text: 'A' }, para(20, 1), para(20, 2)]);
    const a = chunkDocument(d, 'abc123');
    const b = chunkDocument(d, 'abc123');
    expect(b).toEqual(a);
    expect(a.map((c) => c.id)).toEqual(a.map((_, i) => chunkId('abc123', i)));
  });

  it('chunks CJK text without spaces at sentence ends', () => {
    const sentence = '東京は日本の首都であり、多くの人が住んでいます。';
    const d = doc([sentence.repeat(40)]);
    const chunks = chunkDocument(d, 'jp', { chunkTokens: 64, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(64);
      expect(c.text.endsWith('。')).toBe(true);
    }
  });

  it('estimates tokens like a WordPiece vocabulary would, roughly', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('The cat sat.')).toBe(4);
    expect(estimateTokens('internationalization')).toBe(4);
    expect(estimateTokens('東京')).toBe(2);
    const words = para(20, 3).split(/\s+/).length;
    const est = estimateTokens(para(20, 3));
    expect(est / words).toBeGreaterThan(1);
    expect(est / words).toBeLessThan(1.6);
  });
});
