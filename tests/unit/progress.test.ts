import { describe, expect, expectTypeOf, it } from 'vitest';
import { DownloadTally, fraction, type Progress, type ProgressStage } from '../../src/core/progress';

function assertInvariants(reports: Progress[]): void {
  for (let i = 1; i < reports.length; i++) {
    expect(reports[i]!.loaded).toBeGreaterThanOrEqual(reports[i - 1]!.loaded);
  }
  for (const r of reports) if (r.total > 0) expect(r.loaded).toBeLessThanOrEqual(r.total);
  const last = reports.at(-1)!;
  expect(last.done).toBe(true);
  expect(last.loaded).toBe(last.total);
  expect(fraction(last)).toBe(1);
}

describe('DownloadTally', () => {
  it('sums files announced one after another without ever going backwards', () => {
    const t = new DownloadTally('download', 'm');
    const reports = [
      t.update('config.json', 50, 100),
      t.update('config.json', 100, 100),
      t.update('model.onnx', 0, 1000),
      t.update('model.onnx', 600, 1000),
      t.update('tokenizer.json', 10, 200),
      t.update('model.onnx', 1000, 1000),
      t.update('tokenizer.json', 200, 200),
      t.finish(),
    ];
    assertInvariants(reports);
    expect(reports.at(-1)).toMatchObject({ loaded: 1300, total: 1300, unit: 'bytes', item: 'm' });
  });

  it('ignores stale or repeated reports for a file', () => {
    const t = new DownloadTally();
    t.update('a', 500, 1000);
    const stale = t.update('a', 200, 1000);
    expect(stale.loaded).toBe(500);
  });

  it('never reports loaded above total when a size is unknown (0)', () => {
    const t = new DownloadTally();
    const p = t.update('a', 300, 0);
    expect(p.total).toBeGreaterThanOrEqual(p.loaded);
    assertInvariants([p, t.finish()]);
  });
});

// Type checks: they run in `npm run check` (tsc reads the tests).
describe('Progress', () => {
  it('pairs each stage with the unit(s) it is counted in', () => {
    expectTypeOf<ProgressStage>().toEqualTypeOf<'download' | 'compile' | 'parse' | 'ocr' | 'embed' | 'rerank' | 'index'>();
    expectTypeOf<Extract<Progress, { stage: 'download' }>['unit']>().toEqualTypeOf<'bytes' | 'steps'>();
    expectTypeOf<Extract<Progress, { stage: 'compile' }>['unit']>().toEqualTypeOf<'steps'>();
    expectTypeOf<Extract<Progress, { stage: 'parse' }>['unit']>().toEqualTypeOf<'pages'>();
    expectTypeOf<Extract<Progress, { stage: 'ocr' }>['unit']>().toEqualTypeOf<'pages'>();
    expectTypeOf<Extract<Progress, { stage: 'embed' | 'rerank' }>['unit']>().toEqualTypeOf<'chunks'>();
    expectTypeOf<Extract<Progress, { stage: 'index' }>['unit']>().toEqualTypeOf<'files' | 'chunks'>();
    expectTypeOf(new DownloadTally().finish()).toEqualTypeOf<Extract<Progress, { unit: 'bytes' }>>();
    // @ts-expect-error pages are counted only while parsing.
    const wrong: Progress = { stage: 'embed', unit: 'pages', loaded: 0, total: 1, done: false };
    expect(fraction(wrong)).toBe(0);
  });
});
