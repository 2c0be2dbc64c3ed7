/**
 * The web-llm models on this device: the list for this GPU, fetching one ahead of time (for a room
 * without internet, or just to wait once), and deleting one. Uses the page's one LLM worker (see
 * engines.svelte.ts): listing and downloading need web-llm's model list but no GPU memory, so they
 * never disturb a loaded model.
 */

import type { WebLlmModelEntry, WebLlmModelRequest } from '../generate/webllm-catalog';
import { parseModelSource } from '../platform/model-source';
import { isAppError, serializeError, type SerializedError } from '../core/errors';
import type { Progress } from '../core/progress';
import type { Settings } from '../settings/defaults';
import type { Engines } from './engines.svelte';

export class WebLlmModelsState {
  entries = $state.raw<WebLlmModelEntry[] | null>(null);
  loading = $state(false);
  /** Why the list could not be read. */
  listError = $state.raw<SerializedError | null>(null);
  /**
   * The last download or delete that failed, and what to try again. Kept apart from the list's
   * error: each action reads the list again when it ends, and that must not hide why it failed.
   */
  failed = $state.raw<{ action: 'download' | 'remove'; id: string; error: SerializedError } | null>(null);
  /** The model being downloaded or deleted right now. */
  busyId = $state<string | null>(null);
  progress = $state.raw<Progress | null>(null);
  /** The last finished action, for the status line. */
  done = $state<string | null>(null);

  private controller: AbortController | null = null;

  constructor(
    private readonly engines: Engines,
    private readonly settings: () => Settings,
    private readonly origin: string,
  ) {}

  private client() {
    return this.engines.llm();
  }

  private request(model = ''): WebLlmModelRequest {
    const s = this.settings();
    return { model, source: parseModelSource(s.modelSource, this.origin), cache: s.llm.webllmCache };
  }

  /** Runs the failed download or delete again. */
  retry(): Promise<void> {
    const f = this.failed;
    if (!f) return Promise.resolve();
    return f.action === 'download' ? this.download(f.id) : this.remove(f.id);
  }

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      const { source, cache } = this.request();
      this.entries = await this.client().webllmModels({ source, cache });
      this.listError = null;
    } catch (e) {
      this.listError = serializeError(e);
    } finally {
      this.loading = false;
    }
  }

  async download(id: string): Promise<void> {
    if (this.busyId) return;
    const controller = (this.controller = new AbortController());
    this.busyId = id;
    this.progress = null;
    this.failed = null;
    this.done = null;
    try {
      const r = await this.client().webllmDownload(this.request(id), { signal: controller.signal, onProgress: (p) => (this.progress = p) });
      this.done = r.fetchedFiles === 0 ? `${id} was already on this device.` : `${id} is on this device now; it works without internet.`;
    } catch (e) {
      // Cancel is the user's own doing, not a failure to show.
      if (!isAppError(e, 'Cancelled')) this.failed = { action: 'download', id, error: serializeError(e) };
    } finally {
      this.busyId = null;
      this.controller = null;
      await this.refresh();
    }
  }

  /** Stops the download; what finished is kept, and downloading again continues from there. */
  cancel(): void {
    this.controller?.abort();
  }

  async remove(id: string): Promise<void> {
    if (this.busyId) return;
    this.busyId = id;
    this.failed = null;
    this.done = null;
    try {
      await this.client().webllmDelete(this.request(id));
      this.done = `${id} was deleted from this device.`;
    } catch (e) {
      this.failed = { action: 'remove', id, error: serializeError(e) };
    } finally {
      this.busyId = null;
      await this.refresh();
    }
  }
}
