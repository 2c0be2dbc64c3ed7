/**
 * The Storage card's state (src/state/storage.svelte.ts) over a library whose collection grows
 * while the card watches: the page asks it to refresh on every change of the library, as App.svelte
 * does, and the counts must follow.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StorageState } from '../../src/state/storage.svelte';
import type { LibraryState } from '../../src/state/library.svelte';
import type { CollectionUsage } from '../../src/store/store';
import { DEFAULT_SETTINGS } from '../../src/settings/defaults';

afterEach(() => {
  vi.useRealTimers();
});

/** A library worker answering `usage` with `stored()` documents in one collection, after `ms`. */
function libraryWith(stored: () => number, ms = 20): LibraryState {
  const usage = async (): Promise<CollectionUsage[]> => {
    const documents = stored();
    await new Promise((r) => setTimeout(r, ms));
    return [{ collectionId: 'web', name: 'Web pages', documents, originalBytes: 0, textBytes: documents * 1000, vectorBytes: 0 }];
  };
  return { ready: () => Promise.resolve({ usage }) } as unknown as LibraryState;
}

describe('the Storage card', () => {
  it('follows a collection that keeps growing (a folder drop being stored and embedded), not only after a reload', async () => {
    vi.useFakeTimers();
    let stored = 0;
    const storage = new StorageState(
      libraryWith(() => stored),
      () => DEFAULT_SETTINGS,
    );
    const shown = (): number | undefined => storage.collections.find((c) => c.name === 'Web pages')?.documents;

    // A document stored every 200 ms for 10 s; the library changes with each, and the page asks the card to refresh.
    for (let t = 0; t < 10_000; t += 200) {
      stored++;
      storage.refreshSoon();
      await vi.advanceTimersByTimeAsync(200);
      // Within about a second of any change (one refresh interval, plus the read), the card has caught up with it.
      if (t >= 1_400) expect(shown(), `at ${t} ms`).toBeGreaterThanOrEqual(stored - 7);
    }
    await vi.advanceTimersByTimeAsync(1_500);
    expect(shown()).toBe(stored);
    expect(storage.busy).toBe(false);
  });
});
