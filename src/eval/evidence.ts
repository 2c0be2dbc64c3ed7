/**
 * The evidence rule: does a retrieved passage hold evidence for a question's reference answer?
 * Defined once, here: rag-eval and the tests call `holdsEvidence`, and the Evaluate view (a later
 * issue) is to call it too.
 *
 * A passage holds evidence for a question when
 * 1. it comes from a document the question names (when it names any: `sources` globs), and
 * 2. it states the reference answer's key facts:
 *    a. Numbers, when the answer has any (numbers.ts): every number written in the answer except
 *       years (1900–2100 written plainly), day numbers after a month name ("July 1"), list
 *       numbering ("2." opening a line), references ("Note 3", "Item 1A", "Q3", "10-Q") and
 *       figures with one significant digit ("1%", "$6 billion", "2,000": too common to identify
 *       anything). Numbers compare as
 *       numbers at the answer's precision: "$88.9 billion" is stated by a table's "88,945" (in
 *       millions), "12.5%" by "12.5".
 *       Which numbers a passage must state: where the answer attributes a line to one document
 *       ("... $82,959 million. (SOURCE: 2022 Q3 AAPL.pdf)"), that line's numbers belong to that
 *       document; the other numbers belong to every named document, shared out among them. A
 *       passage must state half of its document's share (rounded up), at least 1 and at most 2:
 *       one passage rarely holds every figure of a multi-part answer, and two specific figures
 *       from the right document already pin the right table or paragraph down.
 *    b. Words, when the answer has no such numbers: the answer's content terms (the app's own
 *       analysis: stemmed, stop words out) minus the question's terms, minus boilerplate that
 *       answers use about documents ("provided", "mentioned", ...), minus terms frequent in the
 *       collection (in more than FREQUENT_TERM_SHARE of its paragraphs: "company", the company's
 *       name). The passage must contain at least MIN_WORD_SHARE of those terms by IDF weight
 *       (rare terms weigh more), with at least MIN_WORD_MATCHES of them, capped at the mass of the
 *       answer's WORD_CAP rarest terms: a long summary's terms are spread over many passages.
 *    c. Nothing, when the answer has no such numbers and its first sentence declines ("The
 *       documents do not provide ...", "there is no specific mention of ..."): such a question is
 *       answered by saying the documents do not hold the answer, and no passage can hold it (its
 *       generic words would otherwise match boilerplate such as forward-looking statements).
 *       A negative fact ("No, there were no changes") is not a decline: a passage can state it.
 *
 * The rule is deliberately about passages, not answers: it scores retrieval (did the top k hand
 * the model what it needed?), so it never looks at what a model generated.
 */

import { analyze } from '../index/analyze';
import { numbersIn, statesFact, type WrittenNumber } from './numbers';

/** A term in more than this share of the collection's paragraphs is not evidence of anything. Range 0.05..1; default 0.2. */
export const FREQUENT_TERM_SHARE = 0.2;
/** Share of the answer's content-term weight a passage must contain (words rule). Range 0..1; default 0.5. */
export const MIN_WORD_SHARE = 0.5;
/** Fewest content terms a passage must share with the answer (words rule). Range 1..10; default 3. */
export const MIN_WORD_MATCHES = 3;
/** The words rule asks for at most the weight of this many of the answer's rarest terms. Range 5..100; default 20. */
export const WORD_CAP = 20;

