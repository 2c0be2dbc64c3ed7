/**
 * Question sets for retrieval evaluation on a user's own documents: a question, the documents its
 * answer comes from (as file-name globs, so one line can name "every AAPL filing"), a type to
 * group scores by, and a reference answer whose key facts decide which passages hold evidence
 * (evidence.ts). Pure parsing, no file system and no DOM: the rag-eval CLI reads files, and the
 * Evaluate view reads a dropped file the same way.
 *
 * Reading is in two steps so the view can show the file and let the user fix the column mapping
 * before anything is imported: `readQuestionTable` turns the file into named columns and string
 * rows and guesses which column is which (`detectMapping`); `questionsFromTable` builds the
 * questions under a mapping, or names every row it cannot use. `parseQuestions` does both with
 * the guessed mapping (the CLI).
 *
 * Accepted shapes:
 * - CSV or TSV with a header row; the delimiter (, ; tab |) is read off the header row. Columns are
 *   matched by name, case-, space-, "-" and "_"-insensitively: `question` (required), `answer`
 *   (required), `source docs` / `sources` / `source` (optional; several globs separated by ";" or
 *   ","), `question type` / `type` (optional), `source chunk type` / `chunk type` (optional, e.g.
 *   Text or Table). Rows whose cells are all blank are skipped.
 * - JSON: an array (or `{ "questions": [...] }`) of objects with the same fields in camelCase or as
 *   above: `question`, `answer`, `sources` (a string or an array of globs), `type`, `chunkType`.
 * - JSON lines: one such object per line.
 *
 * Problems are reported where a user finds them: CSV rows as a spreadsheet numbers them (the header
 * is row 1, the first question row 2, blank rows counted), JSON entries from 1, JSON lines by line.
 */

import Papa from 'papaparse';
import { AppError } from '../core/errors';
import type { EvalQuestion } from './runs';

