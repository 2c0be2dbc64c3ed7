/**
 * Whether ragscope works without the network here, and updates that never swap files under an open
 * tab. The service worker (Workbox, configured in vite.config.ts) precaches the whole app; this
 * registers it and turns its lifecycle into what the header shows.
 */

import { registerSW } from 'virtual:pwa-register';
import type { OfflineStatus } from '../platform/preflight';

export type { OfflineStatus };

/**
 * The development server (`npm run dev`), which has no service worker. MODE, not DEV: a build made
 * under a test runner (NODE_ENV=test) has DEV set, and does have its service worker.
 */
const DEVELOPMENT = import.meta.env.MODE === 'development';

export class OfflineState {
  status = $state<OfflineStatus>(DEVELOPMENT ? 'development' : 'unsupported');
  /** A new version is downloaded and waits for the user (it never replaces an open tab by itself). */
  updateReady = $state(false);
  /** Another tab accepted an update: this one still runs the old files and should be reloaded. */
  updatedElsewhere = $state(false);
  online = $state(typeof navigator === 'undefined' ? true : navigator.onLine);
  /** Opened as an installed app (its own window), not in a browser tab. */
  installed = $state(false);
  error = $state<string | null>(null);

  private update: ((reload?: boolean) => Promise<void>) | null = null;
  private accepting = false;

  start(): void {
    addEventListener('online', () => (this.online = true));
    addEventListener('offline', () => (this.online = false));
    this.installed = matchMedia('(display-mode: standalone)').matches;
    // Service workers need a build (vite-plugin-pwa emits the worker; `npm run dev` has none) and a
    // secure context.
    if (DEVELOPMENT || !('serviceWorker' in navigator)) return;
    this.status = 'saving';
    const hadController = navigator.serviceWorker.controller !== null;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      // The first visit's worker taking control is not an update; one accepted elsewhere is.
      if (hadController && !this.accepting) this.updatedElsewhere = true;
    });
    this.update = registerSW({
      immediate: true,
      onOfflineReady: () => (this.status = 'ready'),
      onNeedRefresh: () => (this.updateReady = true),
      onRegisteredSW: (_url, reg) => {
        // A later visit: the worker is already active and the app already saved.
        if (reg?.active && hadController) this.status = 'ready';
      },
      onRegisterError: (e: unknown) => {
        this.status = 'error';
        this.error = e instanceof Error ? e.message : String(e);
      },
    });
  }

  /** Switches to the new version: the waiting worker takes over and this tab reloads. */
  async applyUpdate(): Promise<void> {
    this.accepting = true;
    // Reload once the new worker is in charge. vite-plugin-pwa reloads by itself only in a tab that
    // was controlled when it registered, so not in the tab of a first visit: watch both signals.
    let reloading = false;
    const reload = (): void => {
      if (reloading) return;
      reloading = true;
      location.reload();
    };
    navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
    const waiting = (await navigator.serviceWorker.getRegistration())?.waiting;
    waiting?.addEventListener('statechange', () => waiting.state === 'activated' && reload());
    await this.update?.(true);
  }
}
