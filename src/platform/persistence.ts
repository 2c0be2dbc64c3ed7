/**
 * The origin's storage as a whole (navigator.storage): how much is used, how much the browser
 * allows, and whether it promised not to evict us. Every helper degrades to "unknown" where the
 * API is absent (Node, old browsers, insecure origins) instead of throwing.
 */

export interface StorageEstimate {
  /** Bytes this origin uses (all of its storage, not only this database). */
  usage: number;
  /** Bytes the browser lets this origin use. */
  quota: number;
}

function storageManager(): StorageManager | undefined {
  // `navigator` is missing in Node 20 and `navigator.storage` on insecure origins. The page's
  // Navigator has what a worker's has, so WorkerNavigator types both (this code compiles without the DOM).
  return (globalThis as { navigator?: WorkerNavigator }).navigator?.storage;
}

export async function storageEstimate(): Promise<StorageEstimate | null> {
  const storage = storageManager();
  if (!storage?.estimate) return null;
  try {
    const { usage, quota } = await storage.estimate();
    return usage === undefined || quota === undefined ? null : { usage, quota };
  } catch {
    return null;
  }
}

/**
 * Asks the browser to keep this origin's data under storage pressure. Returns whether it is now
 * persistent. `persist()` exists on pages only (not in workers), so call this from the page; in a
 * worker, or where the API is absent, it answers false without asking.
 */
export async function requestPersistence(): Promise<boolean> {
  const storage = storageManager() as (StorageManager & { persist?: () => Promise<boolean> }) | undefined;
  if (typeof storage?.persist !== 'function') return false;
  try {
    return (await storage.persisted?.()) || (await storage.persist());
  } catch {
    return false;
  }
}

/** What the browser answered when asked to keep this origin's data under storage pressure. */
export type PersistOutcome = 'granted' | 'refused' | 'unsupported';

/**
 * Asks (see `requestPersistence`) and tells a refusal apart from a browser that offers no way to
 * ask (an insecure page, an old browser), since what the user can do differs.
 */
export async function askToPersist(): Promise<PersistOutcome> {
  const supported = typeof (storageManager() as { persist?: unknown } | undefined)?.persist === 'function';
  if (!supported) return 'unsupported';
  return (await requestPersistence()) ? 'granted' : 'refused';
}

/** Whether the browser already promised persistence (readable from workers too). */
export async function isPersisted(): Promise<boolean> {
  const storage = storageManager();
  if (typeof storage?.persisted !== 'function') return false;
  try {
    return await storage.persisted();
  } catch {
    return false;
  }
}