const MONTH =
  /(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s$/i;
const REFERENCE =
  /(?:note|item|part|section|rule|level|page|form|article|schedule|exhibit|chapter|figure|table|step|tier|phase|no\.|#)\s$/i;
const LIST_MARK = /(?:^|\n)[ \t]*(?:[-*•][ \t]*)?$/;

/** Words reference answers use about the documents rather than about their content. */
const BOILERPLATE = new Set(
  analyze(
    'provided document documents context information mention mentioned mentions report reported reports reporting specific ' +
      'specifically based indicate indicates indicated include includes including also however additionally overall explicit ' +
      'explicitly detail details detailed source sources pdf answer question state states stated disclose disclosed discloses ' +
      'disclosure noted note given available following follows described describe describes discuss discussed discusses regarding ' +
      'appear appears seem seems significant notable any none no yes period periods quarter quarters reported filing filings ' +
      'inc corp ltd llc company january february march april may june july august september october november december',
  ),
);

/**
 * A first sentence that says the documents do not hold the answer: the documents (or the filing,
 * the information, the context) "do not provide / contain / mention / specify ...", or there is "no
 * specific mention / no explicit details". A negative fact ("No, there were no changes") is not a
 * decline: a passage can state it ("there have been no material changes").
 */
const DECLINES =
  /\b(?:documents?|10-[kq]|filings?|reports?|information|context|text|sources?)\b[^.]*?\b(?:do|does|did)\s+not\s+(?:explicitly\s+|directly\s+)?(?:contain|provide|mention|include|specify|detail|discuss|state|align|compare|give)|\bno\s+(?:specific|explicit|direct|detailed)\s+(?:mention|details?|information|data|comparison|discussion)/i;

/** Whether an answer's first sentence says the documents do not hold what was asked. */
export function declines(answer: string): boolean {
  const first =
    answer
      .replace(/\s+/g, ' ')
      .trim()
      .split(/(?<=[.!?])\s+(?=[A-Z])/)[0] ?? '';
  return DECLINES.test(first);
}

export interface KeyFacts {
  /** Numbers attributed to one document (by its name in lower case). */
  byDocument: Map<string, WrittenNumber[]>;
  /** Numbers not attributed to a single document. */
  shared: WrittenNumber[];
  /** Content terms with their weight, used only when the answer has no key numbers. */
  terms: Map<string, number>;
  /** The answer has no key numbers and declines (see the module header, 2c): nothing holds evidence. */
  declined: boolean;
}

/**
 * Per-collection statistics the words rule needs: how many paragraphs contain each term. Counted
 * over the collection's distinct paragraphs (blocks), not its passages, so the rule judges the same
 * way whatever the chunk size being measured: chunking changes passages, not paragraphs.
 */
export interface TermStats {
  paragraphs: number;
  df: Map<string, number>;
}

/** Term statistics over the distinct paragraphs of these passages' texts (blocks are separated by a blank line). */
export function termStats(passageTexts: Iterable<string>): TermStats {
  const blocks = new Set<string>();
  for (const text of passageTexts) {
    for (const b of text.split(/\n[ \t]*\n/)) {
      const t = b.trim();
      if (t) blocks.add(t);
    }
  }
  const df = new Map<string, number>();
  for (const b of blocks) for (const t of new Set(analyze(b))) df.set(t, (df.get(t) ?? 0) + 1);
  return { paragraphs: blocks.size, df };
}

function isYear(n: WrittenNumber, raw: string): boolean {
  return !n.percent && !n.scaled && !n.currency && /^\d{4}$/.test(raw) && n.value >= 1900 && n.value <= 2100;
}

/** Key numbers of one stretch of answer text (see the module header for what is left out). */
export function keyNumbers(text: string): WrittenNumber[] {
  const out: WrittenNumber[] = [];
  for (const n of numbersIn(text)) {
    const raw = text.slice(n.start, n.end).replace(/^[$€£¥(\s]+|[)\s]+$/g, '');
    const before = text.slice(Math.max(0, n.start - 16), n.start);
    if (isYear(n, raw)) continue;
    if (!n.percent && !n.scaled && !n.currency && n.value <= 31 && Number.isInteger(n.value) && MONTH.test(before)) continue;
    if (REFERENCE.test(before)) continue;
    if (!n.currency && LIST_MARK.test(before) && /^\d+[.)](?:\s|$)/.test(text.slice(n.start, n.end + 1))) continue;
    if (n.sig < 2) continue;
    if (out.some((o) => o.value === n.value && o.percent === n.percent)) continue;
    out.push(n);
  }
  return out;
}

/** The answer without its source notes: "SOURCE(S): ..." lines and "(SOURCE: ...)" remarks. */
function withoutSourceNotes(answer: string): string {
  return answer
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .filter((line) => !/^\s*(?:\*\*)?sources?(?:\(s\))?\s*:/i.test(line))
    .join('\n')
    .replace(/\((?:\s*sources?(?:\(s\))?\s*:)[^)]*\)/gi, ' ');
}

/**
 * The key facts of a reference answer. `documents` are the collection's file names (to attribute
 * lines that name one, and to keep the names' own digits, such as "2023 Q1", out of the facts).
 */
