/**
 * The answer scores of the with/without comparison (src/eval/answers.ts) on hand-computed cases:
 * normalised token F1, key facts with numbers compared as numbers, key terms, declines.
 */
import { describe, expect, it } from 'vitest';
import { answerTokens, keyFactScore, scoreComparison, tokenF1 } from '../../src/eval/answers';
import { groundAnswer, sentencesOf, SUPPORT_SIMILARITY } from '../../src/eval/grounding';

describe('token F1', () => {
  it('normalises case, punctuation, articles and how numbers are written', () => {
    expect(answerTokens('The tide rises, twice a day!')).toEqual(['tide', 'rises', 'twice', 'day']);
    expect(answerTokens('Revenue: $88,945 million (12.5%).')).toEqual(['revenue', '88945', 'million', '12.5']);
  });

  it('is the F1 of the two bags of tokens', () => {
    // answer: tide rises twice day (4); reference: twice day (2); shared 2 → P 1/2, R 1 → F1 2/3.
    expect(tokenF1('The tide rises twice a day', 'Twice a day')).toBeCloseTo(2 / 3, 10);
    // answer: revenue was 88.9 billion (4); reference: 88.9 billion dollars (3); shared 2 → P 1/2, R 2/3 → 4/7.
    expect(tokenF1('Revenue was $88.9 billion', '88.9 billion dollars')).toBeCloseTo(4 / 7, 10);
    // Repeated tokens count once per occurrence in the reference.
    expect(tokenF1('day day day', 'day')).toBeCloseTo(0.5, 10);
    expect(tokenF1('', 'anything')).toBe(0);
    expect(tokenF1('nothing shared', 'at all')).toBe(0);
    expect(tokenF1('Exactly this', 'exactly this.')).toBe(1);
  });
});

describe('key facts', () => {
  it('compares numbers as numbers, at the reference’s precision', () => {
    const ref = 'Total net sales were $88.9 billion.';
    expect(keyFactScore('Net sales came to 88,945 million dollars.', ref)).toMatchObject({
      by: 'numbers',
      found: 1,
      total: 1,
      contains: true,
    });
    expect(keyFactScore('Net sales were 88.9 billion.', ref).contains).toBe(true);
    // Less precise than the reference, or another figure: not the fact.
    expect(keyFactScore('Net sales were about 89 billion.', ref).contains).toBe(false);
    expect(keyFactScore('Net sales were $81.8 billion.', ref).contains).toBe(false);
    // Every key number must be stated; years are not key facts.
    const two = 'In 2023 gross margin was 45.2% and operating income $23.1 billion.';
    expect(keyFactScore('Operating income: 23,076 million; gross margin 45.2 percent.', two)).toMatchObject({
      found: 2,
      total: 2,
      contains: true,
    });
    expect(keyFactScore('Gross margin was 45.2%.', two)).toMatchObject({ found: 1, total: 2, contains: false });
  });

  it('without numbers, most of the reference’s content words (not the question’s) must be there', () => {
    const q = 'Why does sourdough bread rise slowly?';
    const ref = 'Wild yeast ferments the flour over many hours.';
    // Terms: wild, yeast, ferment, flour, mani, hour (stemmed) — 6; the question's words are not counted.
    const full = keyFactScore('Because wild yeast ferments the flour for many hours.', ref, q);
    expect(full).toMatchObject({ by: 'terms', found: 6, total: 6, contains: true });
    const some = keyFactScore('Yeast ferments it.', ref, q);
    expect(some).toMatchObject({ found: 2, total: 6, contains: false });
  });

  it('a reference that says the documents do not hold the answer is matched by an answer that declines', () => {
    const ref = 'The 10-Q does not provide the number of employees.';
    expect(keyFactScore('The documents do not mention how many employees there are.', ref)).toMatchObject({
      by: 'declines',
      contains: true,
    });
    expect(keyFactScore('There are 164,000 employees.', ref).contains).toBe(false);
  });
});

describe('a comparison scored', () => {
  it('scores both sides against the reference and says what retrieval changed', () => {
    const s = scoreComparison('I do not know.', 'The tide rises twice a day.', 'Twice a day', 'How often does the tide rise?');
    expect(s.plain.f1).toBe(0);
    expect(s.grounded.f1).toBeCloseTo(2 / 3, 10);
    expect(s.f1Gain).toBeCloseTo(2 / 3, 10);
    expect(s.factsGain).toBe(1);
  });
});

describe('grounding of a grounded answer', () => {
  // Vectors whose cosine similarities are known by construction (a stand-in for the embedder).
  const v = (...x: number[]): Float32Array => Float32Array.from(x);
  const passages = ['The tide rises twice a day along the coast.', 'Sourdough bread rises slowly because wild yeast ferments.'];
  const passageVectors = [v(1, 0, 0), v(0, 1, 0)];

  it('splits an answer into sentences, keeping each citation with its sentence', () => {
    expect(sentencesOf('The tide rises twice daily [1]. Bread needs yeast [2][1]! Yes.')).toEqual([
      'The tide rises twice daily [1].',
      'Bread needs yeast [2][1]!',
      'Yes.',
    ]);
  });

  it('marks sentences supported by a similar passage or by the words of a passage they cite, and counts citations without support', () => {
    const sentences = [
      'The tide rises twice daily [1].', // similar to passage 1 (cos ≈ 0.994)
      'Bread is made from barley flour [1].', // similar to nothing; passage 1 lacks its words
      'Yes.', // too short to judge
      'Sourdough rises slowly [2].', // similar to nothing, but passage 2 holds all its words
      'The moon causes it [7].', // cites a passage the prompt did not have
    ];
    const vectors = [v(0.9, 0.1, 0), v(0, 0, 1), v(0, 0, 1), v(0, 0, 1), v(0, 0.5, 0.866)];
    const g = groundAnswer(sentences, vectors, passages, passageVectors);
    expect(g.sentences.map((s) => [s.supported, s.by, s.unsupportedCitations])).toEqual([
      [true, 1, []],
      [false, null, [1]],
      [null, null, []],
      [true, 2, []],
      [false, null, [7]],
    ]);
    expect(g.sentences[0]!.similarity).toBeCloseTo(0.9 / Math.sqrt(0.82), 6);
    // Judged: 4 sentences, 2 supported; 4 citations, 2 of them without support.
    expect(g.supportedShare).toBe(0.5);
    expect([g.citations, g.unsupportedCitations]).toEqual([4, 2]);
    // At the threshold counts as support; just below does not (cos 0.5 with passage 2 for the last).
    expect(SUPPORT_SIMILARITY).toBeGreaterThan(0.5);
  });

  it('gives no supported share when no sentence can be judged, so "Yes." does not count as fully supported', () => {
    const g = groundAnswer(['Yes.', '$5.'], [v(1, 0, 0), v(1, 0, 0)], passages, passageVectors);
    expect(g.sentences.map((s) => s.supported)).toEqual([null, null]);
    expect(g.supportedShare).toBeNull();
  });
});
