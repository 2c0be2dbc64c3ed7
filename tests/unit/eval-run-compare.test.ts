/**
 * Runs of one question set side by side (src/eval/compare-runs.ts), and the charts drawn from them
 * (src/ui/evaluate/charts.ts) with Observable Plot on linkedom's DOM: every figure the charts show
 * is the summary's, each chart is a named image without an inline <style>, and narrow charts put
 * run labels above their bars.
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/eval/compare-runs';
import { summarizeRun } from '../../src/eval/runs';
import { answersChart, retrievalChart, winsChart, wrap, type Palette } from '../../src/ui/evaluate/charts';
import { makeRun, threeResults } from './eval-fixtures';

const r1 = { run: makeRun({ id: 'r1', label: 'hybrid · top 5' }, 5), results: threeResults('r1') };
// A second run of the same set with the same label: top 3, the second question now found at rank 3,
// the third one missed.
const second = threeResults('r2');
second[1]!.retrieval.evidenceRank = 3;
second[2]!.retrieval.evidenceRank = 0;
const r2 = { run: makeRun({ id: 'r2', label: 'hybrid · top 5' }, 3), results: second };

describe('compareRuns', () => {
  const cmp = compareRuns([r1, r2]);

  it('names runs uniquely and takes every figure from summarizeRun', () => {
    expect(cmp.runs.map((r) => r.name)).toEqual(['hybrid · top 5', 'hybrid · top 5 (2)']);
    expect(cmp.runs[0]!.summary).toEqual(summarizeRun(r1.results, 5));
    const s = cmp.runs[0]!.summary;
    expect(cmp.answers.filter((a) => a.run === 'hybrid · top 5')).toEqual([
      { run: 'hybrid · top 5', measure: 'facts', side: 'without', value: s.facts.plain },
      { run: 'hybrid · top 5', measure: 'facts', side: 'with', value: s.facts.grounded },
      { run: 'hybrid · top 5', measure: 'f1', side: 'without', value: s.f1.plain },
      { run: 'hybrid · top 5', measure: 'f1', side: 'with', value: s.f1.grounded },
    ]);
    expect(compareRuns([{ ...r1, run: { ...r1.run, label: ' ' } }]).runs[0]!.name).toBe('Run 1');
  });

  it('shows hit@k at every cut-off of either run, and none past a run’s own top k', () => {
    expect(cmp.ks).toEqual([1, 3, 5]);
    // Run 1 (top 5): evidence ranks 1, 0, 2.
    expect(cmp.hits.filter((h) => h.run === 'hybrid · top 5').map((h) => h.value)).toEqual([1 / 3, 2 / 3, 2 / 3]);
    // Run 2 (top 3): evidence ranks 1, 3, 0; nothing measured at 5.
    expect(cmp.hits.filter((h) => h.run !== 'hybrid · top 5').map((h) => h.value)).toEqual([1 / 3, 2 / 3, null]);
    // A cut-off only another run has is computed by summarizeRun's definition.
    const wide = compareRuns([r1, { ...r2, run: makeRun({ id: 'r3', label: 'top 10' }, 10) }]);
    expect(wide.ks).toEqual([1, 3, 5, 10]);
    expect(wide.hits.find((h) => h.run === 'top 10' && h.k === 5)!.value).toBe(summarizeRun(second, 5).hit[5]);
  });

  it('has each question’s outcome per run, and the questions either run missed with each run’s rank', () => {
    expect(cmp.questions.map((q) => q.n)).toEqual([1, 2, 3]);
    expect(cmp.outcomes.filter((o) => o.run === 'hybrid · top 5').map((o) => o.outcome)).toEqual(['win', 'tie', 'loss']);
    expect(cmp.missed).toEqual([
      {
        n: 2,
        question: 'Who audits the company?',
        ranks: [
          { run: 'hybrid · top 5', rank: 0, missed: true },
          { run: 'hybrid · top 5 (2)', rank: 3, missed: false },
        ],
      },
      {
        n: 3,
        question: 'What was the gross margin?',
        ranks: [
          { run: 'hybrid · top 5', rank: 2, missed: false },
          { run: 'hybrid · top 5 (2)', rank: 0, missed: true },
        ],
      },
    ]);
    // A question whose reference declines is never missed; a run without a result for it has no rank.
    const declined = threeResults('r4');
    declined[1]!.retrieval.declined = true;
    const partial = compareRuns([
      { ...r1, results: declined },
      { run: r2.run, results: second.slice(0, 2) },
    ]);
    expect(partial.missed).toEqual([]);
    expect(
      compareRuns([
        { run: r1.run, results: declined.slice(0, 1) },
        { run: r2.run, results: second },
      ]).missed[0]!.ranks[0],
    ).toEqual({ run: 'hybrid · top 5', rank: null, missed: false });
  });
});

describe('the charts', () => {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const palette: Palette = {
    text: '#1d2126',
    muted: '#5b6470',
    track: '#eef0f3',
    plain: '#5b6470',
    onPlain: '#ffffff',
    grounded: '#2a63c8',
    onGrounded: '#ffffff',
    win: '#177a42',
    loss: '#c43d3d',
    onOutcome: '#ffffff',
    tie: '#eef0f3',
    onTie: '#1d2126',
    surface: '#ffffff',
  };
  const cmp = compareRuns([r1, r2]);
  const wide = { width: 960, em: 16, document: document as unknown as Document };
  const narrow = { width: 400, em: 20, document: document as unknown as Document };
  const texts = (svg: SVGSVGElement): string[] => [...svg.querySelectorAll('text')].map((t) => t.textContent ?? '');

  it('are named images in the page’s text size, without an inline <style>', () => {
    for (const draw of [answersChart, retrievalChart, winsChart]) {
      const svg = draw(Plot, cmp, wide, palette);
      expect(svg.getAttribute('role')).toBe('img');
      expect(svg.getAttribute('aria-label')).toMatch(/table above/);
      expect(svg.querySelector('style')).toBeNull();
      expect(svg.querySelector('[aria-label]')).toBeNull();
      expect(svg.getAttribute('style')).toMatch(/font-size: ?16px/);
    }
  });

  it('label every bar with its figure and side, and every cell with its outcome’s symbol', () => {
    const s = cmp.runs[0]!.summary;
    const answers = texts(answersChart(Plot, cmp, wide, palette));
    expect(answers).toContain(`model only ${Math.round(s.facts.plain * 100)}%`);
    expect(answers).toContain(`+ documents ${Math.round(s.facts.grounded * 100)}%`);
    expect(answers).toContain(`+ documents ${s.f1.grounded.toFixed(2)}`);
    expect(answers).toContain('Key facts held');
    const retrieval = texts(retrievalChart(Plot, cmp, wide, palette));
    expect(retrieval).toContain('hit@3 67%');
    expect(retrieval).toContain('hit@5: not measured (top 3)');
    const wins = winsChart(Plot, cmp, wide, palette);
    expect(wins.querySelectorAll('rect')).toHaveLength(6);
    expect(
      texts(wins)
        .filter((t) => ['+', '−', '='].includes(t))
        .sort(),
    ).toEqual(['+', '+', '=', '=', '−', '−']);
    expect(wins.querySelector(`rect[fill="${palette.win}"]`)).not.toBeNull();
  });

  it('put run labels above their bars when narrow', () => {
    const svg = answersChart(Plot, cmp, narrow, palette);
    expect(texts(svg)).toContain('hybrid · top 5 (2)');
    expect(texts(svg).join(' ')).toMatch(/Token F1\s*\+ documents/);
    expect(Number(svg.getAttribute('width'))).toBe(400);
    // Many questions: cells keep half an em, and the chart scrolls.
    const many = compareRuns([{ run: r1.run, results: Array.from({ length: 200 }, (_, i) => ({ ...r1.results[i % 3]!, index: i })) }]);
    expect(Number(winsChart(Plot, many, narrow, palette).getAttribute('width'))).toBeGreaterThan(200 * 10);
  });

  it('wrap labels at word boundaries, separators ending a line', () => {
    expect(wrap('hybrid · top 10 · rerank · Qwen2.5-1.5B', 10)).toEqual(['hybrid · top', '10 · rerank ·', 'Qwen2.5-1.5B']);
    expect(wrap('keyword · top 3', 5)).toEqual(['keyword ·', 'top 3']);
    expect(wrap('short', 10)).toEqual(['short']);
    expect(wrap('', 10)).toEqual(['']);
  });
});
