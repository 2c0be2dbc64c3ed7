/**
 * Turning IndexedDB's failures into the app's named errors. The browser reports storage problems
 * as DOMException names on a request, a transaction or the open request; the user needs to know
 * which of three things happened (full, unavailable, blocked by another tab) and what to do.
 */

import { AppError, errorText } from '../core/errors';
import { formatBytes } from '../ingest/sizes';
import { storageEstimate, type StorageEstimate } from '../platform/persistence';

function domName(e: unknown): string | undefined {
  // Not `instanceof DOMException`: fake-indexeddb and other realms bring their own classes.
  return typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string'
    ? (e as { name: string }).name
    : undefined;
}

export function isQuotaError(e: unknown): boolean {
  return domName(e) === 'QuotaExceededError';
}

export function quotaExceeded(estimate: StorageEstimate | null, cause?: unknown): AppError {
  const numbers = estimate ? ` (${formatBytes(estimate.usage)} of ${formatBytes(estimate.quota)} used)` : '';
  return new AppError(
    'StorageQuotaExceeded',
    `The browser's storage for ragscope is full${numbers}, so nothing was stored. Delete documents or collections you no longer need, or free up disk space, then try again.`,
    { usage: estimate?.usage ?? null, quota: estimate?.quota ?? null },
    cause === undefined ? undefined : errorText(cause),
  );
}

export function storageUnavailable(cause?: unknown, message?: string): AppError {
  return new AppError(
    'StorageUnavailable',
    message ??
      "ragscope can't use this browser's storage (IndexedDB), so documents can't be kept. Private or incognito windows in some browsers, and site-data settings that block storage, cause this: open ragscope in a normal window, or allow site data for it.",
    undefined,
    cause === undefined ? undefined : errorText(cause),
  );
}

export function storageBlocked(): AppError {
  return new AppError(
    'StorageBlocked',
    'ragscope is being updated, but another ragscope tab still has your library open. Close the other ragscope tabs (or reload them), then reload this one.',
  );
}

/** Raised when the database on disk is newer than this code (an updated ragscope ran in another tab). */
export const NEWER_VERSION_MESSAGE = 'A newer version of ragscope has opened your library in another tab. Reload this page to use it.';

/**
 * Maps a storage failure to an AppError where the user can act on it. Anything else (a bug such as
 * a value that cannot be cloned) is returned unchanged, to surface as an internal error.
 */
export async function toStorageError(e: unknown, estimate: () => Promise<StorageEstimate | null> = storageEstimate): Promise<unknown> {
  if (e instanceof AppError) return e;
  switch (domName(e)) {
    case 'QuotaExceededError':
      return quotaExceeded(await estimate(), e);
    case 'VersionError':
      return storageUnavailable(e, NEWER_VERSION_MESSAGE);
    // UnknownError: the browser's backing store failed (disk error, corrupted profile);
    // SecurityError: storage is disabled for this origin; InvalidStateError: the connection closed.
    case 'UnknownError':
    case 'SecurityError':
    case 'InvalidStateError':
      return storageUnavailable(e);
    default:
      return e;
  }
}
