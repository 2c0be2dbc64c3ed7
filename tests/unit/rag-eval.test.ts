/**
 * Retrieval evaluation on real-document question sets: numbers read at their written precision,
 * the evidence rule (src/eval/evidence.ts) on hand-made answers and passages, question-set files,
 * and the figures (hit@k, MRR@20, source hit and share, coverage) on hand-made rankings.
 */

import { describe, expect, it } from 'vitest';
import {
  declines,
  holdsEvidence,
  keyFacts,
  keyNumbers,
  termStats,
  type EvidencePassage,
  type EvidenceTarget,
} from '../../src/eval/evidence';
import { numbersIn, statesFact } from '../../src/eval/numbers';
import { globToRegExp, namedDocuments, parseQuestions, type RagQuestion } from '../../src/eval/questions';
import { RagEvaluator, type CorpusPassage } from '../../src/eval/rag';
import { analyze } from '../../src/index/analyze';
import { isAppError } from '../../src/core/errors';

const one = (s: string) => {
  const n = numbersIn(s);
  expect(n).toHaveLength(1);
  return n[0]!;
};

describe('numbers as written', () => {
  it('reads value, precision, percent and scale words', () => {
    expect(one('$88.9 billion')).toMatchObject({ value: 88.9e9, step: 1e8, sig: 3, currency: true, scaled: true });
    expect(one('88,945')).toMatchObject({ value: 88945, step: 1, sig: 5, scaled: false });
    expect(one('12.5%')).toMatchObject({ value: 12.5, step: 0.1, percent: true });
    expect(one('(1,254)')).toMatchObject({ value: 1254 });
    expect(one('$6,000 million')).toMatchObject({ value: 6e9, sig: 1 });
    expect(numbersIn('Q3 2023 Form 10-Q, Item 1A, F-150')).toEqual([expect.objectContaining({ value: 2023 })]);
  });

  it('states a fact at the fact’s precision: "$88.9 billion" is in a table’s 88,945 (millions), not in 88,849', () => {
    const fact = one('$88.9 billion');
    expect(statesFact(one('88,945'), fact)).toBe(true);
    expect(statesFact(one('88,849'), fact)).toBe(false);
    expect(statesFact(one('$88.9 billion'), fact)).toBe(true);
    expect(statesFact(one('89 billion'), fact)).toBe(false); // less precise than the fact
    expect(statesFact(one('12.5'), one('12.5%'))).toBe(true);
    expect(statesFact(one('12.5 million'), one('12.5%'))).toBe(false);
    expect(statesFact(one('12.5%'), one('$12.5 million'))).toBe(false);
    // Two significant digits must appear at about their own precision.
    expect(statesFact(one('2.8 billion'), one('$2.8 billion'))).toBe(true);
    expect(statesFact(one('2,764'), one('$2.8 billion'))).toBe(false);
  });

  it('leaves years, days, list numbers, references and one-digit figures out of an answer’s facts', () => {
    const facts = keyNumbers(
      '1. In the quarter ended July 1, 2023 (Note 3, Item 1A, the Q3 10-Q) sales fell 1% or $6 billion to $81,797 million, a 12.5% tax rate.',
    );
    expect(facts.map((f) => (f.percent ? `${f.value}%` : f.value))).toEqual([81797e6, '12.5%']);
  });

  it('keeps a decimal number that opens an answer: "6.2 metres" is a fact, not list item 6', () => {
    expect(keyNumbers('6.2 metres above chart datum.').map((f) => f.value)).toEqual([6.2]);
    expect(keyNumbers('6. The gauge stands 12.5 metres high.').map((f) => f.value)).toEqual([12.5]);
  });
});

const DOCS = ['2022 Q3 ACME.pdf', '2023 Q3 ACME.pdf', '2023 Q3 BOLT.pdf'];
const passage = (doc: string, text: string): EvidencePassage => ({ doc, text, terms: new Set(analyze(text)), numbers: numbersIn(text) });
const STATS = termStats([
  'Acme makes widgets and gadgets for the company. The company sells widgets.',
  'Bolt makes bolts for the company.',
  'The company is exposed to litigation about patents in several courts.',
  'Weather, shipping delays and currency swings affect the company.',
  'The company discloses its leases.',
]);

