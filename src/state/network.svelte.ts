/**
 * The requests this page and its workers made since it opened, by destination (see
 * src/platform/netlog.ts). One log per page: every worker reports into it (src/state/workers.ts).
 */

import { byDestination, observeRequests, type Destination, type NetEntry } from '../platform/netlog';

export class NetworkLog {
  /** Every request seen, oldest first. */
  entries = $state.raw<NetEntry[]>([]);

  private started = false;

  /** Starts observing the page's own requests (the workers report theirs as they start). */
  start(): void {
    if (this.started) return;
    this.started = true;
    observeRequests('page', (e) => this.add(e));
  }

  add(entries: NetEntry[]): void {
    this.entries = [...this.entries, ...entries];
  }

  /** Requests grouped by where they went, most first. */
  byDestination(since = 0): Destination[] {
    return byDestination(this.entries, since);
  }

  count(since = 0): number {
    return this.entries.reduce((n, e) => n + (e.at >= since ? 1 : 0), 0);
  }
}

export const networkLog = new NetworkLog();
