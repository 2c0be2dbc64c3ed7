/**
 * Retrieval evaluation on a collection of real documents with a question set (questions.ts):
 * for each question, where in the ranking the first passage holding evidence appears (the rule in
 * evidence.ts), and whether the ranking draws on the documents the question names. The rag-eval
 * CLI uses it, and the Evaluate view (a later issue) is to: they differ only in how they search.
 *
 * Figures, overall and per question type and per source chunk type:
 * - hit@k: share of questions with an evidence passage in the top k (over ALL questions, so a
 *   question nothing in the collection answers counts as a miss for every configuration);
 * - mrr@20: mean of 1 / rank of the first evidence passage in the top 20 (0 when none);
 * - source_hit@k: share of questions naming sources with a passage from one of them in the top k;
 * - source_share@k: mean share of the top k that comes from the named sources;
 * - coverage: share of questions with at least one evidence passage anywhere in the collection.
 *   An uncovered question is either one whose answer is "the documents do not say" (marked as
 *   declined), or a parsing/chunking failure: the report lists both so someone can look.
 */

import { analyze } from '../index/analyze';
import { holdsEvidence, keyFacts, termStats, type EvidencePassage, type EvidenceTarget } from './evidence';
import { numbersIn } from './numbers';
import { namedDocuments, unmatchedSources, type RagQuestion } from './questions';

/** Cut-offs reported by default. */
export const DEFAULT_KS: readonly number[] = [1, 3, 5, 10, 20];
/** MRR is computed over this many results (and at least this many are retrieved). */
export const MRR_DEPTH = 20;

/** A passage of the collection, as stored (its own text, without any indexing context). */
export interface CorpusPassage {
  id: string;
  /** The document's file name. */
  doc: string;
  pages?: number[] | undefined;
  text: string;
}

export interface QuestionResult {
  id: string;
  question: string;
  type: string;
  chunkType: string;
  /** 1-based rank of the first evidence passage, 0 when none was retrieved. */
  evidenceRank: number;
  /** 1-based ranks of every retrieved passage that holds evidence. */
  evidenceRanks: number[];
  /** 1-based rank of the first passage from a named source document, 0 when none (or none named). */
  sourceRank: number;
  /** Share of the top k from named source documents, per k (only when the question names sources). */
  sourceShare: Record<number, number>;
  /** Evidence passages in the whole collection (0 = not covered). */
  evidenceInCollection: number;
  /** The reference answer says the documents do not hold the answer (see evidence.ts): not covered by design. */
  declined: boolean;
  /** Documents the question names, as found in the collection. */
  named: string[];
  /** Source globs that matched no document. */
  unmatched: string[];
  /** What was retrieved, best first. */
  ranked: CorpusPassage[];
}

export interface Scores {
  questions: number;
  /** Questions that name source documents (source_* figures average over these). */
  withSources: number;
  coverage: number;
  mrr: number;
  hit: Record<number, number>;
  sourceHit: Record<number, number>;
  sourceShare: Record<number, number>;
}

export interface RagEvalReport {
  ks: number[];
  overall: Scores;
  byType: Record<string, Scores>;
  byChunkType: Record<string, Scores>;
  questions: QuestionResult[];
}

interface Prepared {
  q: RagQuestion;
  target: EvidenceTarget;
  evidence: Set<string>;
  named: string[];
  unmatched: string[];
}

export class RagEvaluator {
  private readonly prepared: Prepared[];
  private readonly byId = new Map<string, EvidencePassage>();

  /**
   * Analyses every passage once (terms, numbers) and finds each question's evidence passages in
   * the whole collection (its coverage). `documents` are all file names in the collection.
   */
  constructor(questions: readonly RagQuestion[], documents: readonly string[], passages: Iterable<CorpusPassage>) {
    const all: Array<{ id: string; p: EvidencePassage }> = [];
    for (const c of passages) {
      const p: EvidencePassage = { doc: c.doc, text: c.text, terms: new Set(analyze(c.text)), numbers: numbersIn(c.text) };
      this.byId.set(c.id, p);
      all.push({ id: c.id, p });
    }
    const stats = termStats(all.map((x) => x.p.text));
    this.prepared = questions.map((q) => {
      const named = [...namedDocuments(q, documents)];
      const target: EvidenceTarget = {
        facts: keyFacts(q.question, q.answer, documents, stats),
        named: new Set(named.map((n) => n.toLowerCase())),
        restricted: q.sources.length > 0,
      };
      const evidence = new Set(all.filter((x) => holdsEvidence(x.p, target)).map((x) => x.id));
      return { q, target, evidence, named, unmatched: unmatchedSources(q, documents) };
    });
  }

