/**
 * One comparison as files, DOM-free: JSON that keeps everything (`comparisonToJson`: the panes,
 * every pane's exact messages, answer and numbers, the passages with their sources, the settings
 * and the plan's notes) and Markdown to read or hand out after a workshop (`comparisonToMarkdown`:
 * the question, each pane's answer under what it was, and the passages it could cite). Neither
 * holds an API key: a pane names its server by address only (panes.ts).
 */

import { sourceLine } from '../generate/prompts';
import type { SearchResult } from '../index/types';
import type { GenerationParams } from '../generate/engine';
import { paneServerUrl, serverOrigin, type PaneSpec } from './panes';
import type { PaneRun } from './run-panes';

/** What an export is made from: a comparison just asked or one from the history. */
export interface ExportedComparison {
  question: string;
  /** ms since the epoch. */
  startedAt: number;
  params: GenerationParams;
  asked?: { mode: string; k: number } | undefined;
  promptVersion: number;
  retrieval: SearchResult;
  panes: PaneSpec[];
  runs: PaneRun[];
  notes?: string[] | undefined;
}

/** The format's name and version, so a reader can tell what it holds. */
export const COMPARISON_FORMAT = { format: 'ragscope-comparison', version: 1 } as const;

export function comparisonToJson(c: ExportedComparison): string {
  return JSON.stringify(
    {
      ...COMPARISON_FORMAT,
      question: c.question,
      askedAt: new Date(c.startedAt).toISOString(),
      params: c.params,
      retrievalAsked: c.asked ?? null,
      promptVersion: c.promptVersion,
      // Field by field: a pane carries nothing else (no key: that stays in this browser's Settings).
      panes: c.panes.map((p, i) => ({
        id: p.id,
        label: p.label,
        engine: p.engine,
        model: p.model,
        ...(p.server ? { server: { baseUrl: paneServerUrl(p.server.baseUrl) } } : {}),
        retrieval: p.retrieval,
        run: c.runs[i] ?? null,
      })),
      passages: c.retrieval.hits.map((h, i) => ({
        n: i + 1,
        source: sourceLine(h),
        docName: h.docName,
        pages: h.pages ?? null,
        text: h.text,
      })),
      retrieval: { modeUsed: c.retrieval.modeUsed, ms: c.retrieval.retrieveMs, fallbackReason: c.retrieval.fallbackReason ?? null },
      notes: c.notes ?? [],
    },
    null,
    2,
  );
}

/** Where a pane ran, in words: "in this tab (transformers.js)" or "sent to localhost:11434". */
export function paneWhere(p: PaneSpec): string {
  if (p.engine === 'openai') {
    const origin = p.server ? serverOrigin(p.server.baseUrl) : null;
    return `sent to ${origin ? new URL(origin).host : 'a server'}`;
  }
  return `in this tab (${p.engine === 'webllm' ? 'web-llm' : 'transformers.js'})`;
}

/** Text as a Markdown block quote (every line quoted, so an answer's own headings or lists stay inside it). */
const quote = (text: string): string =>
  text
    .trim()
    .split('\n')
    .map((l) => `> ${l}`.trimEnd())
    .join('\n');

export function comparisonToMarkdown(c: ExportedComparison): string {
  const p = c.params;
  const out = [
    `# ${c.question}`,
    '',
    `Asked ${new Date(c.startedAt).toISOString()} with ragscope. Same settings in every pane: seed ${p.seed}, temperature ${p.temperature}, top-p ${p.topP}, at most ${p.maxTokens} tokens.`,
  ];
  c.panes.forEach((pane, i) => {
    const run = c.runs[i];
    const r = run?.result;
    out.push(
      '',
      `## ${pane.label}`,
      '',
      `${pane.model}, ${paneWhere(pane)}, ${pane.retrieval ? 'with your documents' : 'without documents'}.`,
      '',
    );
    if (r?.text.trim()) out.push(quote(r.text));
    else out.push(`_No answer (${run?.status ?? 'not run'}${run?.error ? `: ${run.error.message}` : ''})._`);
    if (r) out.push('', `${r.completionTokens} tokens, prompt ${r.promptTokens} tokens, ${r.tokensPerSecond.toFixed(1)} tokens/s.`);
  });
  if (c.retrieval.hits.length > 0) {
    out.push('', '## Passages', '');
    c.retrieval.hits.forEach((h, i) => out.push(`${i + 1}. **${sourceLine(h)}**`, '', quote(h.text).replace(/^/gm, '   '), ''));
  }
  if (c.notes?.length) out.push('', '## How the panes ran', '', ...c.notes.map((n) => `- ${n}`));
  return `${out.join('\n').trimEnd()}\n`;
}

/** A file name from the question: "why-does-the-tide-rise.md". */
export function exportName(question: string, ext: 'json' | 'md'): string {
  const slug = question
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return `${slug || 'comparison'}.${ext}`;
}
