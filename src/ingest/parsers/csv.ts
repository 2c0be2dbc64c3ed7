/**
 * CSV / TSV exports: each data row becomes one block of "column: value" lines, so a question about
 * one row retrieves that row with its column names. papaparse handles quoting (commas and newlines
 * inside quotes) and guesses the delimiter (comma, tab, semicolon, pipe). A file whose first row
 * does not look like a header gets "Column 1", "Column 2", ... as names. Empty cells are skipped.
 */

import Papa from 'papaparse';
import { decodeText } from '../encoding';
import { extensionOf } from '../sniff';
import type { ParsedDocument, ParseOptions, Parser } from '../types';
import { TextBuilder } from './blocks';

const NUMBER = /^[-+]?(\d[\d,. ']*)?\d(e[-+]?\d+)?%?$/i;
const DATE = /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}/;

/** A header row: every cell filled, distinct, short, and none of them a number or a date. */
export function looksLikeHeader(rows: string[][]): boolean {
  const first = rows[0];
  if (!first || rows.length < 2) return false;
  const cells = first.map((c) => c.trim());
  if (cells.some((c) => c === '' || c.length > 100 || NUMBER.test(c) || DATE.test(c))) return false;
  return new Set(cells).size === cells.length;
}

export const csvParser: Parser = {
  format: 'csv',
  async parse(bytes: Uint8Array, opts: ParseOptions): Promise<ParsedDocument> {
    const { text, encoding } = await decodeText(bytes);
    const ext = extensionOf(opts.name);
    const result = Papa.parse<string[]>(text, {
      delimiter: ext === 'tsv' || ext === 'tab' ? '\t' : '',
      skipEmptyLines: 'greedy',
    });
    const rows = result.data.filter((r) => Array.isArray(r) && r.some((c) => c.trim() !== ''));
    const header = looksLikeHeader(rows);
    const names = header ? rows[0]!.map((c) => c.trim()) : [];
    const out = new TextBuilder();
    for (const row of header ? rows.slice(1) : rows) {
      const lines: string[] = [];
      row.forEach((cell, i) => {
        const v = cell.trim();
        if (v) lines.push(`${names[i] || `Column ${i + 1}`}: ${v}`);
      });
      out.block(lines.join('\n'));
    }
    const warnings: string[] = [];
    const broken = result.errors.filter((e) => e.type === 'Quotes').length;
    if (broken > 0) warnings.push(`${broken} row${broken === 1 ? '' : 's'} had unbalanced quotes and may be merged with the next.`);
    return out.build('csv', { encoding, warnings });
  },
};
