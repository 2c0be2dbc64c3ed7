/**
 * Retrieval on collections of look-alike documents: document profiles and document-aware ranking
 * (the question's company, quarter and "latest" lift the right document's passages), near-duplicate
 * demotion, question words dropped from keyword queries, and the reranking step's reordering and
 * trace. Small hand-made collections whose right answers are known.
 */

import { describe, expect, it } from 'vitest';
import { analyze, analyzeQuery, keywordEntry } from '../../src/index/analyze';
import { DocumentIndex, documentProfile, documentDate, profileTerms } from '../../src/index/documents';
import { KeywordIndex } from '../../src/index/keyword';
import { applyRerank } from '../../src/index/rerank';
import { demoteNearDuplicates, retrieve } from '../../src/index/retrieve';
import { findFurniture } from '../../src/ingest/parsers/pdf-layout';
import type { Candidate, Hit } from '../../src/index/types';
import { rerankResult } from '../../src/library/rerank';
import { AppError } from '../../src/core/errors';
import { parseChunkId } from '../../src/core/ids';
import type { SearchHit, SearchResult } from '../../src/library/protocol';

// Four filings of two companies: every passage about net sales looks alike; only the document says whose and when.
const DOCS = {
  aq2: {
    label: '2023 Q2 ACME — Acme Corp. | Q2 2023 Form 10-Q',
    cover: 'FORM 10-Q. ACME CORP. For the quarterly period ended April 1, 2023.',
  },
  aq3: {
    label: '2023 Q3 ACME — Acme Corp. | Q3 2023 Form 10-Q',
    cover: 'FORM 10-Q. ACME CORP. For the quarterly period ended July 1, 2023.',
  },
  // Only Acme's running header says "10-Q"; every cover does.
  bq2: { label: '2023 Q2 BOLT — Table of Contents', cover: 'FORM 10-Q. BOLTWORKS, INC. For the quarterly period ended June 30, 2023.' },
  bq3: {
    label: '2023 Q3 BOLT — Table of Contents',
    cover: 'FORM 10-Q. BOLTWORKS, INC. For the quarterly period ended September 30, 2023.',
  },
} as const;
type DocId = keyof typeof DOCS;

const CHUNKS: Array<[string, string]> = [
  ['aq2:0', 'Total net sales were 94,836 for the quarter. Net sales of services rose.'],
  ['aq3:0', 'Total net sales were 81,797 for the quarter. Net sales of services rose.'],
  ['bq2:0', 'Total net sales were 134,383 for the quarter, and net sales of services rose again strongly.'],
  ['bq3:0', 'Total net sales were 143,083 for the quarter, and net sales of services rose again strongly.'],
  ['aq3:1', 'There has not been any change in our internal control over financial reporting.'],
  ['bq3:1', 'There has not been any change in our internal control over financial reporting.'],
  ['bq2:1', 'There has not been any change in our internal control over financial reporting.'],
  ['aq3:2', 'Research and development expense grew with headcount.'],
];

function library(): { keyword: KeywordIndex; documents: DocumentIndex } {
  const keyword = KeywordIndex.fromEntries(CHUNKS.map(([id, text]) => keywordEntry(id, text)));
  const documents = new DocumentIndex();
  for (const [id, d] of Object.entries(DOCS)) documents.set(id, documentProfile(d.label, d.cover));
  return { keyword, documents };
}

const docOf = (chunkId: string): DocId => parseChunkId(chunkId).docId as DocId;

describe('document profiles', () => {
  it('reads quarters one way, and the latest full date of the opening', () => {
    expect(profileTerms('the third quarter of 2023')).toEqual(profileTerms('Q3 2023'));
    expect(profileTerms('second fiscal quarter')).toEqual(['q2']);
    expect(documentDate('For the quarterly period ended July 1, 2023; shares as of 21 July 2023; see 2022-12-31.')).toBe('2023-07-21');
    expect(documentDate('No dates here, only 2023.')).toBeUndefined();
    // The document's own date, not a later one it mentions.
    expect(documentDate('1.625% Notes due December 1, 2032. For the quarterly period ended September 30, 2023.')).toBe('2023-09-30');
    expect(documentDate('Notes due December 1, 2032. Printed 4 March 2021.')).toBe('2021-03-04');
    const p = documentProfile('2023 Q3 ACME', 'Cover page of ACME CORP.', { headings: [{ start: 0, text: 'ACME CORP.' }] });
    expect(p.label).toEqual(expect.arrayContaining(['q3', '2023', 'acm', 'corp']));
  });

  it('scores only the terms that tell documents apart, and "latest" picks the newest of the ones asked about', () => {
    const { documents } = library();
    const s = documents.score('What were Acme net sales in Q2 2023?');
    expect([...s.byDoc.entries()].sort((a, b) => b[1] - a[1])[0]![0]).toBe('aq2');
    expect(s.terms).toEqual(expect.arrayContaining(['acm', 'q2']));
    expect(s.terms).not.toContain('2023'); // every document's label has it
    expect(documents.score('the 10-Q of Boltworks').terms).toEqual(['boltwork']); // every cover says 10-Q
    const latest = documents.score("What were Boltworks' net sales in the latest quarter?");
    expect(latest.latest).toEqual(['bq3']);
    expect([...latest.byDoc.entries()].sort((a, b) => b[1] - a[1])[0]![0]).toBe('bq3');
    expect(documents.score('net sales').byDoc.size).toBe(0);
  });
});