function target(q: Partial<RagQuestion> & { answer: string }, docs = DOCS): EvidenceTarget {
  const question: RagQuestion = { id: 'q1', question: '', sources: [], type: '', chunkType: '', ...q };
  const named = namedDocuments(question, docs);
  return {
    facts: keyFacts(question.question, question.answer, docs, STATS),
    named: new Set([...named].map((n) => n.toLowerCase())),
    restricted: question.sources.length > 0,
  };
}

describe('the evidence rule', () => {
  it('needs the named document and the answer’s numbers', () => {
    const t = target({
      question: 'What were Acme’s net sales in Q3 2023?',
      sources: ['*2023 Q3 ACME*'],
      answer: 'Net sales were $81,797 million.',
    });
    expect(holdsEvidence(passage('2023 Q3 ACME.pdf', 'Total net sales 81,797 82,959'), t)).toBe(true);
    expect(holdsEvidence(passage('2022 Q3 ACME.pdf', 'Total net sales 82,959 81,797'), t)).toBe(false); // not a named document
    expect(holdsEvidence(passage('2023 Q3 ACME.pdf', 'Total net sales 82,959'), t)).toBe(false);
  });

  it('asks half of a document’s numbers, at most two, and reads "(SOURCE: ...)" notes to know whose they are', () => {
    const answer = [
      '- Q3 2022: net sales $82,959 million, R&D $6,797 million, SG&A $6,012 million. (SOURCE: 2022 Q3 ACME.pdf)',
      '- Q3 2023: net sales $81,797 million, R&D $7,442 million, SG&A $5,973 million. (SOURCE: 2023 Q3 ACME.pdf)',
      'SOURCE(S): 2022 Q3 ACME.pdf, 2023 Q3 ACME.pdf',
    ].join('\n');
    const t = target({ question: 'How did Acme’s expenses change?', sources: ['*ACME*'], answer });
    expect([...t.facts.byDocument.keys()].sort()).toEqual(['2022 q3 acme.pdf', '2023 q3 acme.pdf']);
    expect(t.facts.shared).toEqual([]);
    expect(holdsEvidence(passage('2023 Q3 ACME.pdf', 'Research and development 7,442 6,797\nSelling 5,973 6,012'), t)).toBe(true);
    expect(holdsEvidence(passage('2023 Q3 ACME.pdf', 'Research and development 7,442'), t)).toBe(false); // one of three
    // The prior year's figures printed in this year's filing are not this filing's facts.
    expect(holdsEvidence(passage('2023 Q3 ACME.pdf', 'Research 6,797 and selling 6,012'), t)).toBe(false);
  });

  it('attributes numbers by whole file names, however short the others are', () => {
    const docs = ['ab.html', 'abcd.md'];
    const t = target({ question: 'Sales?', answer: 'Sales were $1,234 million. (SOURCE: abcd.md)' }, docs);
    expect([...t.facts.byDocument.keys()]).toEqual(['abcd.md']);
  });

  it('shares unattributed numbers among the named documents', () => {
    const t = target({
      question: 'How have Acme’s sales changed?',
      sources: ['*ACME*'],
      answer: 'Sales were $82,959 million a year ago and $81,797 million now.',
    });
    expect(t.facts.shared).toHaveLength(2);
    // Two numbers over two documents: one of them is that document's share.
    expect(holdsEvidence(passage('2022 Q3 ACME.pdf', 'Total net sales 82,959'), t)).toBe(true);
  });

  it('without numbers, asks for most of the answer’s rarer content words', () => {
    const t = target({
      question: 'What legal proceedings does Acme face?',
      answer: 'Acme is defending patent litigation in several courts; the outcome of such litigation is uncertain.',
    });
    expect(t.facts.terms.size).toBeGreaterThanOrEqual(3);
    expect(t.facts.terms.has('compani')).toBe(false); // in most paragraphs: says nothing
    expect(holdsEvidence(passage('2023 Q3 ACME.pdf', 'We face patent litigation in several courts; its outcome is uncertain.'), t)).toBe(
      true,
    );
    expect(holdsEvidence(passage('2023 Q3 ACME.pdf', 'Weather and shipping delays affect the company.'), t)).toBe(false);
    // An answer that says nothing findable ("the documents do not say") has no evidence anywhere.
    const none = target({ question: 'Did Acme buy a company?', answer: 'No, the provided documents do not report any.' });
    expect(holdsEvidence(passage('2023 Q3 ACME.pdf', 'The company discloses its leases.'), none)).toBe(false);
  });

  it('in a collection of two short documents, words found in one paragraph are still evidence', () => {
    const stats = termStats([
      'Baking',
      'Sourdough bread rises slowly because wild yeast ferments the flour.',
      'Tides',
      'The moon pulls the oceans.',
    ]);
    const facts = keyFacts('Why does bread rise slowly?', 'Wild yeast ferments the flour.', ['bread.md', 'tides.md'], stats);
    // Each word is in one of four paragraphs: more than FREQUENT_TERM_SHARE of them, but not frequent.
    expect([...facts.terms.keys()].sort()).toEqual(['ferment', 'flour', 'wild', 'yeast']);
    const t: EvidenceTarget = { facts, named: new Set(['bread.md', 'tides.md']), restricted: false };
    expect(holdsEvidence(passage('bread.md', 'Sourdough bread rises slowly because wild yeast ferments the flour.'), t)).toBe(true);
    expect(holdsEvidence(passage('tides.md', 'The moon pulls the oceans.'), t)).toBe(false);
  });

  it('knows an answer that declines from a negative fact a passage can state', () => {
    for (const a of [
      'The latest 10-Q does not provide a direct comparison between the two. It lists revenue by segment.',
      'Based on the provided documents, there are no explicit details indicating notable changes in liquidity.',
      'In the latest filing, there is no specific mention of the exact impact of exchange rates.',
    ])
      expect(declines(a), a).toBe(true);
    for (const a of [
      'No, there are no significant changes in the accounting policies as reported in these 10-Qs.',
      'The risk factors to the business have not changed over the reporting period. They include patent litigation.',
    ])
      expect(declines(a), a).toBe(false);
    // Numbers come first: an answer with figures is judged by them, whatever else it says.
    expect(target({ answer: 'Revenue was $1,234 million; the documents do not provide a forecast.' }).facts.declined).toBe(false);
    const declined = target({
      question: 'How do the market risks align with the risk factors?',
      answer: 'The 10-Q does not provide a direct comparison of patent litigation in several courts with the market risks.',
    });
    expect(declined.facts.declined).toBe(true);
    expect(
      holdsEvidence(passage('2023 Q3 ACME.pdf', 'Patent litigation in several courts, market risks and their comparison.'), declined),
    ).toBe(false);
    const negativeFact = target({
      question: 'Did the risk factors change?',
      answer: 'No, there have been no material changes to the risk factors about patent litigation in several courts.',
    });
    expect(negativeFact.facts.declined).toBe(false);
    expect(
      holdsEvidence(
        passage(
          '2023 Q3 ACME.pdf',
          'There have been no material changes to the risk factors: patent litigation in several courts continues.',
        ),
        negativeFact,
      ),
    ).toBe(true);
  });
});

