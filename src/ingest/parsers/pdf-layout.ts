/**
 * PDF layout, from positioned text runs to blocks and headings, free of pdf.js so it can be tested
 * with made-up runs. pdf.ts feeds it each page's runs (text, position, size, bold).
 *
 * Reading order: pdf.js returns text runs in content-stream order, which is the author's order for
 * nearly every producer (and keeps columns apart, where sorting by position would interleave them).
 * Runs are joined into lines by their baseline (and `hasEOL`), with a space where the horizontal gap
 * says there is one; lines into paragraphs where the vertical gap is larger than the page's usual
 * line spacing, the text moves up (a new column), the font size changes or boldness changes
 * (a heading line over body text).
 *
 * Page furniture: a line that opens or closes most pages, the same but for its digits (running
 * headers and footers such as "Apple Inc. | Q3 2023 Form 10-Q | 16", "Table of Contents", page
 * numbers), is dropped from the text, where it would land in the middle of whatever passage spans
 * the page break. The most repeated one is kept as the document's running title: it often names
 * the document better than its file name does.
 *
 * Headings from the layout (most PDFs have no outline, and an outline rarely reaches down to the
 * captions of tables): a short block set in a heading style, i.e. larger than the body text or
 * bold at about its size, that reads as words (not a bold "Total" row of a table, not a label
 * ending in ":"), is a heading. Levels follow the styles: larger first, then bold.
 * Measured on the 10-Q dev set: see the issue note for the share of chunks that gained a heading
 * path and what it did to retrieval.
 */

export interface Run {
  str: string;
  x: number;
  y: number;
  width: number;
  size: number;
  bold: boolean;
  hasEOL: boolean;
}

export interface Line {
  text: string;
  x: number;
  y: number;
  size: number;
  /** Every visible character of the line is set in a bold font. */
  bold: boolean;
}

export interface Paragraph {
  text: string;
  size: number;
  bold: boolean;
  lines: number;
}

/** Runs → visual lines (baseline and explicit end-of-line marks). */
export function runsToLines(runs: readonly Run[]): Line[] {
  const lines: Line[] = [];
  let cur: { text: string; x: number; y: number; size: number; xEnd: number; bold: boolean; visible: boolean } | null = null;
  const close = (): void => {
    if (cur && cur.text.trim())
      lines.push({ text: cur.text.replace(/\s+/g, ' ').trim(), x: cur.x, y: cur.y, size: cur.size, bold: cur.bold });
    cur = null;
  };
  for (const r of runs) {
    if (r.str === '' && !r.hasEOL) continue;
    if (cur && Math.abs(r.y - cur.y) > 0.5 * Math.max(r.size, cur.size)) close();
    const visible = r.str.trim() !== '';
    if (!cur) {
      cur = { text: r.str, x: r.x, y: r.y, size: r.size, xEnd: r.x + r.width, bold: r.bold || !visible, visible };
    } else {
      const gap = r.x - cur.xEnd;
      const needsSpace = gap > 0.15 * Math.min(r.size, cur.size) && !/\s$/.test(cur.text) && !/^\s/.test(r.str);
      cur.text += (needsSpace ? ' ' : '') + r.str;
      cur.xEnd = Math.max(cur.xEnd, r.x + r.width);
      if (visible) {
        // The first visible run sets the line's size and weight; later ones can only lift the size
        // or clear the weight (one regular word makes the line regular).
        cur.size = cur.visible ? Math.max(cur.size, r.size) : r.size;
        cur.bold = (cur.visible ? cur.bold : true) && r.bold;
        cur.visible = true;
      }
    }
    if (r.hasEOL) close();
  }
  close();
  return lines;
}

/** Lower quartile: the usual line spacing even on a page with few lines and many paragraph gaps. */
function lowerQuartile(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 4)]!;
}

/** Joins a word hyphenated across a line break ("exam-" + "ple"), and soft hyphens. */
function joinLines(a: string, b: string): string {
  if (/\u00ad$/.test(a)) return a.slice(0, -1) + b;
  if (/\p{Ll}-$/u.test(a) && /^\p{Ll}/u.test(b)) return a.slice(0, -1) + b;
  return `${a}\n${b}`;
}

/** Lines → paragraphs: a larger gap, a move up, a change of size or weight, or an indent starts one. */
export function linesToParagraphs(lines: readonly Line[]): Paragraph[] {
  const gaps = [];
  for (let i = 1; i < lines.length; i++) {
    const dy = lines[i - 1]!.y - lines[i]!.y;
    if (dy > 0 && Math.abs(lines[i - 1]!.size - lines[i]!.size) < 0.5) gaps.push(dy);
  }
  const spacing = lowerQuartile(gaps);
  const paras: Paragraph[] = [];
  let cur: Paragraph | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (cur && i > 0) {
      const prev = lines[i - 1]!;
      const dy = prev.y - line.y;
      const sizeChange = Math.abs(line.size - prev.size) > 0.2 * Math.max(line.size, prev.size);
      // A first-line indent (within a few ems; more is a new column or a table cell).
      const indent = line.x - prev.x;
      const indented = indent > 0.8 * line.size && indent < 6 * line.size;
      const breakHere =
        dy < -0.5 * line.size || dy > Math.max(spacing * 1.4, line.size * 1.8) || sizeChange || indented || line.bold !== prev.bold;
      if (!breakHere) {
        cur.text = joinLines(cur.text, line.text);
        cur.size = Math.max(cur.size, line.size);
        cur.lines++;
        continue;
      }
      paras.push(cur);
    }
    cur = { text: line.text, size: line.size, bold: line.bold, lines: 1 };
  }
  if (cur) paras.push(cur);
  return paras;
}

