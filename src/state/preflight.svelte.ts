/** The capability preflight (src/platform/preflight.ts) over the page's live facts, shared by its card and the top-of-page notice. */

import { preflight, type Check } from '../platform/preflight';
import type { GpuStatus } from '../platform/webgpu';
import type { OfflineState } from './offline.svelte';
import type { StorageState } from './storage.svelte';

export class PreflightState {
  readonly checks: Check[] = $derived.by(() =>
    preflight({
      secureContext: typeof isSecureContext === 'undefined' ? true : isSecureContext,
      gpu: this.gpu(),
      storage: this.storage.estimate,
      offline: this.offline.status,
    }),
  );
  /** Problems that stop something from working: shown at the top of the page too. */
  readonly problems: Check[] = $derived(this.checks.filter((c) => c.level === 'bad'));

  constructor(
    private readonly gpu: () => GpuStatus | null,
    private readonly offline: OfflineState,
    private readonly storage: StorageState,
  ) {}
}
