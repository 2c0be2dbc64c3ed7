/**
 * Builds a ParsedDocument's text from blocks, the way every parser must lay it out: blocks joined
 * by one blank line, lines inside a block by "\n", no "\r", headings recorded as offsets of their
 * first character, pages as [start, end) ranges. Parsers only say "here is a block / a heading /
 * a new page"; the offsets are computed in one place.
 */

import type { DocFormat, HeadingMark, PageSpan, ParsedDocument } from '../types';

/** Collapses runs of blanks (incl. NBSP) to one space per line, trims lines, drops empty lines. */
export function cleanBlock(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[\s\u00a0\u2000-\u200b\u3000]+/g, ' ').trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

/** Keeps indentation (code, preformatted text) but drops trailing blanks and blank lines. */
export function cleanPreformatted(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '    ')
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .filter((line) => line.length > 0)
    .join('\n');
}

export class TextBuilder {
  private readonly parts: string[] = [];
  private len = 0;
  readonly headings: HeadingMark[] = [];
  readonly pages: PageSpan[] = [];

  get length(): number {
    return this.len;
  }

  /** Appends one block (already cleaned, or cleaned here); empty blocks are skipped. Returns its start, or -1. */
  block(text: string, preformatted = false): number {
    const t = preformatted ? cleanPreformatted(text) : cleanBlock(text);
    if (!t) return -1;
    if (this.len > 0) {
      this.parts.push('\n\n');
      this.len += 2;
    }
    const start = this.len;
    this.parts.push(t);
    this.len += t.length;
    return start;
  }

  heading(level: number, text: string): void {
    const t = cleanBlock(text).replace(/\n/g, ' ');
    const start = this.block(t);
    if (start >= 0) this.headings.push({ level: Math.min(6, Math.max(1, level)), text: t, start });
  }

  /** Opens page `number` at the current end of the text (a PDF page; 1-based). */
  startPage(number: number): void {
    this.endPage();
    // The separator belongs before the page's first block: open the span where that block will start.
    this.pages.push({ number, start: this.len > 0 ? this.len + 2 : 0, end: -1 });
  }

  private endPage(): void {
    const last = this.pages[this.pages.length - 1];
    if (last && last.end < 0) {
      // A page with no text: an empty span where it would have been.
      if (this.len < last.start) last.start = this.len;
      last.end = this.len;
    }
  }

  get text(): string {
    return this.parts.join('');
  }

  build(format: DocFormat, extra: Partial<ParsedDocument> = {}): ParsedDocument {
    this.endPage();
    const doc: ParsedDocument = { format, text: this.text, headings: this.headings, warnings: [], ...extra };
    if (this.pages.length > 0) doc.pages = this.pages;
    return doc;
  }
}