describe('question sets', () => {
  it('reads CSV with quoted multi-line answers, JSON and JSON lines', () => {
    const csv =
      'Question,Source Docs,Question Type,Source Chunk Type,Answer\n' +
      '"What were sales?",*ACME*,Multi-Doc RAG,Table,"Sales:\n- $1,234 million\nSOURCE(S): a.pdf"\n' +
      'Second?,"*2023 Q3 ACME*; *BOLT*",Single-Doc,Text,Forty-two.\n';
    const qs = parseQuestions(csv, 'qna.csv');
    expect(qs).toHaveLength(2);
    expect(qs[0]).toMatchObject({ id: 'q1', sources: ['*ACME*'], type: 'Multi-Doc RAG', chunkType: 'Table' });
    expect(qs[0]!.answer).toContain('$1,234 million');
    expect(qs[1]!.sources).toEqual(['*2023 Q3 ACME*', '*BOLT*']);
    const json = JSON.stringify({ questions: [{ question: 'Q?', answer: 'A.', sources: ['*x*'], type: 't' }] });
    expect(parseQuestions(json, 'set.json')[0]).toMatchObject({ question: 'Q?', sources: ['*x*'], type: 't', chunkType: '' });
    expect(parseQuestions('{"question":"A?","answer":"B."}\n{"question":"C?","answer":"D."}\n', 'set.jsonl')).toHaveLength(2);
  });

  it('refuses files that are not question sets, by name, saying what is wrong', () => {
    for (const [text, file, why] of [
      ['Prompt,Reply\nx,y\n', 'a.csv', /no "Question" column/],
      ['Question,Answer\nWhat?,\n', 'b.csv', /no reference answer/],
      ['[1, 2]', 'c.json', /not an object/],
      ['not json at all', 'd.json', /line 1 is not JSON/],
      ['[]', 'e.json', /holds no questions/],
    ] as const) {
      let error: unknown;
      try {
        parseQuestions(text, file);
      } catch (e) {
        error = e;
      }
      expect(isAppError(error, 'InvalidRequest'), file).toBe(true);
      expect((error as Error).message).toMatch(why);
    }
  });

  it('matches source globs against file names, case-insensitively', () => {
    expect(globToRegExp('*2023 q3 acme*').test('2023 Q3 ACME.pdf')).toBe(true);
    expect(globToRegExp('*ACME*').test('2023 Q3 BOLT.pdf')).toBe(false);
    expect(globToRegExp('report-?.pdf').test('report-7.pdf')).toBe(true);
  });
});

