/**
 * The BEIR dataset layout, parsed from text: `corpus.jsonl` ({_id, title, text} per line),
 * `queries.jsonl` ({_id, text}) and `qrels/<split>.tsv` (header, then query-id, corpus-id, score).
 * Pure parsing, no file system, so it runs anywhere; `load.ts` reads a folder in Node.
 *
 * As in BEIR, a document is indexed as title + " " + text, one document = one unit (no chunking),
 * and only queries that appear in the qrels are evaluated.
 */

import { AppError } from '../core/errors';
import type { Qrels } from './metrics';

export interface BeirDoc {
  id: string;
  /** title + " " + text (just the text when there is no title), what gets indexed. */
  text: string;
}

export interface BeirQuery {
  id: string;
  text: string;
}

export interface BeirDataset {
  name: string;
  corpus: BeirDoc[];
  /** Only the queries that have qrels, in queries.jsonl order. */
  queries: BeirQuery[];
  qrels: Qrels;
}

function* jsonLines(text: string, file: string): Generator<Record<string, unknown>> {
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new AppError('CorruptFile', `${file} line ${lineNo} is not JSON: ${(e as Error).message}`, { file, line: lineNo });
    }
    if (typeof value !== 'object' || value === null) throw new AppError('CorruptFile', `${file} line ${lineNo} is not a JSON object.`);
    yield value as Record<string, unknown>;
  }
}

function idOf(o: Record<string, unknown>, file: string): string {
  const id = o._id;
  if (typeof id === 'string') return id;
  if (typeof id === 'number') return String(id);
  throw new AppError('CorruptFile', `${file} has a line without an "_id".`, { file });
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function parseCorpus(jsonl: string): BeirDoc[] {
  const out: BeirDoc[] = [];
  for (const o of jsonLines(jsonl, 'corpus.jsonl')) {
    const title = str(o.title).trim();
    const text = str(o.text);
    out.push({ id: idOf(o, 'corpus.jsonl'), text: title ? `${title} ${text}` : text });
  }
  return out;
}

export function parseQueries(jsonl: string): BeirQuery[] {
  return [...jsonLines(jsonl, 'queries.jsonl')].map((o) => ({ id: idOf(o, 'queries.jsonl'), text: str(o.text) }));
}

/** Tab-separated qrels with a header line ("query-id corpus-id score"). */
export function parseQrels(tsv: string): Qrels {
  const qrels: Qrels = new Map();
  const lines = tsv.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const [qid, did, score] = line.split('\t');
    if (i === 0 && Number.isNaN(Number(score))) continue; // header
    const grade = Number(score);
    if (qid === undefined || did === undefined || !Number.isFinite(grade)) {
      throw new AppError('CorruptFile', `qrels line ${i + 1} is not "query-id<TAB>corpus-id<TAB>score".`, { line: i + 1 });
    }
    let rels = qrels.get(qid);
    if (!rels) qrels.set(qid, (rels = new Map()));
    rels.set(did, grade);
  }
  return qrels;
}

/** Assembles a dataset: only queries that have qrels are kept, and only qrels whose query exists. */
export function beirDataset(name: string, corpus: BeirDoc[], queries: BeirQuery[], qrels: Qrels): BeirDataset {
  const kept = queries.filter((q) => qrels.has(q.id));
  const keptQrels: Qrels = new Map(kept.map((q) => [q.id, qrels.get(q.id)!]));
  return { name, corpus, queries: kept, qrels: keptQrels };
}
