/**
 * Fusion and the retrieve() call the app makes: RRF on a hand-worked example, hybrid hits carry
 * the trace of both retrievers, and dense/hybrid fall back to keyword search (saying why) while the
 * embedding model or the vectors are not there yet.
 */

import { describe, expect, it } from 'vitest';
import { keywordEntry } from '../../src/index/analyze';
import { DenseIndex } from '../../src/index/dense';
import { reciprocalRankFusion } from '../../src/index/fusion';
import { KeywordIndex } from '../../src/index/keyword';
import { retrieve } from '../../src/index/retrieve';
import { isAppError } from '../../src/core/errors';
import { chunkId } from '../../src/core/ids';

const list = (...ids: string[]): Array<{ chunkId: string }> => ids.map((chunkId) => ({ chunkId }));

describe('reciprocalRankFusion', () => {
  // Keyword list [a, b, c], dense list [c, a, d], k = 60:
  //   a = 1/61 + 1/62 = 0.032522    c = 1/63 + 1/61 = 0.032266
  //   b = 1/62        = 0.016129    d = 1/63        = 0.015873
  it('sums 1/(k + rank) over the lists (hand-worked, k = 60)', () => {
    const fused = reciprocalRankFusion([list('a', 'b', 'c'), list('c', 'a', 'd')]);
    expect(fused.map((f) => f.chunkId)).toEqual(['a', 'c', 'b', 'd']);
    expect(fused.map((f) => f.score)).toEqual([1 / 61 + 1 / 62, 1 / 63 + 1 / 61, 1 / 62, 1 / 63]);
    expect(fused.map((f) => f.ranks)).toEqual([
      [1, 2],
      [3, 1],
      [2, 0],
      [0, 3],
    ]);
  });

  // Same lists, dense weighted 2:
  //   a = 1/61 + 2/62 = 0.048652    c = 1/63 + 2/61 = 0.048660   (c now beats a)
  //   d = 2/63        = 0.031746    b = 1/62        = 0.016129   (d now beats b)
  it('applies per-list weights', () => {
    const fused = reciprocalRankFusion([list('a', 'b', 'c'), list('c', 'a', 'd')], { weights: [1, 2] });
    expect(fused.map((f) => f.chunkId)).toEqual(['c', 'a', 'd', 'b']);
    expect(fused[0]!.score).toBeCloseTo(0.04866, 5);
  });

  it('k sets how much a single top rank counts against agreement', () => {
    // x is 1st in one list; y is 3rd in both. y wins iff 2/(k+3) > 1/(k+1), i.e. iff k > 1:
    //   k = 0.5: x = 1/1.5 = 0.667 > y = 2/3.5 = 0.571;   k = 60: y = 2/63 = 0.0317 > x = 1/61 = 0.0164
    const lists = [list('x', 'a', 'y'), list('z', 'b', 'y')];
    expect(reciprocalRankFusion(lists, { k: 0.5 })[0]).toMatchObject({ chunkId: 'x', score: 1 / 1.5 });
    expect(reciprocalRankFusion(lists, { k: 60 })[0]).toMatchObject({ chunkId: 'y', score: 2 / 63 });
  });

  it('breaks ties by best rank, then by the first list', () => {
    expect(reciprocalRankFusion([list('x'), list('y')]).map((f) => f.chunkId)).toEqual(['x', 'y']);
    expect(reciprocalRankFusion([list('p', 'q'), list('q', 'p')]).map((f) => f.chunkId)).toEqual(['p', 'q']);
  });
});

