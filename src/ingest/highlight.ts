/**
 * Where a passage sits on its page, as rectangles to highlight: found in the page's own text runs
 * (pdf.js text items for a born-digital page, OCR's words for a scanned one), so the highlight is
 * over the words the viewer shows, not a guess. DOM-free and pure: the viewer hands in runs with
 * their boxes as fractions of the page, and draws the rectangles at any size.
 *
 * The passage's text and the page's runs differ in everything but their letters and digits: the
 * parser joined lines and paragraphs, dropped running headers, and OCR's spacing is its own. So
 * both are compared as lower-case letters and digits only. A passage crossing a page break is on
 * each page only in part: its start is looked for on the first page (highlighted from there to the
 * page's end or the passage's length), its end on the last.
 */

/** A run of text with its box, in fractions of the page (0..1, origin top left). */
export interface TextRun {
  str: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Fewest letters and digits of a passage's start (or end) that place it on a page. Range 6..60;
 * default 12: a passage crossing a page break may leave only a line on one page, and twelve
 * characters rarely repeat on one page; where they do, the place matching most of the passage wins.
 */
export const MIN_ANCHOR_CHARS = 12;

const keep = (ch: string): boolean => /[\p{L}\p{N}]/u.test(ch);

/** The page's letters and digits, lower case, each mapped back to its run and its index among the run's kept characters. */
function flatten(runs: readonly TextRun[]): { text: string; run: number[]; at: number[]; counts: number[] } {
  let text = '';
  const run: number[] = [];
  const at: number[] = [];
  const counts: number[] = [];
  runs.forEach((r, i) => {
    let n = 0;
    for (const ch of r.str.toLowerCase()) {
      if (!keep(ch)) continue;
      text += ch;
      run.push(i);
      at.push(n++);
    }
    counts.push(n);
  });
  return { text, run, at, counts };
}

function squash(s: string): string {
  let out = '';
  for (const ch of s.toLowerCase()) if (keep(ch)) out += ch;
  return out;
}

/**
 * The rectangles over the part of `passage` on this page: one per run touched, cut to the
 * characters inside the passage (in proportion, as a run's letters are about equally wide).
 * Empty when the passage is not found on the page.
 */
export function highlightRuns(runs: readonly TextRun[], passage: string): Rect[] {
  const page = flatten(runs);
  const want = squash(passage);
  if (!want || !page.text) return [];
  let from: number;
  let to: number;
  const whole = page.text.indexOf(want);
  if (whole >= 0) {
    from = whole;
    to = whole + want.length;
  } else {
    const start = longestRun(page.text, want, 'forward');
    const end = longestRun(page.text, want, 'backward');
    // The passage's start on this page (it goes on over the break), else its end (it began before).
    if (start && (!end || start.length >= end.length)) {
      from = start.at;
      to = Math.min(page.text.length, start.at + start.length);
    } else if (end) {
      to = end.at;
      from = end.at - end.length;
    } else return [];
  }
  // Per run: the first and last of its kept characters inside [from, to).
  const spans = new Map<number, { first: number; last: number }>();
  for (let k = from; k < to; k++) {
    const r = page.run[k]!;
    const s = spans.get(r);
    if (s) s.last = page.at[k]!;
    else spans.set(r, { first: page.at[k]!, last: page.at[k]! });
  }
  return [...spans.entries()].map(([i, s]) => {
    const r = runs[i]!;
    const n = page.counts[i]!;
    const x0 = r.x + (r.width * s.first) / n;
    const x1 = r.x + (r.width * (s.last + 1)) / n;
    return { x: x0, y: r.y, width: x1 - x0, height: r.height };
  });
}

/**
 * Where the passage's start ('forward': its first characters) or end ('backward': its last) lies on
 * the page, by the occurrence matching the most characters of it; `at` is the match's start
 * ('forward') or end ('backward'). Null when not even MIN_ANCHOR_CHARS match.
 */
function longestRun(page: string, want: string, dir: 'forward' | 'backward'): { at: number; length: number } | null {
  if (want.length < MIN_ANCHOR_CHARS) return null;
  const anchor = dir === 'forward' ? want.slice(0, MIN_ANCHOR_CHARS) : want.slice(-MIN_ANCHOR_CHARS);
  let best: { at: number; length: number } | null = null;
  for (let i = page.indexOf(anchor); i >= 0; i = page.indexOf(anchor, i + 1)) {
    let n = 0;
    if (dir === 'forward') while (i + n < page.length && n < want.length && page[i + n] === want[n]) n++;
    else {
      const end = i + MIN_ANCHOR_CHARS;
      while (end - n - 1 >= 0 && n < want.length && page[end - n - 1] === want[want.length - n - 1]) n++;
      if (!best || n > best.length) best = { at: end, length: n };
      continue;
    }
    if (!best || n > best.length) best = { at: i, length: n };
  }
  return best;
}

/** OCR words (boxes in the image's pixels) as runs in fractions of the page. */
export function wordRuns(
  words: ReadonlyArray<{ text: string; box: { x0: number; y0: number; x1: number; y1: number } }>,
  width: number,
  height: number,
): TextRun[] {
  return words.map((w) => ({
    str: w.text,
    x: w.box.x0 / width,
    y: w.box.y0 / height,
    width: (w.box.x1 - w.box.x0) / width,
    height: (w.box.y1 - w.box.y0) / height,
  }));
}
