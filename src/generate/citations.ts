/**
 * Citation markers in an answer: "[1]", "[2][3]", "[1, 3]", "[2-4]" become references to the
 * numbered passages of the grounded prompt, so the view can turn them into links to the passage.
 * Pure and DOM-free; works on partial text while the answer streams.
 *
 * Not citations: Markdown links ("[1](https://…)"), footnote labels ("[^1]"), and numbers outside
 * 1..999. A marker naming a passage that was not in the prompt is kept, flagged `unknown`, so the
 * view can show it as a citation to nothing rather than hide it.
 */

export type AnswerPart = { kind: 'text'; text: string } | { kind: 'cite'; raw: string; passages: number[]; unknown: number[] };

/** Largest range a marker may span ("[1-999]" is not a citation anyone means). */
const MAX_RANGE = 20;

// A bracket holding numbers separated by commas, "and" or dashes, not followed by "(" (a link).
const MARKER = /\[(\d{1,3}(?:\s*(?:,|–|-|and)\s*\d{1,3})*)\](?!\()/g;

function numbers(inner: string): number[] | null {
  const out: number[] = [];
  for (const piece of inner.split(/\s*(?:,|and)\s*/)) {
    const range = /^(\d+)\s*[–-]\s*(\d+)$/.exec(piece);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a || b - a > MAX_RANGE) return null;
      for (let n = a; n <= b; n++) out.push(n);
    } else if (/^\d+$/.test(piece)) out.push(Number(piece));
    else return null;
  }
  return out.every((n) => n >= 1) ? [...new Set(out)] : null;
}

/** Splits an answer into text and citation parts; `passageCount` is k, the passages in the prompt. */
export function parseCitations(answer: string, passageCount: number): AnswerPart[] {
  const parts: AnswerPart[] = [];
  let last = 0;
  for (const m of answer.matchAll(MARKER)) {
    const found = numbers(m[1]!);
    if (!found) continue;
    if (m.index > last) parts.push({ kind: 'text', text: answer.slice(last, m.index) });
    parts.push({ kind: 'cite', raw: m[0], passages: found, unknown: found.filter((n) => n > passageCount) });
    last = m.index + m[0].length;
  }
  if (last < answer.length) parts.push({ kind: 'text', text: answer.slice(last) });
  return parts;
}

/** The passage numbers an answer cites (valid ones only), in order of first citation. */
export function citedPassages(answer: string, passageCount: number): number[] {
  const seen = new Set<number>();
  for (const p of parseCitations(answer, passageCount)) {
    if (p.kind === 'cite') for (const n of p.passages) if (n <= passageCount) seen.add(n);
  }
  return [...seen];
}