/** A line's text with its digits generalised, so "Page 3" and "Page 4" compare equal. */
const furnitureKey = (text: string): string => text.replace(/\d+/g, '#').replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * Lines this close to a page's top or bottom are candidates for furniture. Range 1..4; default 2
 * (a running header often has a second line, e.g. a section name under the document title).
 */
const FURNITURE_EDGE_LINES = 2;
/** Share of pages a line must open or close to count as furniture. Range 0.3..1; default 0.5. */
const FURNITURE_MIN_SHARE = 0.5;
/** Furniture is short: longer lines are text that happens to repeat. Range 40..300 characters; default 120. */
const FURNITURE_MAX_CHARS = 120;

export interface Furniture {
  /** Normalised keys of lines to drop (see furnitureKey). */
  keys: Set<string>;
  /**
   * The most repeated furniture line with words, its numbers kept where they are the same on every
   * page (the year and quarter stay, the page number goes): e.g. "Apple Inc. | Q3 2023 Form 10-Q".
   */
  runningTitle?: string;
}

/** Numbers a furniture line may hold ("Apple Inc. | Q3 2023 Form 10-Q | 16" has four). Range 2..8; default 4. */
const FURNITURE_MAX_NUMBERS = 4;

/** Furniture that navigates rather than names the document: dropped from the text, never a running title. */
const NAVIGATION = /^(?:table of contents|contents|index|back to (?:top|contents)|return to (?:top|contents)|page|continued)$/i;

/**
 * Finds running headers and footers across pages (needs 3 pages or more). A line with more than
 * FURNITURE_MAX_NUMBERS numbers is never furniture: a table row that happens to close many pages is content.
 */
