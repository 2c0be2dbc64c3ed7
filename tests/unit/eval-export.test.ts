/**
 * A run of the Evaluate view as files (src/eval/export.ts): the CSV read back by papaparse cell by
 * cell (commas, quotes, newlines and formula-like answers included), the JSON read back whole, a
 * file that is not a run refused by name, and file names safe on any file system.
 */
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/core/errors';
import { parseRunJson, runFileName, runRows, runToCsv, runToJson } from '../../src/eval/export';
import { summarizeRun } from '../../src/eval/runs';
import { makeRun, threeResults } from './eval-fixtures';

const run = makeRun();
const results = threeResults();

describe('runRows', () => {
  it('has one row per question in the set’s order, with its answers, ranks and scores', () => {
    const rows = runRows(run, [...results].reverse());
    expect(rows.map((r) => r.index)).toEqual([1, 2, 3]);
    const [a, b, c] = rows;
    expect(a).toMatchObject({
      questionId: 'q1',
      question: 'What were total net sales in Q3 2022?',
      reference: 'Total net sales were $82,959 million.',
      plainAnswer: 'About $90 billion, I think.',
      evidenceRank: 1,
      retrievalBy: 'rule',
      sourceRank: 1,
      f1Plain: 0.2,
      f1Grounded: 0.75,
      factsPlain: false,
      factsGrounded: true,
      factsFoundGrounded: 1,
      factsTotal: 1,
      factsGain: 1,
      supportedShare: 0.5,
      unsupportedCitations: 1,
      sources: 'a.pdf, p. 3; b.md, Results › Services; a.pdf, p. 4–5',
      ms: 4322,
    });
    expect(a!.judgePlain).toBeUndefined();
    // No named documents: no source rank; no grounding: no support figures.
    expect(b).toMatchObject({ evidenceRank: 0, sourceRank: null, supportedShare: null, citations: null, factsGain: 0 });
    expect(c).toMatchObject({ evidenceRank: 2, factsGain: -1, sources: 'a.pdf, p. 7; a.pdf, p. 8' });
  });
});

describe('runToCsv', () => {
  const parse = (csv: string) => Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true });

  it('reads back cell for cell, with commas, quotes and newlines in the answers', () => {
    const { data, errors, meta } = parse(runToCsv(run, results));
    expect(errors).toEqual([]);
    expect(data).toHaveLength(3);
    expect(meta.fields).not.toContain('judge (local model): without documents correct');
    const [a, b, c] = data;
    expect(a!['#']).toBe('1');
    expect(a!['question id']).toBe('q1');
    expect(a!['answer with documents']).toBe('Total net sales were $82,959 million, "up 2%" year over year [1].\nServices grew too [2].');
    expect(a!['answer without documents']).toBe('About $90 billion, I think.');
    expect(a!['reference answer']).toBe('Total net sales were $82,959 million.');
    expect(a!['evidence rank (0 = not retrieved)']).toBe('1');
    expect(a!['evidence judged by']).toBe('evidence rule');
    expect(a!['F1 with documents']).toBe('0.75');
    expect(a!['key facts without documents']).toBe('no');
    expect(a!['key facts with documents']).toBe('yes');
    expect(a!['key facts found with documents']).toBe('1 of 1');
    expect(a!['key facts gain (1 win, -1 loss, 0 tie)']).toBe('1');
    expect(a!['supported sentences']).toBe('0.5');
    expect(a!['unsupported citations']).toBe('1');
    expect(a!['passage sources in rank order']).toBe('a.pdf, p. 3; b.md, Results › Services; a.pdf, p. 4–5');
    expect(a!.ms).toBe('4322');
    // Empty cells where a figure does not apply.
    expect(b!['source rank (0 = not retrieved)']).toBe('');
    expect(b!['supported sentences']).toBe('');
    expect(c!['key facts gain (1 win, -1 loss, 0 tie)']).toBe('-1');
    expect(c!['without documents: status']).toBe('done');
  });

  it('keeps a spreadsheet from running an answer as a formula, multi-line ones too', () => {
    const [, b] = parse(runToCsv(run, results)).data;
    expect(b!['answer without documents']).toBe(`'=HYPERLINK("http://x.example","click")`);
    expect(b!['answer with documents']).toBe(`'- The documents do not say.\n- Ask the treasurer.`);
    // Numbers are numbers, not text: -1 stays -1.
    expect(runToCsv(run, results)).toMatch(/,-1,/);
  });

  it('has the judge’s columns when the judge ran', () => {
    const judged = threeResults();
    judged[0]!.judge = { plain: false, grounded: true, raw: { plain: 'INCORRECT', grounded: 'CORRECT' } };
    judged[1]!.judge = { plain: null, grounded: false, raw: { plain: 'Maybe', grounded: 'INCORRECT' } };
    const { data } = parse(runToCsv(run, judged));
    expect(data.map((r) => r['judge (local model): without documents correct'])).toEqual(['no', 'unclear', '']);
    expect(data.map((r) => r['judge (local model): with documents correct'])).toEqual(['yes', 'no', '']);
  });

  it('has a failed side’s status and an empty answer', () => {
    const failed = threeResults();
    failed[2]!.comparison.grounded = { ...failed[2]!.comparison.grounded, status: 'failed', result: null };
    const c = parse(runToCsv(run, failed)).data[2]!;
    expect(c['with documents: status']).toBe('failed');
    expect(c['answer with documents']).toBe('');
  });
});

