/**
 * The pane layout kept between visits (src/state/compare.svelte.ts readLayout): what a damaged or
 * older value in localStorage gives back. It must never break the Ask view on every visit.
 */
import { describe, expect, it } from 'vitest';
import { PANES_STORAGE, readLayout } from '../../src/state/compare.svelte';

const stored = (value: unknown) => ({ getItem: (k: string) => (k === PANES_STORAGE ? JSON.stringify(value) : null) });
const PANE = { id: 'a', label: 'A', engine: 'transformers', model: 'tiny-gpt2', retrieval: false };
const SERVER = {
  id: 'b',
  label: 'B',
  engine: 'openai',
  model: 'm',
  server: { baseUrl: 'http://u:p@localhost:11434/v1?k=1' },
  retrieval: true,
};

describe('the saved pane layout', () => {
  it('reads a good layout back, keeping each pane to the keys a pane has and a server address to its clean form', () => {
    const out = readLayout(stored({ preset: 'server', custom: [{ ...PANE, extra: 1 }, SERVER] }));
    expect(out.preset).toBe('server');
    expect(out.custom).toEqual([PANE, { ...SERVER, server: { baseUrl: 'http://localhost:11434/v1' } }]);
  });

  it('gives the default preset for nothing, broken JSON or an unknown preset, and drops damaged panes', () => {
    expect(readLayout(null)).toMatchObject({ preset: 'documents', custom: null });
    expect(readLayout({ getItem: () => '{not json' })).toMatchObject({ preset: 'documents', custom: null });
    expect(readLayout(stored({ preset: 'nope' })).preset).toBe('documents');
    for (const custom of [
      [PANE, { ...PANE, id: 'b', model: 3 }], // a model that is not text
      [PANE, { ...PANE, engine: 'gpu' }], // an engine that does not exist
      [PANE, PANE], // two panes with one id
      [PANE, PANE, PANE, PANE, PANE].map((p, i) => ({ ...p, id: `p${i}` })), // more than four
      'panes',
    ]) {
      expect(readLayout(stored({ preset: 'training', custom })), JSON.stringify(custom)).toMatchObject({
        preset: 'training',
        custom: null,
      });
    }
  });

  it("keeps another preset's edits, dropping damaged ones", () => {
    const out = readLayout(
      stored({ preset: 'documents', custom: null, edits: { training: [PANE, { ...PANE, id: 'b' }], server: [{ id: 1 }] } }),
    );
    expect(out.edits).toEqual({ training: [PANE, { ...PANE, id: 'b' }] });
  });
});
