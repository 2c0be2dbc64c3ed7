/**
 * Document-aware ranking: which documents of the collection a question is about, from what each
 * document says about itself, so passages of the right document win over look-alike passages of
 * its neighbours (four quarters of one company's filings, versions of one contract).
 *
 * Each document keeps a profile, computed once at ingest: the analysed terms of its label (file
 * name, title, a PDF's running header, see ingest/context.ts, and the headings of its opening), of
 * its opening text (a cover page names the company, the period, the version), and the date it
 * gives as its own. A question's
 * terms are scored against the profiles with document-level IDF, so only terms that tell
 * documents apart count ("Apple", "Q3", "2022" among filings that all say "10-Q"); label terms count
 * fully, opening terms at OPENING_WEIGHT. "Latest" / "most recent" / "newest" in a question favours
 * the most recent of the documents it is otherwise about. Quarters are written many ways, so
 * "third quarter" and "Q3" are made the same term on both sides.
 *
 * retrieve.ts multiplies each keyword candidate's score by 1 + boost × (its document's score /
 * the best document's score), so the ranking inside a document is BM25's own. Measured on the 10-Q
 * dev set (rag-eval, bm25): see the issue note for the figures the default was chosen on.
 */

import { analyze } from './analyze';

export interface DocumentProfile {
  /** Distinct analysed terms of the document's label (file name, title, running title). */
  label: string[];
  /** Distinct analysed terms of its opening text (see OPENING_CHARS). */
  opening: string[];
  /** The date its opening gives as the document's own (see documentDate), as yyyy-mm-dd. */
  date?: string;
}

/** Characters of a document's start its opening is read from. Range 500..10000; default 2000 (a cover page). */
export const OPENING_CHARS = 2000;
/** Weight of a question term found in a document's opening text rather than its label. Range 0..1; default 0.5. */
export const OPENING_WEIGHT = 0.5;
/**
 * How strongly document matches lift passages: a passage of the best-matching document scores
 * (1 + boost) times its BM25 score. Range 0..4; 0 = off; default in settings (retrieval.documentBoost).
 */
export const DEFAULT_DOCUMENT_BOOST = 1;

const QUARTER_WORDS: Record<string, string> = {
  first: '1',
  second: '2',
  third: '3',
  fourth: '4',
  '1st': '1',
  '2nd': '2',
  '3rd': '3',
  '4th': '4',
};
const QUARTER = /\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:fiscal\s+)?quarter\b/gi;
const RECENT = /\b(?:latest|most\s+recent|newest)\b/i;