describe('runToJson and parseRunJson', () => {
  it('round-trips the run and its results, with the summary and rows for other readers', () => {
    const text = runToJson(run, [...results].reverse());
    const file = JSON.parse(text);
    expect(file.format).toBe('ragscope-eval-run');
    expect(file.version).toBe(1);
    expect(file.summary).toEqual(summarizeRun(results, 5));
    expect(file.rows).toEqual(runRows(run, results));
    const back = parseRunJson(text, 'run.json');
    expect(back.run).toEqual(run);
    expect(back.results).toEqual(results);
    expect(summarizeRun(back.results, back.run.settings.retrieval.k)).toEqual(summarizeRun(results, 5));
  });

  it('refuses a file that is not a run, by name', () => {
    const refused = (text: string): string => {
      try {
        parseRunJson(text, 'notes.json');
      } catch (e) {
        expect(isAppError(e, 'InvalidRequest')).toBe(true);
        expect((e as { data: unknown }).data).toEqual({ file: 'notes.json' });
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused('question,answer\nA,B')).toMatch(/^notes\.json is not a ragscope evaluation run: it is not JSON/);
    expect(refused('[1, 2]')).toMatch(/"format": "ragscope-eval-run"/);
    expect(refused(JSON.stringify({ format: 'ragscope-bundle', version: 1 }))).toMatch(/"format"/);
    expect(refused(JSON.stringify({ format: 'ragscope-eval-run', version: 2 }))).toMatch(/newer ragscope/);
    expect(refused(JSON.stringify({ format: 'ragscope-eval-run', version: 1, run: { id: 'x' }, results: [] }))).toMatch(
      /retrieval settings/,
    );
    expect(refused(JSON.stringify({ format: 'ragscope-eval-run', version: 1, run }))).toMatch(/no "results"/);
    const broken = JSON.parse(runToJson(run, results));
    delete broken.results[1].answers;
    expect(refused(JSON.stringify(broken))).toMatch(/result 2 lacks/);
  });
});

describe('runFileName', () => {
  it('names the set, the run and when it started, with nothing a file system refuses', () => {
    expect(runFileName(run, 'csv')).toBe('ragscope-run-Quarterly-filings-hybrid-top-5-Llama-3.2-1B-2026-05-01T1430.csv');
    const odd = { setName: '../Q&A: "best"/<worst>?*|\\', label: 'CON · top 3', createdAt: Date.UTC(2026, 0, 2, 3, 4) };
    const name = runFileName(odd, '.JSON');
    expect(name).toBe('ragscope-run-Q-A-best-worst-CON-top-3-2026-01-02T0304.json');
    expect(name).not.toMatch(/[/\\:*?"<>|\s]/);
    expect(runFileName({ setName: 'Fragen zur Bilanz — Ü', label: '', createdAt: NaN }, 'csv')).toBe(
      'ragscope-run-Fragen-zur-Bilanz-Ü.csv',
    );
    const long = runFileName({ ...run, setName: 'x'.repeat(300) }, 'csv');
    expect(long.length).toBeLessThanOrEqual(124);
    expect(long).toMatch(/^ragscope-run-x+\.csv$/);
  });
});