describe('retrieve', () => {
  const texts: Record<string, string> = {
    k1: 'Aspirin lowers the risk of heart attack in adults.',
    k2: 'Heart rate rises during exercise.',
    k3: 'Aspirin is an old drug.',
    d1: 'Cardiac events were fewer with daily salicylate.',
  };
  const keyword = KeywordIndex.fromEntries(Object.entries(texts).map(([id, t]) => keywordEntry(id, t)));
  // Hand-made 3-d "embeddings": d1 and k1 point the same way as the question.
  const dense = new DenseIndex('toy', 3);
  const norm = (v: number[]): number[] => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  dense.add(
    ['k1', 'k2', 'k3', 'd1'],
    new Float32Array([...norm([1, 0.2, 0]), ...norm([0, 1, 0]), ...norm([0, 0, 1]), ...norm([1, 0, 0])]),
    3,
    'toy',
  );
  const question = 'aspirin heart attack';
  const qv = new Float32Array(norm([1, 0.1, 0]));

  it('keyword mode returns BM25 hits with their keyword trace', () => {
    const res = retrieve({ query: question, mode: 'keyword', k: 10 }, { keyword, dense });
    expect(res.modeUsed).toBe('keyword');
    expect(res.fallbackReason).toBeUndefined();
    expect(res.hits[0]).toMatchObject({ chunkId: 'k1', rank: 1, keyword: { rank: 1 } });
    expect(res.hits.every((h) => h.dense === undefined && h.score === h.keyword!.score)).toBe(true);
    expect(res.hits.map((h) => h.chunkId)).not.toContain('d1'); // no shared words
  });

  it('dense mode finds the paraphrase keyword search cannot', () => {
    const res = retrieve({ query: question, queryVector: qv, queryModel: 'toy', mode: 'dense', k: 2 }, { keyword, dense });
    expect(res.modeUsed).toBe('dense');
    expect(res.hits.map((h) => h.chunkId)).toEqual(['k1', 'd1']);
    expect(res.hits[1]!.dense!.score).toBeCloseTo(Math.cos(Math.atan(0.1)), 5);
  });

  it('hybrid fuses both lists and keeps each retriever’s rank and score', () => {
    const res = retrieve({ query: question, queryVector: qv, queryModel: 'toy', mode: 'hybrid', k: 4 }, { keyword, dense });
    expect(res.modeUsed).toBe('hybrid');
    const byId = Object.fromEntries(res.hits.map((h) => [h.chunkId, h]));
    // k1 is first in both lists, so first fused, with both traces.
    expect(res.hits[0]).toMatchObject({ chunkId: 'k1', rank: 1, keyword: { rank: 1 }, dense: { rank: 1 } });
    expect(res.hits[0]!.score).toBeCloseTo(2 / 61, 12);
    // d1 comes only from the dense side.
    expect(byId.d1!.keyword).toBeUndefined();
    expect(byId.d1!.dense!.rank).toBe(2);
    expect(res.hits.map((h) => h.rank)).toEqual([1, 2, 3, 4]);
    expect(res.ms.keyword).toBeGreaterThanOrEqual(0);
    expect(res.ms.dense).toBeGreaterThanOrEqual(0);
  });

  it('falls back to keyword search, and says why, without a question vector', () => {
    const res = retrieve({ query: question, mode: 'hybrid', k: 3 }, { keyword, dense });
    expect(res.modeUsed).toBe('keyword');
    expect(res.fallbackReason).toMatch(/not loaded/);
    expect(res.hits.map((h) => h.chunkId)).toEqual(
      retrieve({ query: question, mode: 'keyword', k: 3 }, { keyword }).hits.map((h) => h.chunkId),
    );
  });

  it('falls back to keyword search when nothing has been embedded yet', () => {
    for (const d of [null, new DenseIndex('toy', 3)]) {
      const res = retrieve({ query: question, queryVector: qv, queryModel: 'toy', mode: 'dense', k: 3 }, { keyword, dense: d });
      expect(res.modeUsed).toBe('keyword');
      expect(res.fallbackReason).toMatch(/embedded yet/);
      expect(res.hits[0]!.chunkId).toBe('k1');
    }
  });

  it('refuses a question embedded by another model', () => {
    let err: unknown;
    try {
      retrieve({ query: question, queryVector: qv, queryModel: 'other', mode: 'hybrid', k: 3 }, { keyword, dense });
    } catch (e) {
      err = e;
    }
    expect(isAppError(err, 'EmbeddingModelMismatch')).toBe(true);
  });
});

describe('retrieve() candidates for the trace', () => {
  const texts = Array.from({ length: 30 }, (_, i) => `tide report number ${i} ${'tide '.repeat(i % 5)}harbour`);
  const keyword = KeywordIndex.fromEntries(texts.map((t, i) => keywordEntry(chunkId('d', i), t)));

  it('lists what nearly made it, flagged, in the same order as the hits', () => {
    const r = retrieve({ query: 'tide harbour', mode: 'keyword', k: 3 }, { keyword });
    expect(r.hits).toHaveLength(3);
    expect(r.candidates).toHaveLength(20);
    expect(r.candidates.slice(0, 3).map((c) => c.chunkId)).toEqual(r.hits.map((h) => h.chunkId));
    expect(r.candidates.map((c) => c.inTopK)).toEqual([...Array<boolean>(3).fill(true), ...Array<boolean>(17).fill(false)]);
    expect(r.candidates[5]!.keyword!.rank).toBe(6);
  });

  it('in hybrid, candidates carry both ranks and the fused rank; the top k are the hits', () => {
    const dense = new DenseIndex('m', 2);
    dense.add(
      texts.map((_, i) => chunkId('d', i)),
      Float32Array.from(texts.flatMap((_, i) => [Math.cos(i / 10), Math.sin(i / 10)])),
      2,
      'm',
    );
    const r = retrieve(
      { query: 'tide harbour', queryVector: Float32Array.of(1, 0), queryModel: 'm', mode: 'hybrid', k: 4 },
      { keyword, dense },
    );
    expect(r.candidates.slice(0, 4).map((c) => [c.chunkId, c.fused!.rank, c.inTopK])).toEqual(r.hits.map((h) => [h.chunkId, h.rank, true]));
    expect(r.candidates.slice(4).every((c) => !c.inTopK && c.fused!.rank > 4)).toBe(true);
    expect(r.candidates.every((c) => c.keyword !== undefined || c.dense !== undefined)).toBe(true);
  });
});