/** Terms for profile matching: the app's analysis, with quarters written one way ("third quarter" → "q3"). */
export function profileTerms(text: string): string[] {
  return analyze(text.replace(QUARTER, (_, w: string) => ` Q${QUARTER_WORDS[w.toLowerCase()]} `));
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_DAY_YEAR = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2}),?\s+((?:19|20)\d{2})\b/gi;
const DAY_MONTH_YEAR = /\b(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+((?:19|20)\d{2})\b/gi;
const ISO_DATE = /\b((?:19|20)\d{2})-(\d{2})-(\d{2})\b/g;

/** Words that say a date is the document's own ("period ended June 30, 2023", "as of", "dated"). */
const OWN_DATE = /\b(?:ended|ending|as of|dated|date[d:]?|period|effective|published|issued|filed|on)\s*$/i;
/** Words that say a date is about something else ("notes due December 1, 2032", "expiring", "until"). */
const OTHER_DATE = /\b(?:due|expir\w*|matur\w*|until|through|before|after|by)\s*$/i;

/**
 * The document's date as written in `text`, as yyyy-mm-dd: the latest date introduced as its own
 * ("for the period ended ...", "as of ..."), else the first full date that is not about something
 * else ("notes due ..."), else none.
 */
export function documentDate(text: string): string | undefined {
  const own: string[] = [];
  const plain: Array<{ at: number; date: string }> = [];
  const push = (at: number, y: string, m: number, d: number): void => {
    if (m < 1 || m > 12 || d < 1 || d > 31) return;
    const date = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    const before = text.slice(Math.max(0, at - 30), at);
    if (OWN_DATE.test(before)) own.push(date);
    else if (!OTHER_DATE.test(before)) plain.push({ at, date });
  };
  for (const m of text.matchAll(MONTH_DAY_YEAR)) push(m.index, m[3]!, MONTHS.indexOf(m[1]!.toLowerCase()) + 1, Number(m[2]));
  for (const m of text.matchAll(DAY_MONTH_YEAR)) push(m.index, m[3]!, MONTHS.indexOf(m[2]!.toLowerCase()) + 1, Number(m[1]));
  for (const m of text.matchAll(ISO_DATE)) push(m.index, m[1]!, Number(m[2]), Number(m[3]));
  if (own.length > 0) return own.sort().at(-1);
  return plain.sort((a, b) => a.at - b.at)[0]?.date;
}

/**
 * A document's profile from its label and text (see the module header). Headings inside the opening
 * count as label: a cover page sets the company or the title in its largest type ("AMAZON.COM, INC.").
 */
export function documentProfile(
  label: string,
  text: string,
  opts: { openingEnd?: number | undefined; headings?: ReadonlyArray<{ start: number; text: string }> } = {},
): DocumentProfile {
  const end = Math.min(OPENING_CHARS, opts.openingEnd ?? OPENING_CHARS);
  const opening = text.slice(0, end);
  const prominent = (opts.headings ?? []).filter((h) => h.start < end).map((h) => h.text);
  const profile: DocumentProfile = {
    label: [...new Set(profileTerms([label, ...prominent].join('\n')))],
    opening: [...new Set(profileTerms(opening))],
  };
  const date = documentDate(opening);
  if (date) profile.date = date;
  return profile;
}

export interface DocumentScores {
  /** Score per document id; documents the question says nothing about are absent. */
  byDoc: Map<string, number>;
  max: number;
  /** The question terms that told documents apart, for the trace. */
  terms: string[];
  /** Set when "latest" picked documents by date. */
  latest?: string[];
}

const idf = (n: number, df: number): number => (df === 0 ? 0 : Math.log(1 + (n - df + 0.5) / (df + 0.5)));

/** The profiles of a collection's documents, kept in step with the library. */
export class DocumentIndex {
  private readonly profiles = new Map<string, { label: Set<string>; opening: Set<string>; date?: string | undefined }>();

  get size(): number {
    return this.profiles.size;
  }

  set(docId: string, profile: DocumentProfile): void {
    this.profiles.set(docId, { label: new Set(profile.label), opening: new Set(profile.opening), date: profile.date });
  }

  remove(docId: string): void {
    this.profiles.delete(docId);
  }

  /** How much the question is about each document (see the module header). */
  score(question: string): DocumentScores {
    const byDoc = new Map<string, number>();
    const n = this.profiles.size;
    if (n < 2) return { byDoc, max: 0, terms: [] };
    const terms: string[] = [];
    for (const t of new Set(profileTerms(question))) {
      let inLabel = 0;
      let inOpening = 0;
      let inEither = 0;
      for (const p of this.profiles.values()) {
        const l = p.label.has(t);
        const o = p.opening.has(t);
        if (l) inLabel++;
        if (o) inOpening++;
        if (l || o) inEither++;
      }
      // A term every document says of itself, in its label or its opening, says nothing about which
      // one is meant (every filing's cover says "10-Q", though only some file names do).
      if (inEither === n) continue;
      const wl = idf(n, inLabel);
      const wo = OPENING_WEIGHT * idf(n, inOpening);
      if (wl + wo === 0) continue;
      terms.push(t);
      for (const [id, p] of this.profiles) {
        const s = (p.label.has(t) ? wl : 0) + (p.opening.has(t) ? wo : 0);
        if (s > 0) byDoc.set(id, (byDoc.get(id) ?? 0) + s);
      }
    }
    let max = Math.max(0, ...byDoc.values());
    const out: DocumentScores = { byDoc, max, terms };
    if (RECENT.test(question)) {
      // The newest of the documents the question is about (all of them when it names none).
      const about = [...this.profiles].filter(([id]) => max === 0 || (byDoc.get(id) ?? 0) >= 0.5 * max);
      const newest = about
        .map(([, p]) => p.date ?? '')
        .sort()
        .at(-1);
      if (newest) {
        const bonus = idf(n, 1);
        out.latest = about.filter(([, p]) => p.date === newest).map(([id]) => id);
        for (const id of out.latest) byDoc.set(id, (byDoc.get(id) ?? 0) + bonus);
        max = Math.max(0, ...byDoc.values());
        out.max = max;
      }
    }
    return out;
  }
}
