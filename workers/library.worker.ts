/// <reference lib="webworker" />
// Library worker entry: the IndexedDB store and the open collection's search indexes (see
// src/library/), so large writes, index rebuilds and vector scans never block the page.
import { serve } from '../src/core/rpc';
import { reportRequests } from '../src/platform/netlog';
import { libraryService } from '../src/library/handler';

serve(self, libraryService().handlers);
reportRequests(self);
