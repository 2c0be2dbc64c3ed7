/**
 * Evaluate-view records built by hand for the export and run-comparison tests: a run, and results
 * whose comparisons look like stored ones (passages, both prompts, both answers), with the scores
 * written out so each test knows every figure.
 */
import type { ComparisonResult } from '../../src/compare/run';
import type { GenerationParams } from '../../src/generate/engine';
import type { SearchHit } from '../../src/index/types';
import type { AnswerScore } from '../../src/eval/answers';
import type { Grounding } from '../../src/eval/grounding';
import type { EvalResultRecord, EvalRunRecord, JudgeVerdict, RetrievalScore } from '../../src/eval/runs';

export const PARAMS: GenerationParams = { maxTokens: 256, temperature: 0, topP: 1, seed: 42 };

export function makeRun(over: Partial<EvalRunRecord> = {}, k = 5): EvalRunRecord {
  return {
    id: 'run-1',
    collectionId: 'col-1',
    setId: 'set-1',
    setName: 'Quarterly filings',
    label: `hybrid · top ${k} · Llama-3.2-1B`,
    createdAt: Date.UTC(2026, 4, 1, 14, 30),
    updatedAt: Date.UTC(2026, 4, 1, 14, 42),
    status: 'done',
    total: 3,
    done: 3,
    elapsedMs: 36_000,
    settings: {
      retrieval: { mode: 'hybrid', k },
      params: PARAMS,
      chatModel: { engine: 'webllm', model: 'Llama-3.2-1B-Instruct-q4f16_1-MLC', backend: 'webgpu', dtype: 'q4f16', loadMs: 5000 },
      embedModel: 'Xenova/bge-small-en-v1.5',
      promptVersion: 3,
      judge: false,
    },
    ...over,
  };
}

export function hit(rank: number, docName: string, text: string, pages?: number[], headingPath: string[] = []): SearchHit {
  return {
    chunkId: `${docName}#${rank}`,
    rank,
    score: 1 / rank,
    docId: `doc-${docName}`,
    docName,
    ordinal: rank * 3,
    text,
    ...(pages ? { pages } : {}),
    headingPath,
  };
}

const score = (f1: number, contains: boolean, found: number, total: number): AnswerScore => ({
  f1,
  facts: { found, total, by: 'numbers', contains },
});

export interface ResultSpec {
  index: number;
  question: string;
  reference: string;
  plain: string;
  grounded: string;
  hits: SearchHit[];
  evidenceRank: number;
  sourceRank?: number;
  named?: string[];
  declined?: boolean;
  f1: [number, number];
  facts: [boolean, boolean];
  found?: [number, number, number];
  grounding?: Grounding | null;
  judge?: JudgeVerdict;
  groundedStatus?: 'done' | 'failed';
  ms?: number;
}

export function makeResult(runId: string, s: ResultSpec): EvalResultRecord {
  const [fp, fg, total] = s.found ?? [s.facts[0] ? 1 : 0, s.facts[1] ? 1 : 0, 1];
  const generation = (text: string) => ({
    text,
    finishReason: 'stop' as const,
    promptTokens: 120,
    completionTokens: 40,
    timeToFirstTokenMs: 300,
    totalMs: 2100,
    tokensPerSecond: 19.5,
  });
  const comparison: ComparisonResult = {
    question: s.question,
    startedAt: Date.UTC(2026, 4, 1, 14, 30, s.index),
    params: PARAMS,
    asked: { mode: 'hybrid', k: 5 },
    promptVersion: 3,
    retrieval: { hits: s.hits, modeUsed: 'hybrid', ms: 40, retrieveMs: 30 },
    retrievalMs: 55,
    plain: {
      messages: [
        { role: 'system', content: 'Answer the question.' },
        { role: 'user', content: s.question },
      ],
      status: 'done',
      result: generation(s.plain),
    },
    grounded:
      s.groundedStatus === 'failed'
        ? {
            messages: [{ role: 'user', content: s.question }],
            status: 'failed',
            result: null,
            error: { name: 'DeviceLost', message: 'The GPU was lost.', data: { model: 'm' } },
            passagesUsed: s.hits.length,
          }
        : {
            messages: [
              { role: 'system', content: 'Answer from the passages.' },
              { role: 'user', content: `<passages>…</passages>\n\nQuestion: ${s.question}` },
            ],
            status: 'done',
            result: generation(s.grounded),
            passagesUsed: s.hits.length,
          },
  };
  const retrieval: RetrievalScore = {
    evidenceRank: s.evidenceRank,
    by: 'rule',
    sourceRank: s.sourceRank ?? 0,
    named: s.named ?? [],
    evidenceInCollection: s.declined ? 0 : 2,
    declined: s.declined ?? false,
  };
  const gain = ((s.facts[1] ? 1 : 0) - (s.facts[0] ? 1 : 0)) as -1 | 0 | 1;
  return {
    runId,
    index: s.index,
    question: { id: `q${s.index + 1}`, question: s.question, answer: s.reference, sources: s.named ?? [], type: '', chunkType: '' },
    comparison,
    retrieval,
    answers: {
      plain: score(s.f1[0], s.facts[0], fp, total),
      grounded: score(s.f1[1], s.facts[1], fg, total),
      f1Gain: s.f1[1] - s.f1[0],
      factsGain: gain,
    },
    grounding:
      s.grounding === undefined ? { sentences: [], supportedShare: 1, citations: 1, unsupportedCitations: 0, threshold: 0.6 } : s.grounding,
    ...(s.judge ? { judge: s.judge } : {}),
    ms: s.ms ?? 4321.6,
  };
}

/** Three questions: a win (with commas, quotes and a newline in the answers), a tie retrieval missed, and a loss. */
export function threeResults(runId = 'run-1'): EvalResultRecord[] {
  return [
    makeResult(runId, {
      index: 0,
      question: 'What were total net sales in Q3 2022?',
      reference: 'Total net sales were $82,959 million.',
      plain: 'About $90 billion, I think.',
      grounded: 'Total net sales were $82,959 million, "up 2%" year over year [1].\nServices grew too [2].',
      hits: [
        hit(1, 'a.pdf', 'Total net sales 82,959', [3]),
        hit(2, 'b.md', 'Services…', undefined, ['Results', 'Services']),
        hit(3, 'a.pdf', '…', [4, 5]),
      ],
      evidenceRank: 1,
      sourceRank: 1,
      named: ['a.pdf'],
      f1: [0.2, 0.75],
      facts: [false, true],
      found: [0, 1, 1],
      grounding: { sentences: [], supportedShare: 0.5, citations: 2, unsupportedCitations: 1, threshold: 0.6 },
    }),
    makeResult(runId, {
      index: 1,
      question: 'Who audits the company?',
      reference: 'Ernst & Young LLP',
      plain: '=HYPERLINK("http://x.example","click")',
      grounded: '- The documents do not say.\n- Ask the treasurer.',
      hits: [hit(1, 'c.txt', 'Unrelated.')],
      evidenceRank: 0,
      f1: [0, 0.1],
      facts: [false, false],
      grounding: null,
    }),
    makeResult(runId, {
      index: 2,
      question: 'What was the gross margin?',
      reference: 'Gross margin was 42.3%.',
      plain: 'Gross margin was 42.3%.',
      grounded: 'Gross margin was about 40%.',
      hits: [hit(1, 'a.pdf', '…', [7]), hit(2, 'a.pdf', 'Gross margin 42.3%', [8])],
      evidenceRank: 2,
      f1: [1, 0.5],
      facts: [true, false],
      ms: 1000,
    }),
  ];
}
