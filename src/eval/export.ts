/**
 * A run of the Evaluate view as files, DOM-free: one row per question (`runRows`), as CSV for a
 * spreadsheet (`runToCsv`) and as JSON that ragscope reads back (`runToJson`, `parseRunJson`), so a
 * run can be kept, shared and compared with runs made elsewhere. The figures are the ones the view
 * shows: the summary comes from `summarizeRun` (runs.ts), the per-question scores are the stored ones.
 *
 * The CSV is for reading, the JSON for keeping: CSV cells round scores to 3 decimals, and a text cell
 * that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return: a
 * model's answer may) gets a leading apostrophe, as OWASP advises. The JSON holds the stored records
 * unchanged (passages, prompts and both answers included).
 */

import Papa from 'papaparse';
import { AppError } from '../core/errors';
import { sourceLine } from '../generate/prompts';
import { summarizeRun, type EvalResultRecord, type EvalRunRecord, type RunSummary } from './runs';

/** One question of a run, as exported. Scores are 0..1; ranks are 1-based, 0 when none. */
export interface RunRow {
  /** 1-based position of the question in the set. */
  index: number;
  questionId: string;
  question: string;
  reference: string;
  plainAnswer: string;
  groundedAnswer: string;
  /** 'done', or why an answer is missing or partial ('interrupted', 'stopped', 'failed'). */
  plainStatus: string;
  groundedStatus: string;
  /** Rank of the first retrieved passage holding evidence, 0 when none did. */
  evidenceRank: number;
  retrievalBy: 'gold' | 'rule';
  /** The reference says the documents do not hold the answer (no passage can be evidence). */
  declined: boolean;
  /** Rank of the first passage from a document the question names; null when it names none. */
  sourceRank: number | null;
  f1Plain: number;
  f1Grounded: number;
  factsPlain: boolean;
  factsGrounded: boolean;
  factsFoundPlain: number;
  factsFoundGrounded: number;
  factsTotal: number;
  /** 1: only the answer with documents holds the key facts (a win), -1: only the one without (a loss), 0: a tie. */
  factsGain: -1 | 0 | 1;
  /** Null when the grounded answer was not judged (no answer, or no embedding model). */
  supportedShare: number | null;
  citations: number | null;
  unsupportedCitations: number | null;
  /** The judge pass (a local model's verdict): null when its reply was unclear, undefined when it did not run. */
  judgePlain?: boolean | null;
  judgeGrounded?: boolean | null;
  /** The retrieved passages' sources in rank order: "a.pdf, p. 3; b.md". */
  sources: string;
  ms: number;
  /** Runs with panes: every pane's answer and scores, in the panes' order. */
  panes?: Array<{ label: string; model: string; answer: string; status: string; f1: number; facts: boolean }>;
}

/** The rows of a run, in the set's order. */
export function runRows(_run: EvalRunRecord, results: readonly EvalResultRecord[]): RunRow[] {
  return [...results]
    .sort((a, b) => a.index - b.index)
    .map((r): RunRow => {
      const c = r.comparison;
      const { plain, grounded } = r.answers;
      const row: RunRow = {
        index: r.index + 1,
        questionId: r.question.id,
        question: r.question.question,
        reference: r.question.answer,
        plainAnswer: c.plain.result?.text ?? '',
        groundedAnswer: c.grounded.result?.text ?? '',
        plainStatus: c.plain.status,
        groundedStatus: c.grounded.status,
        evidenceRank: r.retrieval.evidenceRank,
        retrievalBy: r.retrieval.by,
        declined: r.retrieval.declined,
        sourceRank: r.question.sources.length > 0 ? r.retrieval.sourceRank : null,
        f1Plain: plain.f1,
        f1Grounded: grounded.f1,
        factsPlain: plain.facts.contains,
        factsGrounded: grounded.facts.contains,
        factsFoundPlain: plain.facts.found,
        factsFoundGrounded: grounded.facts.found,
        factsTotal: grounded.facts.total,
        factsGain: r.answers.factsGain,
        supportedShare: r.grounding?.supportedShare ?? null,
        citations: r.grounding?.citations ?? null,
        unsupportedCitations: r.grounding?.unsupportedCitations ?? null,
        sources: [...c.retrieval.hits]
          .sort((a, b) => a.rank - b.rank)
          .map(sourceLine)
          .join('; '),
        ms: Math.round(r.ms),
      };
      if (r.panes) {
        row.panes = r.panes.map((p) => ({
          label: p.spec.label,
          model: p.spec.model,
          answer: p.run.result?.text ?? '',
          status: p.run.status,
          f1: p.score.f1,
          facts: p.score.facts.contains,
        }));
      }
      if (r.judge) {
        row.judgePlain = r.judge.plain;
        row.judgeGrounded = r.judge.grounded;
      }
      return row;
    });
}

