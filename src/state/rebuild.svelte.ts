/**
 * Rebuilding documents chunked otherwise than a drop would be now (other chunk settings, or an
 * older ragscope: see INDEXING_VERSION): each is read again from its kept original, with a pool of
 * its own (one worker) so drops made meanwhile go on in theirs, replaced in the library in one
 * write, and embedded again.
 */

import { deserializeError, type SerializedError } from '../core/errors';
import { indexingStamp, sameIndexing } from '../ingest/ingest';
import { IngestPool } from '../ingest/pool';
import type { IngestResult } from '../ingest/protocol';
import type { LibraryDoc } from '../library/protocol';
import type { Settings } from '../settings/defaults';
import type { EmbeddingState } from './embedding.svelte';
import { connectedIngester, poolOptions } from './ingest.svelte';
import type { LibraryState } from './library.svelte';
import type { Spawners } from './workers';

/**
 * The rebuild in progress (or last finished): documents handled of all, how many were rebuilt, the
 * one being read, the ones that could not be (with why).
 */
export interface RebuildProgress {
  done: number;
  rebuilt: number;
  total: number;
  current: string | null;
  failed: string[];
  running: boolean;
  cancelled: boolean;
}

export class RebuildState {
  status = $state<RebuildProgress | null>(null);
  /** Documents chunked otherwise than a drop would be now. Rebuilding them needs their original files. */
  readonly stale = $derived.by(() => {
    const now = indexingStamp(this.settings().ingest);
    return this.library.documents.filter((d) => !sameIndexing(d.indexing, now));
  });
  private controller: AbortController | null = null;
  private pool: IngestPool | null = null;
  private readonly unlisten: () => void;

  constructor(
    private readonly spawn: Spawners,
    private readonly library: LibraryState,
    private readonly embedding: EmbeddingState,
    private readonly settings: () => Settings,
  ) {
    // A rebuild reads and writes the open collection: it stops when another one opens.
    this.unlisten = library.listen((change) => {
      if (change.type === 'closing') this.controller?.abort();
      if (change.type === 'lost') {
        this.controller?.abort();
        this.pool?.fail(change.error);
      }
    });
  }

  /**
   * Chunks the stale documents again with the current settings, one at a time. Documents whose
   * original was not kept are skipped, by name. Cancel abandons the document in hand (it stays as
   * it was); what is rebuilt stays rebuilt.
   */
  run(): Promise<void> {
    return this.library.act(async () => {
      if (this.status?.running) return;
      const todo = this.stale;
      const controller = (this.controller = new AbortController());
      const state: RebuildProgress = {
        done: 0,
        rebuilt: 0,
        total: todo.length,
        current: null,
        failed: [],
        running: true,
        cancelled: false,
      };
      this.status = { ...state };
      const pool = (this.pool = new IngestPool(() => connectedIngester(this.spawn, this.library)));
      try {
        for (const d of todo) {
          if (controller.signal.aborted) break;
          this.status = { ...state, current: d.name };
          const outcome = await this.rebuildOne(pool, d, controller.signal);
          if (outcome === 'cancelled') break;
          if (outcome === 'rebuilt') state.rebuilt++;
          else if (outcome !== 'gone') state.failed.push(`${d.name} (${outcome})`);
          state.done++;
          this.status = { ...state };
        }
      } finally {
        pool.dispose();
        if (this.pool === pool) this.pool = null;
        state.cancelled = state.done < state.total;
        this.status = { ...state, current: null, running: false };
        if (this.controller === controller) this.controller = null;
        await this.library.refresh();
      }
    });
  }

  /** One document: 'rebuilt', 'gone' (deleted meanwhile), 'cancelled', or why it could not be. */
  private async rebuildOne(pool: IngestPool, d: LibraryDoc, signal: AbortSignal): Promise<string> {
    const lib = await this.library.ready();
    const original = d.originalSize !== undefined ? await lib.original(d.id) : null;
    if (!original) return 'its original file is not kept: delete it, then drop it again';
    // Any embedding of its old chunks (queued, running, or offered) is void from here.
    this.embedding.forget(d.id);
    let result: IngestResult | null = null;
    let failure: SerializedError | null = null;
    await pool.run(
      [{ key: `rebuild-${d.id}`, file: original.file, name: d.name }],
      poolOptions(this.settings(), 'replace', () => []),
      {
        start: () => undefined,
        progress: () => undefined,
        done: (_job, r) => (result = r),
        fail: (_job, e) => (failure = e),
      },
      signal,
    );
    const r = result as IngestResult | null;
    if (r?.kind === 'stored' && r.status === 'replaced') {
      this.embedding.enqueue([{ docId: d.id, name: d.name, chunks: r.summary.chunks, otherModels: [] }]);
      return 'rebuilt';
    }
    // Stopped by a re-open: the document belongs to the collection that was open, not to the queue now.
    if (signal.aborted) return 'cancelled';
    // Not rebuilt: it keeps its old chunks, so it still needs what it needed before.
    if (!d.embedded && d.otherModels.length === 0)
      this.embedding.enqueue([{ docId: d.id, name: d.name, chunks: d.chunkCount, otherModels: [] }]);
    if (r?.kind === 'stored' && r.status === 'missing') return 'gone';
    const error = failure as SerializedError | null;
    if (!error) return 'it could not be read again';
    if (error.name === 'Cancelled' || signal.aborted) return 'cancelled';
    return deserializeError(error).message;
  }

  cancel(): void {
    this.controller?.abort();
  }

  dispose(): void {
    this.unlisten();
    this.controller?.abort();
  }

  /** Hides the last rebuild's summary. */
  dismiss(): void {
    if (!this.status?.running) this.status = null;
  }
}
