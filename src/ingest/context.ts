/**
 * What a chunk is indexed and embedded as: its own text, preceded by where it sits, so a passage
 * cut from the middle of a long document still says which document and section it belongs to.
 *
 *   <document label>
 *   <heading › path>
 *
 *   <chunk text>
 *
 * Why: a passage of "Total net sales 81,797 82,959 ..." never names the company, the period or
 * the statement it belongs to, and real collections hold many look-alike documents (four quarters
 * of one company's filings). Measured on the 10-Q dev set (rag-eval, bm25, 256-token chunks): see
 * the issue note for the figures this change was kept for.
 *
 * The context is computed once at ingest and stored with the chunk (`Chunk.context`), so keyword
 * entries, embeddings and a reranker all see the same text, and the text itself stays an exact
 * slice of the document (citations and highlighting rely on that).
 */

import type { Chunk } from './types';

/** Longest heading path kept in the context, in characters (innermost headings kept). Range 40..400; default 160. */
export const MAX_CONTEXT_HEADINGS_CHARS = 160;
/**
 * Longest document label, in characters: with the heading path, the context stays at about 40–80
 * tokens, so a 384-token chunk with it fits a 512-token embedding input. Range 40..300; default 120.
 */
export const MAX_LABEL_CHARS = 120;

/**
 * The document as people name it: the file name without its extension, separators as spaces, then
 * each description the document gives of itself (its title, a PDF's running header) when it reads
 * as words and says more than what is already there. (PDF producers often fill the title with an
 * internal id, such as a filing's accession number, which says nothing.)
 */
export function documentLabel(name: string, ...descriptions: Array<string | undefined>): string {
  const base = name
    .replace(/^.*[\\/]/, '')
    .replace(/\.[A-Za-z0-9]{1,5}$/, '')
    .replace(/[_]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const parts = [base];
  for (const d of descriptions) {
    const t = (d ?? '').replace(/\s+/g, ' ').trim();
    if (!/\p{L}{3,}/u.test(t) || t.length > 200) continue;
    const lower = t.toLowerCase();
    if (parts.some((p) => p.toLowerCase().includes(lower))) continue;
    const i = parts.findIndex((p) => lower.includes(p.toLowerCase()));
    if (i >= 0) parts[i] = t;
    else parts.push(t);
  }
  const label = parts.join(' — ');
  return label.length <= MAX_LABEL_CHARS ? label : `${label.slice(0, label.lastIndexOf(' ', MAX_LABEL_CHARS - 1))}…`;
}

/** The context line(s) for a chunk of a document labelled `label`. */
export function chunkContext(label: string, headingPath: readonly string[]): string {
  let path = headingPath.join(' › ');
  if (path.length > MAX_CONTEXT_HEADINGS_CHARS) {
    // Keep the innermost headings: they say most about this chunk.
    const kept: string[] = [];
    let len = 0;
    for (const h of [...headingPath].reverse()) {
      if (len + h.length + 3 > MAX_CONTEXT_HEADINGS_CHARS && kept.length > 0) break;
      kept.unshift(h.slice(0, MAX_CONTEXT_HEADINGS_CHARS));
      len += h.length + 3;
    }
    path = kept.join(' › ');
  }
  return path ? `${label}\n${path}` : label;
}

/** The text keyword search and embeddings see for a chunk (its stored text when it has no context). */
export function indexedText(chunk: Pick<Chunk, 'text' | 'context'>): string {
  return chunk.context ? `${chunk.context}\n\n${chunk.text}` : chunk.text;
}