const yesNo = (b: boolean | null | undefined): string => (b === undefined ? '' : b === null ? 'unclear' : b ? 'yes' : 'no');
const score = (x: number | null): number | string => (x === null ? '' : Math.round(x * 1000) / 1000);
const count = (x: number | null): number | string => (x === null ? '' : x);

/** The CSV's columns: header, and the cell of a row. */
const COLUMNS: ReadonlyArray<readonly [string, (r: RunRow) => string | number]> = [
  ['#', (r) => r.index],
  ['question id', (r) => r.questionId],
  ['question', (r) => r.question],
  ['reference answer', (r) => r.reference],
  ['answer without documents', (r) => r.plainAnswer],
  ['answer with documents', (r) => r.groundedAnswer],
  ['without documents: status', (r) => r.plainStatus],
  ['with documents: status', (r) => r.groundedStatus],
  ['evidence rank (0 = not retrieved)', (r) => r.evidenceRank],
  ['evidence judged by', (r) => (r.retrievalBy === 'gold' ? 'gold passage' : 'evidence rule')],
  ['reference declines', (r) => yesNo(r.declined)],
  ['source rank (0 = not retrieved)', (r) => count(r.sourceRank)],
  ['F1 without documents', (r) => score(r.f1Plain)],
  ['F1 with documents', (r) => score(r.f1Grounded)],
  ['key facts without documents', (r) => yesNo(r.factsPlain)],
  // "2 of 3", not "2/3": a spreadsheet reads "2/3" as a date.
  ['key facts found without documents', (r) => `${r.factsFoundPlain} of ${r.factsTotal}`],
  ['key facts with documents', (r) => yesNo(r.factsGrounded)],
  ['key facts found with documents', (r) => `${r.factsFoundGrounded} of ${r.factsTotal}`],
  ['key facts gain (1 win, -1 loss, 0 tie)', (r) => r.factsGain],
  ['supported sentences', (r) => score(r.supportedShare)],
  ['citations', (r) => count(r.citations)],
  ['unsupported citations', (r) => count(r.unsupportedCitations)],
];
const JUDGE_COLUMNS: typeof COLUMNS = [
  ['judge (local model): without documents correct', (r) => yesNo(r.judgePlain)],
  ['judge (local model): with documents correct', (r) => yesNo(r.judgeGrounded)],
];
const TAIL_COLUMNS: typeof COLUMNS = [
  ['passage sources in rank order', (r) => r.sources],
  ['ms', (r) => r.ms],
];

/** Runs with panes: four columns per pane (its answer, status, F1 and key facts), named after it. */
function paneColumns(rows: readonly RunRow[]): typeof COLUMNS {
  const panes = rows.find((r) => r.panes)?.panes ?? [];
  return panes.flatMap((p, i): typeof COLUMNS => {
    const of = (r: RunRow) => r.panes?.[i];
    const name = `pane “${p.label}” (${p.model})`;
    return [
      [`${name}: answer`, (r) => of(r)?.answer ?? ''],
      [`${name}: status`, (r) => of(r)?.status ?? ''],
      [`${name}: F1`, (r) => score(of(r)?.f1 ?? null)],
      [`${name}: key facts`, (r) => yesNo(of(r)?.facts)],
    ];
  });
}

/** Text a spreadsheet would run as a formula (see the module header). papaparse's own pattern misses multi-line text. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A run as CSV: a header row, then one row per question (columns as in COLUMNS; the judge's only when it ran). */
export function runToCsv(run: EvalRunRecord, results: readonly EvalResultRecord[]): string {
  const rows = runRows(run, results);
  const columns = [...COLUMNS, ...(results.some((r) => r.judge) ? JUDGE_COLUMNS : []), ...paneColumns(rows), ...TAIL_COLUMNS];
  return Papa.unparse(
    { fields: columns.map(([h]) => h), data: rows.map((r) => columns.map(([, cell]) => cell(r))) },
    { escapeFormulae: FORMULA_START, newline: '\r\n' },
  );
}

