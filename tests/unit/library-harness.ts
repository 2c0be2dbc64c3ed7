/**
 * Library workers for Node tests, driven as the page drives them: the typed client over a real
 * MessageChannel to the handlers, over fake-indexeddb. Each `database()` is one browser profile;
 * every service `start`ed on the same one shares its IndexedDB and change channel (like tabs).
 * Everything started is stopped after each test.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach } from 'vitest';
import { serve } from '../../src/core/rpc';
import { libraryService } from '../../src/library/handler';
import { WorkerLibrary } from '../../src/library/client';
import { Store } from '../../src/store';
import { channel } from './channel';

export interface TestDatabase {
  factory: IDBFactory;
  name: string;
  channel: string;
}

let count = 0;

export function useLibraries(): { database: () => TestDatabase; start: (db: TestDatabase) => WorkerLibrary } {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  return {
    database: () => {
      count++;
      return { factory: new IDBFactory(), name: `lib-${count}`, channel: `lib-test-${process.pid}-${count}-${Math.random()}` };
    },
    start: (db) => {
      const { page, worker, close } = channel();
      const service = libraryService({ openStore: () => Store.open(db.name, { indexedDB: db.factory, channel: db.channel }) });
      const stop = serve(worker, service.handlers);
      cleanups.push(() => {
        stop();
        service.dispose();
        close();
      });
      return new WorkerLibrary(page);
    },
  };
}