  get questions(): RagQuestion[] {
    return this.prepared.map((p) => p.q);
  }

  /** Whether a passage (by id, or given whole) holds evidence for question `index`. */
  isEvidence(index: number, passage: CorpusPassage): boolean {
    const prep = this.prepared[index]!;
    if (prep.evidence.has(passage.id)) return true;
    // A passage the collection scan did not see (e.g. search ran on another copy): judge it afresh.
    if (this.byId.has(passage.id)) return false;
    const p: EvidencePassage = {
      doc: passage.doc,
      text: passage.text,
      terms: new Set(analyze(passage.text)),
      numbers: numbersIn(passage.text),
    };
    return holdsEvidence(p, prep.target);
  }

  /** Scores one question's ranking (best first). */
  score(index: number, ranked: readonly CorpusPassage[], ks: readonly number[] = DEFAULT_KS): QuestionResult {
    const prep = this.prepared[index]!;
    const named = new Set(prep.named.map((n) => n.toLowerCase()));
    const fromNamed = (p: CorpusPassage): boolean => named.has(p.doc.toLowerCase());
    const evidenceRanks = ranked.flatMap((p, i) => (this.isEvidence(index, p) ? [i + 1] : []));
    const restricted = prep.q.sources.length > 0;
    const sourceRank = restricted ? ranked.findIndex(fromNamed) + 1 : 0;
    const sourceShare: Record<number, number> = {};
    if (restricted) for (const k of ks) sourceShare[k] = ranked.slice(0, k).filter(fromNamed).length / k;
    return {
      id: prep.q.id,
      question: prep.q.question,
      type: prep.q.type,
      chunkType: prep.q.chunkType,
      evidenceRank: evidenceRanks[0] ?? 0,
      evidenceRanks,
      sourceRank,
      sourceShare,
      evidenceInCollection: prep.evidence.size,
      declined: prep.target.facts.declined,
      named: prep.named,
      unmatched: prep.unmatched,
      ranked: [...ranked],
    };
  }

  /** Runs `search` for every question in order and scores the rankings. */
  async run(
    search: (question: RagQuestion, index: number) => Promise<readonly CorpusPassage[]>,
    opts: { ks?: readonly number[]; onQuestion?: (done: number, total: number) => void; signal?: AbortSignal } = {},
  ): Promise<RagEvalReport> {
    const ks = [...(opts.ks ?? DEFAULT_KS)].sort((a, b) => a - b);
    const results: QuestionResult[] = [];
    for (let i = 0; i < this.prepared.length; i++) {
      opts.signal?.throwIfAborted();
      results.push(this.score(i, await search(this.prepared[i]!.q, i), ks));
      opts.onQuestion?.(i + 1, this.prepared.length);
    }
    return summarize(results, ks);
  }
}

function scoresOf(results: readonly QuestionResult[], ks: readonly number[]): Scores {
  const n = results.length;
  const withSources = results.filter((r) => r.named.length > 0 && r.sourceShare[ks[0]!] !== undefined);
  const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);
  const hit: Record<number, number> = {};
  const sourceHit: Record<number, number> = {};
  const sourceShare: Record<number, number> = {};
  for (const k of ks) {
    hit[k] = mean(results.map((r) => (r.evidenceRank > 0 && r.evidenceRank <= k ? 1 : 0)));
    sourceHit[k] = mean(withSources.map((r) => (r.sourceRank > 0 && r.sourceRank <= k ? 1 : 0)));
    sourceShare[k] = mean(withSources.map((r) => r.sourceShare[k] ?? 0));
  }
  return {
    questions: n,
    withSources: withSources.length,
    coverage: mean(results.map((r) => (r.evidenceInCollection > 0 ? 1 : 0))),
    mrr: mean(results.map((r) => (r.evidenceRank > 0 && r.evidenceRank <= MRR_DEPTH ? 1 / r.evidenceRank : 0))),
    hit,
    sourceHit,
    sourceShare,
  };
}

function grouped(results: readonly QuestionResult[], ks: readonly number[], key: (r: QuestionResult) => string): Record<string, Scores> {
  const groups = new Map<string, QuestionResult[]>();
  for (const r of results) {
    const g = key(r);
    if (!g) continue;
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  return Object.fromEntries([...groups].sort(([a], [b]) => a.localeCompare(b)).map(([g, rs]) => [g, scoresOf(rs, ks)]));
}

export function summarize(results: readonly QuestionResult[], ks: readonly number[] = DEFAULT_KS): RagEvalReport {
  return {
    ks: [...ks],
    overall: scoresOf(results, ks),
    byType: grouped(results, ks, (r) => r.type),
    byChunkType: grouped(results, ks, (r) => r.chunkType),
    questions: [...results],
  };
}
