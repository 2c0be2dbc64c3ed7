/**
 * The web-llm models on this device: the list for this GPU, fetching one ahead of time (for a room
 * without internet, or just to wait once), and deleting one. Uses the page's one LLM worker (see
 * engines.svelte.ts): listing and downloading need web-llm's model list but no GPU memory, so they
 * never disturb a loaded model.
 */

import type { WebLlmModelEntry, WebLlmModelRequest } from '../generate/webllm-catalog';
import { parseModelSource } from '../platform/model-source';
import { serializeError, type SerializedError } from '../core/errors';
import type { Progress } from '../core/progress';
import type { Settings } from '../settings/defaults';
import type { Engines } from './engines.svelte';

export class WebLlmModelsState {
  entries = $state.raw<WebLlmModelEntry[] | null>(null);
  loading = $state(false);
  error = $state.raw<SerializedError | null>(null);
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

  private fail(e: unknown): void {
    this.error = serializeError(e);
  }

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      const { source, cache } = this.request();
      this.entries = await this.client().webllmModels({ source, cache });
      this.error = null;
    } catch (e) {
      this.fail(e);
    } finally {
      this.loading = false;
    }
  }

  async download(id: string): Promise<void> {
    if (this.busyId) return;
    const controller = (this.controller = new AbortController());
    this.busyId = id;
    this.progress = null;
    this.error = null;
    this.done = null;
    try {
      const r = await this.client().webllmDownload(this.request(id), { signal: controller.signal, onProgress: (p) => (this.progress = p) });
      this.done = r.fetchedFiles === 0 ? `${id} was already on this device.` : `${id} is on this device now; it works without internet.`;
    } catch (e) {
      this.fail(e);
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
    this.error = null;
    this.done = null;
    try {
      await this.client().webllmDelete(this.request(id));
      this.done = `${id} was deleted from this device.`;
    } catch (e) {
      this.fail(e);
    } finally {
      this.busyId = null;
      await this.refresh();
    }
  }
}
