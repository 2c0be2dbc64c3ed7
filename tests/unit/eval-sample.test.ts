/**
 * Passages to generate questions from (src/eval/sample.ts): spread over the documents, not the
 * first chunks of the first documents; the same for the same seed; filtered without losing spread.
 */
import { describe, expect, it } from 'vitest';
import { samplePassageRefs, type PassageRef } from '../../src/eval/sample';

const DOCS = [
  { id: 'big', chunkCount: 200 },
  { id: 'a', chunkCount: 3 },
  { id: 'b', chunkCount: 10 },
  { id: 'c', chunkCount: 1 },
  { id: 'd', chunkCount: 40 },
];

const key = (r: PassageRef): string => `${r.docId}:${r.ordinal}`;

describe('samplePassageRefs', () => {
  it('represents every document once passages asked ≥ documents, and gives none a second before all have a first', () => {
    const refs = samplePassageRefs(DOCS, 5, 7);
    expect(refs.map((r) => r.docId).sort()).toEqual(['a', 'b', 'big', 'c', 'd']);
    const more = samplePassageRefs(DOCS, 12, 7);
    const perDoc = new Map<string, number>();
    for (const r of more) perDoc.set(r.docId, (perDoc.get(r.docId) ?? 0) + 1);
    // c has one chunk; the other four share the remaining 11 as evenly as rounds allow (3,3,3,2).
    expect(perDoc.get('c')).toBe(1);
    expect(
      [...perDoc]
        .filter(([d]) => d !== 'c')
        .map(([, n]) => n)
        .sort(),
    ).toEqual([2, 3, 3, 3]);
    // Round robin: the first five are one of each document.
    expect(new Set(more.slice(0, 5).map((r) => r.docId)).size).toBe(5);
  });

  it('draws positions across a document, not its first chunks, and never the same passage twice', () => {
    const refs = samplePassageRefs([{ id: 'big', chunkCount: 200 }], 20, 3);
    expect(refs).toHaveLength(20);
    expect(new Set(refs.map(key)).size).toBe(20);
    const ordinals = refs.map((r) => r.ordinal);
    expect(Math.max(...ordinals)).toBeGreaterThan(100);
    expect(ordinals.filter((o) => o < 20).length).toBeLessThan(10);
    // Asking for more than there is gives everything, once.
    const all = samplePassageRefs(DOCS, 10_000, 3);
    expect(all).toHaveLength(254);
    expect(new Set(all.map(key)).size).toBe(254);
  });

  it('is deterministic for a seed, whatever the order of the documents, and differs between seeds', () => {
    const once = samplePassageRefs(DOCS, 15, 42);
    expect(samplePassageRefs([...DOCS].reverse(), 15, 42)).toEqual(once);
    expect(samplePassageRefs(DOCS, 15, 43)).not.toEqual(once);
    // Fewer passages than documents: which documents is drawn too, not the first listed.
    const picked = new Set<string>();
    for (let seed = 0; seed < 20; seed++) for (const r of samplePassageRefs(DOCS, 2, seed)) picked.add(r.docId);
    expect(picked.size).toBe(5);
  });

  it('skips passages the filter refuses, keeping the spread; a document with none left drops out', () => {
    // Even ordinals only ("long enough"), and nothing of b.
    const keep = (r: PassageRef): boolean => r.docId !== 'b' && r.ordinal % 2 === 0;
    const refs = samplePassageRefs(DOCS, 8, 5, keep);
    expect(refs).toHaveLength(8);
    expect(refs.every(keep)).toBe(true);
    expect(new Set(refs.slice(0, 4).map((r) => r.docId))).toEqual(new Set(['a', 'big', 'c', 'd']));
    expect(samplePassageRefs(DOCS, 8, 5, () => false)).toEqual([]);
    expect(samplePassageRefs(DOCS, 0, 5)).toEqual([]);
    expect(samplePassageRefs([], 3, 5)).toEqual([]);
  });
});