export function findFurniture(pages: ReadonlyArray<readonly Line[]>): Furniture {
  const keys = new Set<string>();
  const withText = pages.filter((p) => p.length > 0);
  if (withText.length < 3) return { keys };
  const counts = new Map<string, { pages: number; samples: string[] }>();
  for (const lines of withText) {
    const seen = new Set<string>();
    const edge = [...lines.slice(0, FURNITURE_EDGE_LINES), ...lines.slice(-FURNITURE_EDGE_LINES)];
    for (const l of edge) {
      if (l.text.length > FURNITURE_MAX_CHARS) continue;
      const k = furnitureKey(l.text);
      if (seen.has(k) || (k.match(/#/g) ?? []).length > FURNITURE_MAX_NUMBERS) continue;
      seen.add(k);
      const c = counts.get(k) ?? { pages: 0, samples: [] };
      c.pages++;
      c.samples.push(l.text);
      counts.set(k, c);
    }
  }
  let best: { pages: number; samples: string[]; letters: number } | null = null;
  for (const [k, c] of counts) {
    if (c.pages < Math.max(3, FURNITURE_MIN_SHARE * withText.length)) continue;
    keys.add(k);
    const sample = c.samples[0]!.trim();
    if (!/\p{L}{3,}/u.test(sample) || NAVIGATION.test(sample.replace(/[\s\d|–—-]+$/u, '').trim())) continue;
    // The most repeated; among equals, the one that says most (more letters).
    const letters = (sample.match(/\p{L}/gu) ?? []).length;
    if (!best || c.pages > best.pages || (c.pages === best.pages && letters > best.letters)) best = { ...c, letters };
  }
  const out: Furniture = { keys };
  if (best) {
    const title = steadyNumbers(best.samples);
    if (title) out.runningTitle = title;
  }
  return out;
}

/**
 * A repeated line with the numbers that change from page to page (the page number) taken out and
 * the ones every page shares (a year, a quarter) kept, separators left dangling at the ends trimmed.
 */
function steadyNumbers(samples: readonly string[]): string {
  const parts = samples.map((s) => s.split(/(\d+)/));
  const first = parts[0]!;
  const kept = first.map((piece, i) => (i % 2 === 1 && parts.some((p) => p[i] !== piece) ? '' : piece));
  return kept
    .join('')
    .replace(/\s+/g, ' ')
    .replace(/^[\s|–—-]+|[\s|–—-]+$/g, '')
    .replace(/\s*[|–—-]\s*(?=[|–—-])/g, '')
    .trim();
}

/** Drops furniture lines from a page's edges. */
export function withoutFurniture(lines: readonly Line[], furniture: Furniture): Line[] {
  if (furniture.keys.size === 0) return [...lines];
  const n = lines.length;
  return lines.filter((l, i) => !((i < FURNITURE_EDGE_LINES || i >= n - FURNITURE_EDGE_LINES) && furniture.keys.has(furnitureKey(l.text))));
}

/** A block longer than this many words is body text, whatever its style. Range 8..40; default 20. */
const HEADING_MAX_WORDS = 20;
/** Larger than the body text by this factor reads as a heading. Range 1.05..1.5; default 1.15. */
const HEADING_SIZE_RATIO = 1.15;

/** The style most of the characters are set in: size (to half a point) and weight. */
export function bodyStyle(paragraphs: Iterable<Paragraph>): { size: number; bold: boolean } {
  const tally = new Map<string, number>();
  for (const p of paragraphs) {
    const k = `${Math.round(p.size * 2) / 2}|${p.bold ? 1 : 0}`;
    tally.set(k, (tally.get(k) ?? 0) + p.text.length);
  }
  let best = '0|0';
  let most = -1;
  for (const [k, n] of tally) {
    if (n > most) {
      best = k;
      most = n;
    }
  }
  const [size, bold] = best.split('|');
  return { size: Number(size), bold: bold === '1' };
}

/** Whether a block reads as a heading rather than a table row, a label or a sentence of body text. */
export function looksLikeHeading(p: Paragraph, body: { size: number; bold: boolean }): boolean {
  const larger = p.size >= body.size * HEADING_SIZE_RATIO;
  const boldAtBodySize = p.bold && !body.bold && p.size >= body.size * 0.9;
  if (!larger && !boldAtBodySize) return false;
  const text = p.text.replace(/\n/g, ' ').trim();
  const words = text.split(/\s+/);
  if (words.length > HEADING_MAX_WORDS || p.lines > 4) return false;
  // Reads as words: letters outnumber digits and symbols (a bold "Total net sales 81,797 82,959" row does not).
  const letters = (text.match(/\p{L}/gu) ?? []).length;
  const others = (text.match(/[^\p{L}\s]/gu) ?? []).length;
  if (letters < 3 || letters < 2 * others) return false;
  // A label introducing a list or table rows ("Operating expenses:"), or a sentence, is not a heading.
  if (/[:;,]$/.test(text) || /[a-z]\.$/.test(text)) return false;
  // A remark in parentheses ("(in millions)", "(unaudited)") qualifies the heading above it.
  if (!/^[\p{Lu}\p{N}“"'‘]/u.test(text)) return false;
  return true;
}

/**
 * Heading blocks of one page. Besides `looksLikeHeading`, a run of TABLE_HEADER_RUN or more heading-
 * styled blocks of at most 3 words each is a table's column headers ("Adjusted", "Cost",
 * "Unrealized", "Gains"), not a cascade of sections.
 */
export function pageHeadings(paras: readonly Paragraph[], body: { size: number; bold: boolean }): Paragraph[] {
  const out: Paragraph[] = [];
  let run: Paragraph[] = [];
  const flush = (): void => {
    if (run.length < TABLE_HEADER_RUN) out.push(...run);
    run = [];
  };
  for (const p of paras) {
    if (!looksLikeHeading(p, body)) {
      flush();
      continue;
    }
    if (p.text.split(/\s+/).length > 3) {
      flush();
      out.push(p);
    } else run.push(p);
  }
  flush();
  return out;
}

/** Consecutive short heading-styled blocks from this many on are a table's column headers. Range 2..6; default 3. */
const TABLE_HEADER_RUN = 3;

/** A numbered heading ("Note 3 – ...", "Item 1A.", "PART II", "4.2 Results") opens a unit that plain headings of its style sit in. */
const NUMBERED =
  /^(?:(?:part|item|note|section|chapter|article|appendix|schedule|exhibit)\s+(?:\d+|[ivxlc]+)[a-z]?\b|\d+(?:\.\d+)*[.)]?\s+\p{L})/iu;

/**
 * Heading level per style: larger sizes first, then bold, then numbered before plain at the same
 * size and weight (so "Derivative Instruments" sits under "Note 3 – Financial Instruments"); at most
 * 6 levels. All-caps is not a level of its own: in filings that would put every note under the last
 * all-caps statement title.
 */
export function headingLevels(headings: readonly Paragraph[]): (p: Paragraph) => number {
  const key = (p: Paragraph): string => `${Math.round(p.size * 2) / 2}|${p.bold ? 1 : 0}|${NUMBERED.test(p.text) ? 1 : 0}`;
  const styles = [...new Set(headings.map(key))]
    .map((k) => k.split('|').map(Number) as [number, number, number])
    .sort((a, b) => b[0] - a[0] || b[1] - a[1] || b[2] - a[2])
    .map((s) => s.join('|'));
  return (p) => Math.min(6, styles.indexOf(key(p)) + 1);
}