export const RUN_FORMAT = 'ragscope-eval-run';
export const RUN_FORMAT_VERSION = 1;

/** What a run's JSON file holds. `summary` and `rows` are for readers other than ragscope; it reads `run` and `results`. */
export interface RunExport {
  format: typeof RUN_FORMAT;
  version: number;
  run: EvalRunRecord;
  summary: RunSummary;
  rows: RunRow[];
  results: EvalResultRecord[];
}

/** A run as JSON (see RunExport), indented for people who open it. */
export function runToJson(run: EvalRunRecord, results: readonly EvalResultRecord[]): string {
  const sorted = [...results].sort((a, b) => a.index - b.index);
  const file: RunExport = {
    format: RUN_FORMAT,
    version: RUN_FORMAT_VERSION,
    run,
    summary: summarizeRun(sorted, run.settings.retrieval.k),
    rows: runRows(run, sorted),
    results: sorted,
  };
  return JSON.stringify(file, null, 1);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a file `runToJson` wrote: the run and its results. Throws AppError 'InvalidRequest' naming
 * the file and what is wrong when it is not one (or was written by a newer ragscope).
 */
export function parseRunJson(text: string, file = 'The file'): { run: EvalRunRecord; results: EvalResultRecord[] } {
  const invalid = (why: string): AppError => new AppError('InvalidRequest', `${file} is not a ragscope evaluation run: ${why}`, { file });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw invalid('it is not JSON.');
  }
  if (!isObject(data) || data.format !== RUN_FORMAT) throw invalid(`it does not say "format": "${RUN_FORMAT}".`);
  if (typeof data.version !== 'number' || data.version > RUN_FORMAT_VERSION)
    throw new AppError(
      'InvalidRequest',
      `${file} was saved by a newer ragscope (run format ${String(data.version)}): update ragscope to open it.`,
      {
        file,
      },
    );
  const run = data.run;
  if (
    !isObject(run) ||
    typeof run.id !== 'string' ||
    typeof run.label !== 'string' ||
    !isObject(run.settings) ||
    !isObject(run.settings.retrieval) ||
    typeof run.settings.retrieval.k !== 'number'
  )
    throw invalid('its "run" lacks an id, a label or the retrieval settings.');
  if (!Array.isArray(data.results)) throw invalid('it has no "results" list.');
  data.results.forEach((r: unknown, i) => {
    const ok =
      isObject(r) &&
      typeof r.index === 'number' &&
      isObject(r.question) &&
      typeof r.question.question === 'string' &&
      isObject(r.comparison) &&
      isObject(r.retrieval) &&
      typeof r.retrieval.evidenceRank === 'number' &&
      isObject(r.answers) &&
      isObject(r.answers.plain) &&
      isObject(r.answers.grounded);
    if (!ok) throw invalid(`result ${i + 1} lacks its question, comparison, retrieval or answer scores.`);
  });
  return { run: run as unknown as EvalRunRecord, results: data.results as EvalResultRecord[] };
}

/**
 * A file name for a run's export, safe on every common file system: "ragscope-run-<set>-<label>-<when>.<ext>",
 * letters, digits, dots, hyphens and underscores only, at most 120 characters before the extension.
 */
export function runFileName(run: Pick<EvalRunRecord, 'setName' | 'label' | 'createdAt'>, ext: string): string {
  const slug = (s: string): string =>
    s
      .normalize('NFC')
      .replace(/[^\p{L}\p{N}._-]+/gu, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '');
  const when = Number.isFinite(run.createdAt) ? new Date(run.createdAt).toISOString().slice(0, 16).replace(':', '') : '';
  const joined = ['ragscope-run', slug(run.setName), slug(run.label), when].filter((s) => s !== '').join('-');
  // By code point, so a letter outside the BMP is never cut in half.
  const stem = [...joined]
    .slice(0, 120)
    .join('')
    .replace(/[-.]+$/, '');
  const extension = slug(ext).toLowerCase() || 'txt';
  return `${stem}.${extension}`;
}