export function keyFacts(question: string, answer: string, documents: readonly string[], stats: TermStats): KeyFacts {
  const names = [...new Set(documents.map((d) => d.toLowerCase()))].sort((a, b) => b.length - a.length);
  // Names without their extension, aligned with `names` ('' where too short to look for).
  const stems = names.map((n) => n.replace(/\.[a-z0-9]+$/, '')).map((s) => (s.length >= 3 ? s : ''));
  const byDocument = new Map<string, WrittenNumber[]>();
  const shared: WrittenNumber[] = [];
  const seen = (list: WrittenNumber[], n: WrittenNumber): boolean => list.some((o) => o.value === n.value && o.percent === n.percent);
  // Attribution is read from the raw answer (the "(SOURCE: x.pdf)" notes say whose a line is), then
  // every document name is blanked so its digits ("2023 Q1 AAPL.pdf") are not taken for facts.
  const lines = answer.replace(/\r\n?/g, '\n').split('\n');
  for (const rawLine of lines) {
    const lower = rawLine.toLowerCase();
    const named = names.filter((n, i) => lower.includes(n) || (stems[i] !== '' && lower.includes(stems[i]!)));
    let line = withoutSourceNotes(rawLine).toLowerCase();
    for (const n of [...names, ...stems]) if (n) line = line.split(n).join(' ');
    const numbers = keyNumbers(line);
    if (numbers.length === 0) continue;
    if (named.length === 1 && !/^\s*(?:\*\*)?sources?(?:\(s\))?\s*:/i.test(rawLine)) {
      const list = byDocument.get(named[0]!) ?? [];
      for (const n of numbers) if (!seen(list, n)) list.push(n);
      byDocument.set(named[0]!, list);
    } else {
      for (const n of numbers) if (!seen(shared, n)) shared.push(n);
    }
  }
  const terms = new Map<string, number>();
  const declined = shared.length === 0 && byDocument.size === 0 && declines(withoutSourceNotes(answer));
  if (shared.length === 0 && byDocument.size === 0 && !declined) {
    let text = withoutSourceNotes(answer).toLowerCase();
    for (const n of [...names, ...stems]) if (n) text = text.split(n).join(' ');
    const asked = new Set(analyze(question));
    for (const t of analyze(text)) {
      // Two-letter terms are initials and fragments ("U.S." gives "u" and "s"), not content.
      if (t.length < 3 || asked.has(t) || BOILERPLATE.has(t) || /\d/.test(t) || terms.has(t)) continue;
      const df = stats.df.get(t) ?? 0;
      // A term in one paragraph is specific whatever the collection's size (in a collection of two short
      // documents, one paragraph is already more than FREQUENT_TERM_SHARE of them).
      if (df === 0 || (df > 1 && df > FREQUENT_TERM_SHARE * stats.paragraphs)) continue;
      terms.set(t, Math.log(1 + stats.paragraphs / df));
    }
  }
  return { byDocument, shared, terms, declined };
}

/** A passage as the rule sees it: its document's file name, its text, its analysed terms. */
export interface EvidencePassage {
  doc: string;
  text: string;
  /** `analyze(text)` (computed once per passage by the caller). */
  terms: ReadonlySet<string>;
  /** `numbersIn(text)` (computed once per passage by the caller). */
  numbers: readonly WrittenNumber[];
}

export interface EvidenceTarget {
  facts: KeyFacts;
  /** The documents the question names (lower-case file names); all of them when it names none. */
  named: ReadonlySet<string>;
  /** Whether the question names its sources at all (otherwise any document may hold evidence). */
  restricted: boolean;
}

/** How many of a document's numbers a passage must state (see the module header). */
function numbersNeeded(facts: KeyFacts, doc: string, namedCount: number): { wanted: WrittenNumber[]; need: number } {
  const own = facts.byDocument.get(doc);
  if (own && own.length > 0) return { wanted: [...own, ...facts.shared], need: Math.min(2, Math.max(1, Math.ceil(own.length / 2))) };
  const share = facts.shared.length / Math.max(1, namedCount);
  return { wanted: facts.shared, need: Math.min(2, Math.max(1, Math.ceil(share / 2))) };
}

export function holdsEvidence(p: EvidencePassage, target: EvidenceTarget): boolean {
  const doc = p.doc.toLowerCase();
  if (target.restricted && !target.named.has(doc)) return false;
  const { facts } = target;
  if (facts.shared.length > 0 || facts.byDocument.size > 0) {
    const { wanted, need } = numbersNeeded(facts, doc, target.named.size);
    if (wanted.length === 0) return false;
    let found = 0;
    for (const f of wanted) {
      if (p.numbers.some((n) => statesFact(n, f)) && ++found >= need) return true;
    }
    return false;
  }
  // Fewer content terms than a passage must match: the answer says too little to recognise it by.
  if (facts.terms.size < MIN_WORD_MATCHES) return false;
  const weights = [...facts.terms.values()].sort((a, b) => b - a);
  const capped = weights.slice(0, WORD_CAP).reduce((s, w) => s + w, 0);
  let have = 0;
  let matches = 0;
  for (const [t, w] of facts.terms) {
    if (p.terms.has(t)) {
      have += w;
      matches++;
    }
  }
  return matches >= MIN_WORD_MATCHES && have >= MIN_WORD_SHARE * capped;
}
