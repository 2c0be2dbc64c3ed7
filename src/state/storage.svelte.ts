/**
 * What ragscope keeps on this device, in one view: the origin's usage against its quota, whether
 * the browser promised to keep it, each collection's size, and each cached transformers.js model.
 * (web-llm's models come from WebLlmModelsState.) Deleting from here goes through the same paths
 * as elsewhere: the library worker for collections, the Cache API for transformers.js models.
 */

import { deleteCachedModel, listCachedModels, type CachedModel } from '../platform/model-cache';
import { serializeError, type SerializedError } from '../core/errors';
import { askToPersist, isPersisted, storageEstimate, type PersistOutcome, type StorageEstimate } from '../platform/persistence';
import type { CollectionUsage } from '../store/store';
import type { LibraryState } from './library.svelte';
import type { Settings } from '../settings/defaults';

export class StorageState {
  estimate = $state.raw<StorageEstimate | null>(null);
  persisted = $state<boolean | null>(null);
  /** The browser's answer when asked from here ("Ask to keep it"); null until then. */
  persistAnswer = $state<PersistOutcome | null>(null);
  collections = $state.raw<CollectionUsage[]>([]);
  models = $state.raw<CachedModel[]>([]);
  error = $state.raw<SerializedError | null>(null);
  busy = $state(false);

  constructor(
    private readonly library: LibraryState,
    private readonly settings: () => Settings,
  ) {}

  private soon: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  /**
   * Refreshes within `ms` of a change, and at most once per `ms`: a folder drop, and the embedding
   * after it, change the library several times a second for minutes. A timer restarted by every
   * change would not fire until they stopped, leaving a new collection at "0 documents" meanwhile.
   */
  refreshSoon(ms = 1000): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.refresh();
    }, ms);
  }

  /**
   * Reads everything again. A call while a read is under way is served by one more round after it:
   * reads never overlap, so a slow one cannot land after, and replace, a newer one.
   */
  refresh(): Promise<void> {
    this.again = true;
    this.running ??= (async () => {
      this.busy = true;
      try {
        while (this.again) {
          this.again = false;
          await this.read();
        }
      } finally {
        this.busy = false;
        this.running = null;
      }
    })();
    return this.running;
  }

  private async read(): Promise<void> {
    try {
      const local = this.settings().modelSource.startsWith('/') ? this.settings().modelSource : '/models/';
      const [estimate, persisted, collections, models] = await Promise.all([
        storageEstimate(),
        isPersisted(),
        (await this.library.ready()).usage(),
        typeof caches === 'undefined' ? Promise.resolve([]) : listCachedModels(caches, local),
      ]);
      Object.assign(this, { estimate, persisted, collections, models, error: null });
    } catch (e) {
      this.error = serializeError(e);
    }
  }

  /** Asks the browser to keep ragscope's data when disk space runs low (the browser may decline). */
  async askPersistence(): Promise<void> {
    this.persistAnswer = await askToPersist();
    this.persisted = this.persistAnswer === 'granted';
  }

  async deleteCollection(id: string): Promise<void> {
    await this.library.deleteCollection(id);
    await this.refresh();
  }

  async deleteModel(model: CachedModel): Promise<void> {
    try {
      await deleteCachedModel(caches, model);
    } catch (e) {
      this.error = serializeError(e);
    }
    await this.refresh();
  }
}
