/**
 * Finding a passage on its page (src/ingest/highlight.ts): over the right runs, cut to the
 * passage's characters, whatever the spacing and punctuation, and in part on each page of a
 * passage that crosses a page break.
 */
import { describe, expect, it } from 'vitest';
import { highlightRuns, wordRuns, type TextRun } from '../../src/ingest/highlight';

/** Runs laid out as lines of words, each word 0.1 wide, lines 0.05 apart. */
function lines(...text: string[]): TextRun[] {
  return text.flatMap((line, row) =>
    line.split(' ').map((w, col) => ({ str: w, x: 0.1 + col * 0.12, y: 0.1 + row * 0.05, width: 0.1, height: 0.03 })),
  );
}

describe('a passage on its page', () => {
  const page = lines(
    'Annual report of the harbour board.',
    'Repairs to the northern breakwater began in March;',
    'the contractor replaced forty blocks.',
    'Page 7',
  );

  it('highlights the runs of a passage found whole, ignoring its own line breaks, spacing and punctuation', () => {
    const rects = highlightRuns(page, 'Repairs to the northern breakwater began in March. The contractor replaced forty blocks');
    expect(rects).toHaveLength(8 + 5);
    expect(rects[0]!.x).toBeCloseTo(0.1, 9);
    expect(rects[0]!.y).toBeCloseTo(0.15, 9);
    expect(rects[0]!.width).toBeCloseTo(0.1, 9);
    // Nothing from the line above or the page number below.
    expect(rects.every((r) => r.y > 0.149 && r.y < 0.201)).toBe(true);
  });

  it('cuts a run to the characters inside the passage', () => {
    // "harbour board." holds "board" (5 of its 5 letters); "report" only in part: "port" of "report".
    const [first] = highlightRuns(page, 'port of the harbour');
    expect(first!.x).toBeCloseTo(0.1 + 0.12 + (0.1 * 2) / 6, 6);
    expect(first!.width).toBeCloseTo((0.1 * 4) / 6, 6);
  });

  it('finds the start of a passage on its first page and its end on the next', () => {
    const passage = 'the contractor replaced forty blocks. Work resumes in April after the storms have passed over the coast.';
    const next = lines('Work resumes in April after the storms', 'have passed over the coast.', 'Other news.');
    expect(highlightRuns(page, passage).map((r) => page.findIndex((p) => p.x === r.x && p.y === r.y))).toEqual([14, 15, 16, 17, 18]);
    const end = highlightRuns(next, passage);
    expect(end).toHaveLength(7 + 5);
    expect(end.every((r) => r.y < 0.151)).toBe(true);
  });

  it('finds nothing for a passage from another page', () => {
    expect(highlightRuns(page, 'A quite different paragraph about bread and yeast that is nowhere on this page at all.')).toEqual([]);
    expect(highlightRuns([], 'anything')).toEqual([]);
  });

  it('takes OCR words with pixel boxes as runs in fractions of the image', () => {
    const runs = wordRuns([{ text: 'tide', box: { x0: 124, y0: 80, x1: 248, y1: 120 } }], 1240, 400);
    expect(runs).toEqual([{ str: 'tide', x: 0.1, y: 0.2, width: 0.1, height: 0.1 }]);
  });
});
