/**
 * Keyword search as a user meets it: rare words decide the ranking, "running" finds "runs", "the"
 * finds nothing, deleted documents are gone, and the index rebuilt on page load from stored entries
 * answers exactly as the one that grew while documents were dropped in.
 */

import { describe, expect, it } from 'vitest';
import { analyze, keywordEntry } from '../../src/index/analyze';
import { KeywordIndex } from '../../src/index/keyword';
import type { KeywordEntry } from '../../src/index/types';

const DOCS: Record<string, string> = {
  a: 'The committee sat in the hall and the committee voted.',
  b: 'Members sat quietly while the chair read the minutes.',
  c: 'Everyone sat down; an axolotl was on the agenda.',
  d: 'The board sat for hours and sat again the next day.',
  e: 'She runs every morning before work.',
  f: 'Running shoes wear out after a few hundred miles.',
  g: 'Tea, coffee and biscuits were served in the hall.',
};

const entries = (docs: Record<string, string> = DOCS): KeywordEntry[] => Object.entries(docs).map(([id, text]) => keywordEntry(id, text));
const ids = (results: Array<{ chunkId: string }>): string[] => results.map((r) => r.chunkId);

describe('analyze / keywordEntry', () => {
  it('lowercases, drops stop words and stems, keeping Unicode letters and digits', () => {
    expect(analyze('The cats were RUNNING to the 3 studies!')).toEqual(['cat', 'were', 'run', '3', 'studi']);
    expect(analyze("Müller's café, naïve Ωmega")).toEqual(['müller', 'café', 'naïve', 'ωmega']);
    expect(analyze('the of and to a')).toEqual([]);
  });

  it('counts term frequencies and the analysed length', () => {
    const e = keywordEntry('x', 'Cells divide; the cell divides again. Cell!');
    expect(e.chunkId).toBe('x');
    expect(e.length).toBe(6); // cell divid cell divid again cell ("the" dropped)
    expect(Object.fromEntries(e.terms.map((t, i) => [t, e.tf[i]]))).toEqual({ cell: 3, divid: 2, again: 1 });
    expect(e.tf).toBeInstanceOf(Uint16Array);
  });
});

describe('KeywordIndex', () => {
  it('ranks the chunk with the rare query term first', () => {
    const index = KeywordIndex.fromEntries(entries());
    // "sat" is in four chunks, "axolotl" in one: the axolotl chunk wins even though the
    // board chunk says "sat" twice.
    const results = index.search('sat axolotl', 10);
    expect(results[0]!.chunkId).toBe('c');
    expect(new Set(ids(results))).toEqual(new Set(['a', 'b', 'c', 'd']));
    expect(results.every((r, i) => i === 0 || r.score <= results[i - 1]!.score)).toBe(true);
  });

  it('matches word forms through stemming: "running" finds "runs" and "Running"', () => {
    const index = KeywordIndex.fromEntries(entries());
    expect(new Set(ids(index.search('running', 10)))).toEqual(new Set(['e', 'f']));
    expect(new Set(ids(index.search('runs', 10)))).toEqual(new Set(['e', 'f']));
  });

  it('ignores stop words: they neither match nor change scores', () => {
    const index = KeywordIndex.fromEntries(entries());
    expect(index.search('the and of in', 10)).toEqual([]);
    expect(index.search('the hall of the committee', 10)).toEqual(index.search('hall committee', 10));
  });

  it('returns at most k results', () => {
    const index = KeywordIndex.fromEntries(entries());
    expect(index.search('sat', 2)).toHaveLength(2);
    expect(index.search('sat', 0)).toEqual([]);
  });

  it('remove() really removes: the chunk is never returned and scores match an index that never had it', () => {
    const index = KeywordIndex.fromEntries(entries());
    expect(index.remove(['c', 'nope'])).toBe(1);
    expect(index.size).toBe(6);
    expect(index.has('c')).toBe(false);
    expect(index.search('axolotl', 10)).toEqual([]);
    const rest = Object.fromEntries(Object.entries(DOCS).filter(([id]) => id !== 'c'));
    const fresh = KeywordIndex.fromEntries(entries(rest));
    for (const q of ['sat', 'hall committee', 'running shoes']) expect(index.search(q, 10)).toEqual(fresh.search(q, 10));
  });

  it('keeps working across compaction after many removals', () => {
    const many = Array.from({ length: 200 }, (_, i) => keywordEntry(`n${i}`, `note ${i} about ${i % 2 ? 'apples' : 'pears'}`));
    const index = KeywordIndex.fromEntries(many);
    index.remove(many.slice(0, 150).map((e) => e.chunkId)); // crosses the compaction threshold
    expect(index.size).toBe(50);
    const hits = index.search('pears', 100);
    expect(hits).toHaveLength(25);
    expect(hits.every((h) => Number(h.chunkId.slice(1)) >= 150)).toBe(true);
    expect(hits).toEqual(KeywordIndex.fromEntries(many.slice(150)).search('pears', 100));
  });

  it('adding a chunk id again replaces its old entry', () => {
    const index = KeywordIndex.fromEntries(entries());
    index.add([keywordEntry('g', 'Now this chunk is about an axolotl instead.')]);
    expect(index.size).toBe(7);
    expect(ids(index.search('biscuits', 10))).toEqual([]);
    expect(new Set(ids(index.search('axolotl', 10)))).toEqual(new Set(['c', 'g']));
  });

  it('an index built from stored entries answers exactly like one built incrementally', () => {
    const words = ['cell', 'gene', 'protein', 'tumour', 'mouse', 'signal', 'pathway', 'immune', 'virus', 'dose', 'trial', 'risk'];
    let seed = 3;
    const pick = (): string => words[(seed = (seed * 48271) % 2147483647) % words.length]!;
    const all = Array.from({ length: 300 }, (_, i) => keywordEntry(`d${i}`, Array.from({ length: 5 + (i % 40) }, pick).join(' ')));
    // Identical chunks score identically: their order must not depend on how the index was built.
    for (const id of ['t9', 't1', 't5']) all.push(keywordEntry(id, 'quokka gene dose'));

    // Incremental: documents arrive in uneven batches, two are deleted, one is re-ingested.
    const live = new KeywordIndex();
    for (let i = 0; i < all.length;) {
      const n = 1 + (i % 17);
      live.add(all.slice(i, i + n));
      i += n;
    }
    live.remove(['d7', 'd150']);
    live.remove(['d42']);
    live.add([all[42]!]);

    // Page load: the stored entries as IndexedDB returns them: structured clones, in key order.
    const stored = structuredClone(all.filter((e) => !['d7', 'd150'].includes(e.chunkId))).sort((a, b) => (a.chunkId < b.chunkId ? -1 : 1));
    const loaded = KeywordIndex.fromEntries(stored);

    expect(loaded.size).toBe(live.size);
    for (const q of ['quokka virus', 'cell gene', 'tumour risk in mouse trial', 'virus', 'immune signal pathway dose']) {
      const got = loaded.search(q, 20);
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(live.search(q, 20));
    }
    expect(ids(loaded.search('quokka', 3))).toEqual(['t1', 't5', 't9']);
  });
});