describe('figures on a hand-made case', () => {
  // Three questions over four passages; the rankings below are handed in, so every figure can be
  // worked out by hand.
  const passages: CorpusPassage[] = [
    { id: 'a:0', doc: 'a.pdf', text: 'Acme net sales were 81,797.' },
    { id: 'a:1', doc: 'a.pdf', text: 'Acme is fighting patent litigation in several courts with uncertain outcome.' },
    { id: 'b:0', doc: 'b.pdf', text: 'Bolt net sales were 12,345.' },
    { id: 'b:1', doc: 'b.pdf', text: 'Bolt leases its offices.' },
  ];
  const questions: RagQuestion[] = [
    { id: 'q1', question: 'Acme sales?', answer: '$81,797 million.', sources: ['a.pdf'], type: 'single', chunkType: 'Table' },
    { id: 'q2', question: 'Bolt sales?', answer: '$12,345 million.', sources: ['b.pdf'], type: 'single', chunkType: 'Table' },
    { id: 'q3', question: 'Did Bolt buy anything?', answer: 'No acquisition is reported.', sources: [], type: 'none', chunkType: 'Text' },
  ];
  const rankings: Record<string, string[]> = { q1: ['a:0', 'b:0'], q2: ['a:0', 'a:1', 'b:1', 'b:0'], q3: ['b:1'] };

  it('computes hit@k, MRR, source hit and share, and coverage as defined', async () => {
    const ev = new RagEvaluator(questions, ['a.pdf', 'b.pdf'], passages);
    const byId = new Map(passages.map((p) => [p.id, p]));
    const report = await ev.run(async (q) => rankings[q.id]!.map((id) => byId.get(id)!), { ks: [1, 3, 5] });
    const [r1, r2, r3] = report.questions;
    expect([r1!.evidenceRank, r2!.evidenceRank, r3!.evidenceRank]).toEqual([1, 4, 0]);
    expect(r2!.evidenceRanks).toEqual([4]);
    expect([r1!.sourceRank, r2!.sourceRank]).toEqual([1, 3]);
    expect(r3!.evidenceInCollection).toBe(0); // "No acquisition is reported": nothing to find
    const o = report.overall;
    expect(o.questions).toBe(3);
    expect(o.coverage).toBeCloseTo(2 / 3, 10);
    expect(o.hit).toEqual({ 1: 1 / 3, 3: 1 / 3, 5: 2 / 3 });
    expect(o.mrr).toBeCloseTo((1 + 1 / 4 + 0) / 3, 10);
    expect(o.withSources).toBe(2);
    expect(o.sourceHit).toEqual({ 1: 0.5, 3: 1, 5: 1 });
    // q1: top 1 all from a.pdf, top 3 and 5 one of k; q2: none at 1, 1 of 3, 2 of 5.
    expect(o.sourceShare[1]).toBeCloseTo((1 + 0) / 2, 10);
    expect(o.sourceShare[3]).toBeCloseTo((1 / 3 + 1 / 3) / 2, 10);
    expect(o.sourceShare[5]).toBeCloseTo((1 / 5 + 2 / 5) / 2, 10);
    expect(Object.keys(report.byType)).toEqual(['none', 'single']);
    expect(report.byType.single!.hit[1]).toBe(0.5);
    expect(report.byChunkType.Text!.coverage).toBe(0);
  });
});