describe('document-aware ranking', () => {
  it('puts the passage of the document the question is about first, and says how well its document matched', () => {
    const { keyword, documents } = library();
    const ask = (query: string, documentBoost: number) => retrieve({ query, mode: 'keyword', k: 3, documentBoost }, { keyword, documents });
    const question = 'What were the total net sales of Acme in Q3 2023?';
    // Without the document's say, the longer look-alike passages of the other company win on BM25.
    expect(docOf(ask(question, 0).hits[0]!.chunkId)).not.toBe('aq3');
    const boosted = ask(question, 1);
    expect(boosted.hits[0]!.chunkId).toBe('aq3:0');
    expect(boosted.hits[0]!.documentMatch).toBe(1);
    expect(boosted.candidates.find((c) => c.chunkId === 'bq3:0')?.documentMatch ?? 0).toBeLessThan(1);
    expect(ask('Boltworks net sales, latest 10-Q', 1).hits[0]!.chunkId).toBe('bq3:0');
  });
});

describe('near-duplicates', () => {
  it('the same paragraph in look-alike documents makes way for other passages, marked in the trace', () => {
    const { keyword, documents } = library();
    const query = 'change in internal control research';
    const plain = retrieve({ query, mode: 'keyword', k: 2, demoteDuplicates: false }, { keyword, documents });
    expect(plain.hits.filter((h) => h.chunkId.endsWith(':1'))).toHaveLength(2);
    const r = retrieve({ query, mode: 'keyword', k: 2 }, { keyword, documents });
    expect(r.hits.map((h) => h.chunkId)).toContain('aq3:2');
    expect(r.hits.filter((h) => h.chunkId.endsWith(':1'))).toHaveLength(1);
    const dup = r.candidates.filter((c) => c.nearDuplicateOf !== undefined);
    expect(dup).toHaveLength(2);
    for (const c of dup) expect(c.nearDuplicateOf).toBe(r.hits.find((h) => h.chunkId.endsWith(':1'))!.chunkId);
  });

  it('keeps passages that share their labels but not their numbers', () => {
    const terms = (id: string): string[] => analyze(CHUNKS.find(([c]) => c === id)![1]);
    const ordered = ['aq2:0', 'aq3:0'].map((chunkId, i) => ({ chunkId, score: 2 - i }));
    expect(demoteNearDuplicates(ordered, terms).map((r) => r.nearDuplicateOf)).toEqual([undefined, undefined]);
  });
});

describe('question words', () => {
  it('are dropped from keyword queries only, unless they are all a query has', () => {
    expect(analyzeQuery('How has the revenue changed over time, and what drove it?')).toEqual(['revenu', 'chang', 'time', 'drove']);
    expect(analyze('How has the revenue changed')).toContain('ha');
    expect(analyzeQuery('How?')).toEqual(['how']);
    // Words that share a stem with content words stay: the month, U.S., "cash provided by".
    expect(analyzeQuery('What cash was provided by operations in May in the US?')).toEqual(['cash', 'provid', 'oper', 'mai', 'us']);
  });
});

