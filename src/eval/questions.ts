/**
 * Question sets for retrieval evaluation on a user's own documents: a question, the documents its
 * answer comes from (as file-name globs, so one line can name "every AAPL filing"), a type to
 * group scores by, and a reference answer whose key facts decide which passages hold evidence
 * (evidence.ts). Pure parsing, no file system: the rag-eval CLI reads files, and the Evaluate
 * view (a later issue) is to read a dropped file the same way.
 *
 * Accepted shapes:
 * - CSV with a header row. Columns are matched by name, case- and space-insensitively:
 *   `question` (required), `answer` (required), `source docs` / `sources` / `source` (optional;
 *   several globs separated by ";" or ","), `question type` / `type` (optional),
 *   `source chunk type` / `chunk type` (optional, e.g. Text or Table).
 * - JSON: an array (or `{ "questions": [...] }`) of objects with the same fields in camelCase or as
 *   above: `question`, `answer`, `sources` (a string or an array of globs), `type`, `chunkType`.
 * - JSON lines: one such object per line.
 */

import Papa from 'papaparse';
import { AppError } from '../core/errors';

export interface RagQuestion {
  /** 1-based position in the file, as text ("q12"): stable across runs of the same file. */
  id: string;
  question: string;
  /** Reference answer written by a person; its facts define evidence. */
  answer: string;
  /** File-name globs (`*` any run of characters, `?` one character), matched case-insensitively. Empty: any document. */
  sources: string[];
  /** Grouping for the report, e.g. "Multi-Doc RAG". Empty when the file has none. */
  type: string;
  /** Where the answer sits, e.g. "Table" or "Text". Empty when the file has none. */
  chunkType: string;
}

const norm = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');

const FIELDS: Record<keyof Omit<RagQuestion, 'id'>, string[]> = {
  question: ['question', 'query'],
  answer: ['answer', 'referenceanswer', 'reference'],
  sources: ['sourcedocs', 'sources', 'source', 'sourcedocuments', 'documents', 'docs'],
  type: ['questiontype', 'type'],
  chunkType: ['sourcechunktype', 'chunktype'],
};

function invalid(file: string, why: string): AppError {
  return new AppError('InvalidRequest', `${file} is not a question set: ${why}`, { file });
}

/** Splits "a; b" or "a, b" into globs; a glob itself never contains ";" and rarely ",". */
function splitSources(v: unknown): string[] {
  const parts = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/[;,\n]/) : [];
  return parts.map((s) => s.trim()).filter((s) => s.length > 0);
}

function fromRecord(rec: Record<string, unknown>, index: number, file: string): RagQuestion {
  const byNorm = new Map(Object.entries(rec).map(([k, v]) => [norm(k), v]));
  const get = (field: keyof typeof FIELDS): unknown => {
    for (const name of FIELDS[field]) if (byNorm.has(name)) return byNorm.get(name);
    return undefined;
  };
  const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
  const question = text(get('question'));
  const answer = text(get('answer'));
  if (!question) throw invalid(file, `entry ${index + 1} has no question.`);
  if (!answer) throw invalid(file, `entry ${index + 1} (“${question.slice(0, 60)}”) has no reference answer.`);
  return {
    id: `q${index + 1}`,
    question,
    answer,
    sources: splitSources(get('sources')),
    type: text(get('type')),
    chunkType: text(get('chunkType')),
  };
}

export function parseQuestionsCsv(text: string, file = 'questions.csv'): RagQuestion[] {
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: 'greedy' });
  const fields = (parsed.meta.fields ?? []).map(norm);
  if (!fields.some((f) => FIELDS.question.includes(f))) throw invalid(file, 'its header has no "Question" column.');
  if (!fields.some((f) => FIELDS.answer.includes(f))) throw invalid(file, 'its header has no "Answer" column.');
  const fatal = parsed.errors.find((e) => e.type !== 'FieldMismatch');
  if (fatal) throw invalid(file, `row ${(fatal.row ?? 0) + 2}: ${fatal.message}.`);
  return parsed.data.map((row, i) => fromRecord(row, i, file));
}

export function parseQuestionsJson(text: string, file = 'questions.json'): RagQuestion[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  let items: unknown[];
  try {
    const value: unknown = JSON.parse(trimmed);
    const list = Array.isArray(value) ? value : (value as { questions?: unknown } | null)?.questions;
    if (!Array.isArray(list)) throw invalid(file, 'it holds neither a list nor { "questions": [...] }.');
    items = list;
  } catch (e) {
    if (e instanceof AppError) throw e;
    // Not one JSON value: JSON lines.
    items = trimmed.split('\n').flatMap((line, i) => {
      if (!line.trim()) return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch {
        throw invalid(file, `line ${i + 1} is not JSON.`);
      }
    });
  }
  return items.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(file, `entry ${i + 1} is not an object.`);
    return fromRecord(item as Record<string, unknown>, i, file);
  });
}

/** Parses by file name: `.csv`/`.tsv` as CSV, anything else as JSON (array or lines). */
export function parseQuestions(text: string, file: string): RagQuestion[] {
  const questions = /\.[ct]sv$/i.test(file) ? parseQuestionsCsv(text, file) : parseQuestionsJson(text, file);
  if (questions.length === 0) throw invalid(file, 'it holds no questions.');
  return questions;
}

/** A file-name glob as a case-insensitive, whole-name regular expression. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

/**
 * Which of `names` a question names as its sources (all of them when it names none). A glob that
 * matches no document is kept out of the result but reported by `unmatchedSources`.
 */
export function namedDocuments(q: RagQuestion, names: readonly string[]): Set<string> {
  if (q.sources.length === 0) return new Set(names);
  const res = q.sources.map(globToRegExp);
  return new Set(names.filter((n) => res.some((re) => re.test(n))));
}

/** The question's source globs that match none of `names` (a typo, or a document not in the folder). */
export function unmatchedSources(q: RagQuestion, names: readonly string[]): string[] {
  return q.sources.filter((g) => {
    const re = globToRegExp(g);
    return !names.some((n) => re.test(n));
  });
}