export interface RagQuestion {
  /** 1-based position among the file's non-blank rows, as text ("q12"): stable across runs of the same file. */
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

/** A question's fields that come from a column of the file. */
export type QuestionField = keyof Omit<RagQuestion, 'id'>;

/** Which column (by its name in the file) each field is read from; null: none (required for question and answer). */
export type ColumnMapping = Record<QuestionField, string | null>;

export type QuestionFileFormat = 'csv' | 'json' | 'jsonl';

/** A question-set file as named columns and string rows, before any mapping is applied. */
export interface QuestionTable {
  /** Column names in file order: the CSV header, or the union of the JSON objects' keys. */
  columns: string[];
  /** Every non-blank row, cells as written (JSON numbers as text, arrays joined with "; "); missing cells absent. */
  rows: Record<string, string>[];
  /** The guessed mapping (detectMapping of the columns). */
  mapping: ColumnMapping;
  format: QuestionFileFormat;
  /** Where each row is in the file, as a user finds it: CSV row (header = 1), JSON entry (from 1), JSON-lines line. */
  positions: number[];
  /** Indices into `rows` of CSV rows with more cells than the header (an unquoted delimiter inside a cell, most likely). */
  overflow: number[];
  /**
   * JSON only: the gold passage of each row that carries a well-formed `gold` object (a generated
   * set exported by the app), by index into `rows`. Not a column: it is not mapped, only kept.
   */
  golds?: Record<number, NonNullable<EvalQuestion['gold']>>;
}

/** A `gold` value of an exported generated question, when it has the shape the app writes. */
function goldOf(v: unknown): NonNullable<EvalQuestion['gold']> | null {
  if (typeof v !== 'object' || v === null) return null;
  const g = v as Record<string, unknown>;
  const ok =
    typeof g['docId'] === 'string' &&
    typeof g['docName'] === 'string' &&
    typeof g['text'] === 'string' &&
    typeof g['ordinal'] === 'number' &&
    Number.isInteger(g['ordinal']) &&
    g['ordinal'] >= 0;
  return ok
    ? { docId: g['docId'] as string, docName: g['docName'] as string, ordinal: g['ordinal'] as number, text: g['text'] as string }
    : null;
}

/** Field names as the user sees them, in messages and in the mapping editor. */
export const FIELD_LABELS: Record<QuestionField, string> = {
  question: 'Question',
  answer: 'Answer',
  sources: 'Source docs',
  type: 'Question type',
  chunkType: 'Source chunk type',
};

/**
 * How many bad rows an import error lists by name; the rest are counted ("and 3 more"). Enough to
 * see a pattern, short enough for one message line.
 */
export const MAX_LISTED_PROBLEMS = 5;

const norm = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');

/** Column names each field is recognised by (normalised by `norm`), most specific first. */
const FIELDS: Record<QuestionField, string[]> = {
  question: ['question', 'query'],
  answer: ['answer', 'referenceanswer', 'reference'],
  sources: ['sourcedocs', 'sources', 'source', 'sourcedocuments', 'documents', 'docs'],
  type: ['questiontype', 'type'],
  chunkType: ['sourcechunktype', 'chunktype'],
};

const FIELD_ORDER = Object.keys(FIELDS) as QuestionField[];

function invalid(file: string, why: string): AppError {
  return new AppError('InvalidRequest', `${file} is not a question set: ${why}`, { file });
}

/** Splits "a; b" or "a, b" into globs; a glob itself never contains ";" and rarely ",". */
function splitSources(v: string): string[] {
  return v
    .split(/[;,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The guessed mapping: for each field, the first of its synonyms that names a column. */
export function detectMapping(columns: readonly string[]): ColumnMapping {
  const byNorm = new Map<string, string>();
  for (const c of columns) if (!byNorm.has(norm(c))) byNorm.set(norm(c), c);
  const pick = (field: QuestionField): string | null => {
    for (const name of FIELDS[field]) {
      const column = byNorm.get(name);
      if (column !== undefined) return column;
    }
    return null;
  };
  return { question: pick('question'), answer: pick('answer'), sources: pick('sources'), type: pick('type'), chunkType: pick('chunkType') };
}

const isBlank = (row: Record<string, string>): boolean => Object.values(row).every((v) => v.trim() === '');

/** Delimiters a CSV may use, tried on its header row. */
const DELIMITERS = [',', ';', '\t', '|'];

/**
 * The delimiter of a CSV: tab for `.tsv`, else the candidate found most often in the header row
 * (quoted names left out), comma when none is. Column names seldom hold a delimiter, while answer
 * cells often hold commas, which misleads Papaparse's own guess on short files.
 */
function delimiterOf(body: string, file: string): string {
  if (/\.tsv$/i.test(file)) return '\t';
  const header = (/^[^\r\n]*/.exec(body)?.[0] ?? '').replace(/"[^"]*"/g, '');
  let best = ',';
  let most = 0;
  for (const d of DELIMITERS) {
    const n = header.split(d).length - 1;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}

function readCsv(text: string, file: string): QuestionTable {
  const body = text.replace(/^\uFEFF/, '');
  const delimiter = delimiterOf(body, file);
  // Blank lines are kept here and skipped below, so every row keeps its spreadsheet number.
  const parsed = Papa.parse<Record<string, string | string[] | undefined>>(body, {
    header: true,
    delimiter,
    skipEmptyLines: false,
    transformHeader: (h) => h.trim(),
  });
  const fatal = parsed.errors.find((e) => e.type === 'Quotes');
  if (fatal) {
    // Papaparse's own row of a quote error is not consistent; count the records before the error instead.
    const row =
      fatal.index !== undefined
        ? Papa.parse(body.slice(0, fatal.index), { header: true, delimiter }).data.length + 1
        : (fatal.row ?? 0) + 2;
    const line = fatal.index !== undefined ? body.slice(0, fatal.index).split('\n').length : row;
    throw invalid(file, `row ${row}${line !== row ? ` (line ${line} of the file)` : ''}: ${fatal.message}.`);
  }
  const columns = (parsed.meta.fields ?? []).filter((c) => c !== '__parsed_extra');
  const rows: Record<string, string>[] = [];
  const positions: number[] = [];
  const overflow: number[] = [];
  parsed.data.forEach((raw, i) => {
    const row: Record<string, string> = {};
    for (const c of columns) if (typeof raw[c] === 'string') row[c] = raw[c];
    const extra = raw['__parsed_extra'];
    const overflows = Array.isArray(extra) && extra.some((v) => v.trim() !== '');
    if (isBlank(row) && !overflows) return;
    if (overflows) overflow.push(rows.length);
    rows.push(row);
    positions.push(i + 2);
  });
  return { columns, rows, mapping: detectMapping(columns), format: 'csv', positions, overflow };
}

function cell(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(cell).join('; ');
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}

function readJson(text: string, file: string): QuestionTable {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  let items: unknown[];
  let positions: number[];
  let format: QuestionFileFormat;
  try {
    const value: unknown = JSON.parse(trimmed);
    const list = Array.isArray(value) ? value : (value as { questions?: unknown } | null)?.questions;
    if (!Array.isArray(list)) throw invalid(file, 'it holds neither a list nor { "questions": [...] }.');
    items = list;
    positions = list.map((_, i) => i + 1);
    format = 'json';
  } catch (e) {
    if (e instanceof AppError) throw e;
    // Not one JSON value: JSON lines.
    items = [];
    positions = [];
    format = 'jsonl';
    trimmed.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try {
        items.push(JSON.parse(line) as unknown);
      } catch {
        throw invalid(file, `line ${i + 1} is not JSON.`);
      }
      positions.push(i + 1);
    });
  }
  const where = format === 'json' ? 'entry' : 'line';
  const columns: string[] = [];
  const seen = new Set<string>();
  const rows: Record<string, string>[] = [];
  const kept: number[] = [];
  const golds: Record<number, NonNullable<EvalQuestion['gold']>> = {};
  items.forEach((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(file, `${where} ${positions[i]} is not an object.`);
    const row: Record<string, string> = {};
    let gold: NonNullable<EvalQuestion['gold']> | null = null;
    for (const [k, v] of Object.entries(item)) {
      if (k === 'gold' && (gold = goldOf(v))) continue;
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
      row[k] = cell(v);
    }
    if (isBlank(row)) return;
    if (gold) golds[rows.length] = gold;
    rows.push(row);
    kept.push(positions[i]!);
  });
  return { columns, rows, mapping: detectMapping(columns), format, positions: kept, overflow: [], golds };
}

/**
 * A question-set file as a table. By name: `.csv`/`.tsv` as CSV, `.json`/`.jsonl`/`.ndjson` as
 * JSON (one value, or else lines); any other name by its first character (`[` or `{`: JSON, else CSV).
 */
export function readQuestionTable(text: string, file: string): QuestionTable {
  const csv = /\.[ct]sv$/i.test(file) || (!/\.(json|jsonl|ndjson)$/i.test(file) && !/^\uFEFF?\s*[[{]/.test(text));
  return csv ? readCsv(text, file) : readJson(text, file);
}

/** "row 4" (CSV), "entry 4" (JSON), "line 4" (JSON lines). */
function placeOf(table: Pick<QuestionTable, 'format'>, position: number): string {
  return `${table.format === 'csv' ? 'row' : table.format === 'json' ? 'entry' : 'line'} ${position}`;
}

/**
 * The questions of a table under `mapping` (the table's guessed one unless the user changed it).
 * Throws `InvalidRequest` naming what is wrong: a required field with no column, a column not in
 * the file, or the rows that lack a question or an answer (the first MAX_LISTED_PROBLEMS, then a count).
 */
export function questionsFromTable(table: QuestionTable, mapping: ColumnMapping = table.mapping, file = 'questions'): EvalQuestion[] {
  if (table.rows.length === 0) throw invalid(file, 'it holds no questions.');
  const noun = table.format === 'csv' ? 'column' : 'field';
  const missing = (['question', 'answer'] as const).filter((f) => mapping[f] === null).map((f) => `no "${FIELD_LABELS[f]}" ${noun}`);
  if (missing.length > 0)
    throw invalid(file, `it has ${missing.join(' and ')}: choose the ${noun} that holds ${missing.length > 1 ? 'each' : 'it'}.`);
  for (const f of FIELD_ORDER) {
    const c = mapping[f];
    if (c !== null && !table.columns.includes(c)) throw invalid(file, `it has no ${noun} "${c}" (chosen for ${FIELD_LABELS[f]}).`);
  }
  if (mapping.question === mapping.answer) throw invalid(file, `the ${noun} "${mapping.question}" is chosen for both Question and Answer.`);

  const problems: string[] = [];
  const questions = table.rows.map((row, i): EvalQuestion => {
    const get = (f: QuestionField): string => {
      const c = mapping[f];
      return c === null ? '' : (row[c] ?? '').trim();
    };
    const question = get('question');
    const answer = get('answer');
    const lacks: string[] = [];
    if (table.overflow.includes(i)) lacks.push('more cells than the header (a delimiter inside an unquoted cell?)');
    if (!question) lacks.push('no question');
    if (!answer) lacks.push('no reference answer');
    if (lacks.length > 0) {
      const quoted = question && !answer ? ` (“${question.slice(0, 60)}”)` : '';
      problems.push(`${placeOf(table, table.positions[i]!)}${quoted} has ${lacks.join(' and ')}`);
    }
    const gold = table.golds?.[i];
    return {
      id: `q${i + 1}`,
      question,
      answer,
      sources: splitSources(get('sources')),
      type: get('type'),
      chunkType: get('chunkType'),
      ...(gold ? { gold } : {}),
    };
  });
  if (problems.length > 0) {
    const more = problems.length - MAX_LISTED_PROBLEMS;
    throw invalid(file, `${problems.slice(0, MAX_LISTED_PROBLEMS).join('; ')}${more > 0 ? ` (and ${more} more)` : ''}.`);
  }
  return questions;
}

/** A CSV (or TSV) question set read with the guessed column mapping. */
export function parseQuestionsCsv(text: string, file = 'questions.csv'): RagQuestion[] {
  return questionsFromTable(readCsv(text, file), undefined, file);
}

/** A JSON or JSON-lines question set read with the guessed field mapping. */
export function parseQuestionsJson(text: string, file = 'questions.json'): RagQuestion[] {
  return questionsFromTable(readJson(text, file), undefined, file);
}

/** A question-set file read by `readQuestionTable` with the guessed mapping (the rag-eval CLI). */
export function parseQuestions(text: string, file: string): RagQuestion[] {
  return questionsFromTable(readQuestionTable(text, file), undefined, file);
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
