/**
 * The store's public surface: the IndexedDB repository, its record types, the storage error
 * mapping and the origin-wide storage helpers. Import from here, not from the files behind it.
 */
export * from './store';
export { DEFAULT_COLLECTION, SCHEMA_VERSION } from './schema';
export type {
  ChunkRecord,
  CollectionRecord,
  ComparisonRecord,
  DocumentRecord,
  KeywordRecord,
  OriginalRecord,
  VectorRecord,
} from './schema';
export { isQuotaError, quotaExceeded, storageBlocked, storageUnavailable, toStorageError, NEWER_VERSION_MESSAGE } from './errors';
export { isPersisted, requestPersistence, storageEstimate, type StorageEstimate } from '../platform/persistence';