describe('reranking step', () => {
  const hit = (chunkId: string, rank: number): SearchHit => ({
    chunkId,
    rank,
    score: 10 - rank,
    keyword: { rank, score: 10 - rank },
    docId: parseChunkId(chunkId).docId,
    docName: `${parseChunkId(chunkId).docId}.pdf`,
    ordinal: 0,
    text: `passage ${chunkId}`,
    headingPath: [],
    context: `${chunkId} label`,
  });
  const first = (): SearchResult => {
    const hits = ['a:0', 'b:0', 'c:0', 'd:0', 'e:0'].map((id, i) => hit(id, i + 1));
    const candidates: Candidate[] = [
      ...hits.map((h) => ({ chunkId: h.chunkId, keyword: h.keyword!, inTopK: true })),
      { chunkId: 'f:0', inTopK: false },
    ];
    return { hits, candidates: candidates.map((c) => ({ ...c, docName: 'x', ordinal: 0 })), modeUsed: 'keyword', ms: 1, retrieveMs: 1 };
  };

  it('reorders the scored candidates, keeps the top k, and records each one’s score and former rank', () => {
    const res = first();
    const { hits, candidates } = applyRerank<Hit, Candidate>(res.hits, res.candidates, [0.1, 0.9, -1, 0.5], 3);
    expect(hits.map((h) => [h.chunkId, h.rank, h.rerank?.from])).toEqual([
      ['b:0', 1, 2],
      ['d:0', 2, 4],
      ['a:0', 3, 1],
    ]);
    expect(hits[0]!.score).toBe(0.9);
    expect(hits[0]!.keyword).toEqual({ rank: 2, score: 8 }); // the first stage's own figures stay
    expect(candidates!.map((c) => [c.chunkId, c.inTopK])).toEqual([
      ['b:0', true],
      ['d:0', true],
      ['a:0', true],
      ['c:0', false],
      ['e:0', false],
      ['f:0', false],
    ]);
    expect(candidates![3]!.rerank).toEqual({ score: -1, from: 3 });
    expect(candidates![4]!.rerank).toBeUndefined();
  });

  it('scores passages with their context, and keeps the first-stage order when the reranker fails', async () => {
    const seen: string[][] = [];
    const ok = await rerankResult(first(), 'q', 2, {
      model: 'm',
      candidates: 3,
      reranker: async () => ({
        loadReranker: async () => ({ model: 'm', backend: 'cpu', dtype: 'fp32', loadMs: 0 }),
        rerank: async (req) => {
          seen.push(req.passages);
          return { scores: Float32Array.from([0, 1, 2]), ms: 5 };
        },
      }),
    });
    expect(seen).toEqual([['a:0 label\n\npassage a:0', 'b:0 label\n\npassage b:0', 'c:0 label\n\npassage c:0']]);
    expect(ok.hits.map((h) => h.chunkId)).toEqual(['c:0', 'b:0']);
    expect(ok.rerank).toEqual({ model: 'm', candidates: 3, ms: 5 });

    const failed = await rerankResult(first(), 'q', 2, {
      model: 'm',
      candidates: 3,
      reranker: () => Promise.reject(new AppError('ModelNotFound', 'The model "m" was not found.', { model: 'm' })),
    });
    expect(failed.hits.map((h) => h.chunkId)).toEqual(['a:0', 'b:0']);
    // The trace says which candidates are in what was kept, not in what was searched for reranking.
    expect(failed.candidates!.map((c) => c.inTopK)).toEqual([true, true, false, false, false, false]);
    expect(failed.rerankError).toContain('The model "m" was not found.');
    expect(failed.rerank).toBeUndefined();
  });
});

describe('running headers and footers', () => {
  const line = (text: string) => ({ text, x: 0, y: 0, size: 9, bold: false });
  const pages = (top: (n: number) => string, bottom: (n: number) => string) =>
    [1, 2, 3, 4].map((n) => [
      line(top(n)),
      ...['alpha', 'beta', 'gamma', 'delta'].map((w) => line(`${w} ${'xyzw'[n - 1]} body text that differs on every page`)),
      line(bottom(n)),
    ]);

  it('keep the numbers every page shares (a year), not the page number, and never a navigation link', () => {
    const f = findFurniture(
      pages(
        () => 'Table of Contents',
        (n) => `Annual Report 2023 | ${n}`,
      ),
    );
    expect(f.runningTitle).toBe('Annual Report 2023');
    expect(f.keys.has('table of contents')).toBe(true); // still dropped from the text
    expect(
      findFurniture(
        pages(
          () => 'Table of Contents',
          (n) => String(n),
        ),
      ).runningTitle,
    ).toBeUndefined();
  });

  it('are not table rows that happen to close many pages', () => {
    const f = findFurniture(
      pages(
        () => 'Header',
        (n) => `Total ${n},100 ${n},200 ${n},300 ${n},400 ${n},500`,
      ),
    );
    expect([...f.keys]).toEqual(['header']);
  });
});
