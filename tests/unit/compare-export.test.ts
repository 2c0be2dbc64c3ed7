import { describe, expect, it } from 'vitest';
import { comparisonToJson, comparisonToMarkdown, exportName, type ExportedComparison } from '../../src/compare/export';
import { presetPanes } from '../../src/compare/panes';
import type { PaneRun } from '../../src/compare/run-panes';

const result = (text: string) => ({
  text,
  promptTokens: 120,
  completionTokens: 9,
  timeToFirstTokenMs: 40,
  tokensPerSecond: 30,
  totalMs: 340,
  finishReason: 'stop' as const,
});

function comparison(): ExportedComparison {
  const panes = presetPanes('server', {
    base: { engine: 'transformers', model: 'tiny-gpt2' },
    server: { baseUrl: 'http://localhost:11434/v1', model: 'llama3.1:8b' },
  });
  // Something a pane object must never carry out, were it ever attached to one.
  Object.assign(panes[1]!, { apiKey: 'sk-must-not-leave' });
  const runs: PaneRun[] = [
    {
      paneId: 'local-docs',
      model: null,
      messages: [{ role: 'user', content: 'q' }],
      status: 'done',
      result: result('# Heading\nThe moon [1].'),
      passagesUsed: 1,
    },
    {
      paneId: 'server-docs',
      model: null,
      messages: [{ role: 'user', content: 'q' }],
      status: 'failed',
      result: null,
      error: { name: 'ServerUnreachable', message: 'Nothing answers at localhost:11434.' },
      passagesUsed: 1,
    },
  ];
  return {
    question: 'Why does the tide rise?',
    startedAt: Date.UTC(2026, 10, 29, 8, 0),
    params: { maxTokens: 64, temperature: 0, topP: 1, seed: 42 },
    asked: { mode: 'keyword', k: 1 },
    promptVersion: 3,
    retrieval: {
      hits: [
        {
          chunkId: 'c1',
          rank: 1,
          score: 1,
          docId: 'd1',
          docName: 'tides.md',
          ordinal: 0,
          text: 'The moon pulls the oceans.',
          headingPath: ['Tides'],
          pages: [2],
        },
      ],
      modeUsed: 'keyword',
      ms: 1,
      retrieveMs: 1,
    },
    panes,
    runs,
    notes: ['"Server model + your documents" answers on http://localhost:11434 while the local models answer.'],
  };
}

describe('a comparison as files', () => {
  it('Markdown: each pane under its name, model and where it ran; an answer quoted whole; a failed pane says why; the passages with sources', () => {
    const md = comparisonToMarkdown(comparison());
    expect(md).toContain('# Why does the tide rise?');
    expect(md).toContain('seed 42, temperature 0, top-p 1, at most 64 tokens');
    expect(md).toContain(
      '## Local model + your documents\n\ntiny-gpt2, in this tab (transformers.js), with your documents.\n\n> # Heading\n> The moon [1].',
    );
    expect(md).toContain(
      '## Server model + your documents\n\nllama3.1:8b, sent to localhost:11434, with your documents.\n\n_No answer (failed: Nothing answers at localhost:11434.)._',
    );
    expect(md).toContain('1. **tides.md, p. 2, Tides**\n\n   > The moon pulls the oceans.');
    expect(md).toContain('## How the panes ran\n\n- "Server model + your documents" answers on http://localhost:11434');
  });

  it('JSON keeps every pane with its run and the passages, and no API key', () => {
    const parsed = JSON.parse(comparisonToJson(comparison())) as Record<string, unknown> & { panes: Array<Record<string, unknown>> };
    expect(parsed).toMatchObject({
      format: 'ragscope-comparison',
      version: 1,
      question: 'Why does the tide rise?',
      askedAt: '2026-11-29T08:00:00.000Z',
    });
    expect(parsed.panes.map((p) => [p.id, (p.run as { status: string }).status])).toEqual([
      ['local-docs', 'done'],
      ['server-docs', 'failed'],
    ]);
    expect(parsed.panes[1]!.server).toEqual({ baseUrl: 'http://localhost:11434/v1' });
    expect(parsed.passages).toEqual([
      { n: 1, source: 'tides.md, p. 2, Tides', docName: 'tides.md', pages: [2], text: 'The moon pulls the oceans.' },
    ]);
    // Field by field: a pane has these keys and no others (whatever else its object carried).
    expect(Object.keys(parsed.panes[1]!)).toEqual(['id', 'label', 'engine', 'model', 'server', 'retrieval', 'run']);
    expect(comparisonToJson(comparison())).not.toContain('sk-must-not-leave');
  });

  it('names the file after the question', () => {
    expect(exportName('Why does the tide rise?', 'md')).toBe('why-does-the-tide-rise.md');
    expect(exportName('¿Qué?', 'json')).toBe('que.json');
    expect(exportName('???', 'json')).toBe('comparison.json');
  });
});
