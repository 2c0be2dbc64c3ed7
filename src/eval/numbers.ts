/**
 * Numbers as written in prose and tables, with the precision they were written at, so a reference
 * answer's "$88.9 billion" can be found in a table's "88,945" (in millions) and "12.5%" in a
 * column of "12.5". Used by the evidence rule (evidence.ts); DOM-free and dependency-free.
 */

export interface WrittenNumber {
  /** The value in the written unit: "$88.9 billion" → 88.9e9, "12.5%" → 12.5, "(1,254)" → 1254 (sign dropped). */
  value: number;
  /** One unit of the last written digit, in the same unit: "88.9 billion" → 1e8, "88,945" → 1, "12.5%" → 0.1. */
  step: number;
  /** Significant digits as written ("88,945" 5, "$2.8 billion" 2, "6.0" 2, "2,000" 1, "0.28" 2). */
  sig: number;
  percent: boolean;
  /** A scale word followed it (thousand, million, billion, trillion): its multiplier is in `value`. */
  scaled: boolean;
  currency: boolean;
  /** [start, end) of the match in the text. */
  start: number;
  end: number;
}

const SCALES: Record<string, number> = { thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12, k: 1e3, m: 1e6, mn: 1e6, bn: 1e9 };

// An optional currency sign, an optional "(" (accounting negatives), digits with thousands
// separators or plain, decimals, then an optional percent sign or scale word. Lookarounds keep
// numbers glued to letters out ("Q3", "10-Q", "1A", "F-150"), and decimals ("1.2.3") whole.
const NUMBER =
  /(?<![\p{L}\p{N}.,\-–])([$€£¥]\s?)?\(?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\)?(?:\s?(%|percent\b|per cent\b)|\s(thousand|million|billion|trillion)\b|(k|m|mn|bn)\b)?(?![\p{L}\p{N}]|[-–]\p{L}|\.\d)/giu;

/** Every number written in `text`, in order. */
export function numbersIn(text: string): WrittenNumber[] {
  const out: WrittenNumber[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const [whole, cur, intPart, decPart, pct, scaleWord, scaleAbbrev] = m;
    const digits = intPart!.replace(/,/g, '');
    const decimals = decPart ? decPart.slice(1) : '';
    const word = (scaleWord ?? scaleAbbrev ?? '').toLowerCase();
    const scale = word ? (SCALES[word] ?? 1) : 1;
    const value = Number(`${digits}.${decimals || '0'}`) * scale;
    const step = 10 ** -decimals.length * scale;
    // Significant digits: leading zeros never count; an integer's trailing zeros don't either.
    const all = (digits + decimals).replace(/^0+/, '');
    const sig = decimals ? all.length : all.replace(/0+$/, '').length;
    out.push({
      value,
      step,
      sig: Math.max(sig, value === 0 ? 1 : 0),
      percent: pct !== undefined,
      scaled: scale !== 1,
      currency: cur !== undefined,
      start: m.index,
      end: m.index + whole.length,
    });
  }
  return out;
}

/** Scales a table cell may be stated in elsewhere ("in thousands", "in millions", "in billions"). */
const IMPLIED_SCALES = [1, 1e3, 1e6, 1e9];

/**
 * Whether a number written in a passage states `fact` (a number from a reference answer):
 * - a percentage matches a plain number or a percentage at the same value ("12.5%" ~ "12.5");
 * - an amount matches a passage number under its own scale word, or under any scale a table might
 *   declare in its caption ("$88.9 billion" ~ "88,945" in millions), when the passage's number,
 *   rounded to the fact's precision, is the fact, and it is written at least as precisely;
 * - a fact with fewer than 3 significant digits ("$2.8 billion") must appear at about its own
 *   precision ("2.8 billion", "2,8xx" is not enough): a rounded two-digit figure would otherwise
 *   match dozens of unrelated table cells.
 */
export function statesFact(passage: WrittenNumber, fact: WrittenNumber): boolean {
  const tolerance = (fact.step / 2) * (1 + 1e-9);
  if (fact.percent) {
    if (passage.scaled) return false;
    return Math.abs(passage.value - fact.value) <= tolerance && passage.step <= fact.step * (1 + 1e-9);
  }
  if (passage.percent) return false;
  const scales = passage.scaled ? [1] : IMPLIED_SCALES;
  for (const s of scales) {
    const v = passage.value * s;
    const step = passage.step * s;
    if (Math.abs(v - fact.value) > tolerance) continue;
    if (step > fact.step * (1 + 1e-9)) continue;
    if (fact.sig < 3 && step < fact.step / 10 - 1e-9) continue;
    return true;
  }
  return false;
}
