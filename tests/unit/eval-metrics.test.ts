/**
 * The eval metrics on hand-computed cases (the numbers BEIR / pytrec_eval would give), and BEIR
 * file parsing (title + text per document, only queries with qrels).
 */

import { describe, expect, it } from 'vitest';
import { parseCorpus, parseQrels, parseQueries, beirDataset } from '../../src/eval/beir';
import { evaluateRun, mrrAt, ndcgAt, recallAt, type Qrels } from '../../src/eval/metrics';

// Ranking [d1, d2, d3, d4]; qrels d2 = 2, d4 = 1, d9 = 1 (d9 never retrieved), d5 = 0.
//   DCG@10  = 2 / log2(3) + 1 / log2(5)             = 1.261860 + 0.430677 = 1.692536
//   IDCG@10 = 2 / log2(2) + 1 / log2(3) + 1 / log2(4) = 2 + 0.630930 + 0.5   = 3.130930
//   nDCG@10 = 1.692536 / 3.130930 = 0.540586
//   Recall@100 = 2 relevant found / 3 relevant = 0.666667;  Recall@2 = 1/3
//   MRR@10 = 1 / 2 (first relevant at rank 2)
const ranked = ['d1', 'd2', 'd3', 'd4'];
const rels = new Map([
  ['d2', 2],
  ['d4', 1],
  ['d9', 1],
  ['d5', 0],
]);

describe('metrics', () => {
  it('nDCG@10 uses graded gains and log2(rank + 1) discounts', () => {
    expect(ndcgAt(ranked, rels, 10)).toBeCloseTo(0.540586, 6);
    expect(ndcgAt(['d2', 'd4', 'd9'], rels, 10)).toBeCloseTo(1, 12); // the ideal order
    // Cut-off: only d2 counts at @2: (2/log2 3) / (2 + 1/log2 3) = 1.261860 / 2.630930 = 0.479625
    expect(ndcgAt(ranked, rels, 2)).toBeCloseTo(0.479625, 6);
    expect(ndcgAt(['d5', 'd1'], rels, 10)).toBe(0); // grade 0 is not relevant
  });

  it('Recall@k and MRR@k', () => {
    expect(recallAt(ranked, rels, 100)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(ranked, rels, 2)).toBeCloseTo(1 / 3, 12);
    expect(mrrAt(ranked, rels, 10)).toBe(0.5);
    expect(mrrAt(ranked, rels, 1)).toBe(0);
  });

  it('averages over the queries with qrels; a query without results scores 0', () => {
    const qrels: Qrels = new Map([
      ['q1', rels],
      ['q2', new Map([['d7', 1]])],
    ]);
    const scores = evaluateRun(new Map([['q1', ranked]]), qrels);
    expect(scores.queries).toBe(2);
    expect(scores['ndcg@10']).toBeCloseTo(0.540586 / 2, 6);
    expect(scores['recall@100']).toBeCloseTo(1 / 3, 12);
    expect(scores['mrr@10']).toBe(0.25);
  });

  it('drops a result that is the query itself, as BEIR does', () => {
    const qrels: Qrels = new Map([['d1', new Map([['d2', 1]])]]);
    expect(evaluateRun(new Map([['d1', ['d1', 'd2']]]), qrels)['mrr@10']).toBe(1);
    expect(evaluateRun(new Map([['d1', ['d1', 'd2']]]), qrels, false)['mrr@10']).toBe(0.5);
  });
});

describe('BEIR parsing', () => {
  it('indexes title + " " + text, and keeps only queries with qrels', () => {
    const corpus = parseCorpus(
      ['{"_id": "d1", "title": "Aspirin", "text": "lowers risk."}', '{"_id": 2, "title": "", "text": "No title here."}', ''].join('\n'),
    );
    expect(corpus).toEqual([
      { id: 'd1', text: 'Aspirin lowers risk.' },
      { id: '2', text: 'No title here.' },
    ]);
    const queries = parseQueries('{"_id": "q1", "text": "aspirin"}\n{"_id": "q2", "text": "unjudged"}\n');
    const qrels = parseQrels('query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\t2\t0\n');
    expect(qrels.get('q1')).toEqual(
      new Map([
        ['d1', 1],
        ['2', 0],
      ]),
    );
    const ds = beirDataset('toy', corpus, queries, qrels);
    expect(ds.queries.map((q) => q.id)).toEqual(['q1']);
  });

  it('names the broken line of a corrupt file', () => {
    expect(() => parseCorpus('{"_id": "d1", "text": "ok"}\n{not json')).toThrow(/corpus.jsonl line 2/);
  });
});
