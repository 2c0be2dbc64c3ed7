/**
 * The store's shared behaviour cases (tests/store-cases.ts) against fake-indexeddb, one database
 * per case. The same cases run in Chromium's real IndexedDB in tests/browser/store.test.ts.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, it } from 'vitest';
import { runStoreCase, storeCases } from '../store-cases';

describe('store (fake-indexeddb)', () => {
  for (const name of Object.keys(storeCases)) {
    it(name, () => runStoreCase(name, new IDBFactory()));
  }
});
