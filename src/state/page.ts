/**
 * The page's state, built in one place in dependency order, so a newcomer sees who depends on
 * whom: the library mirror and the engines owner depend on nothing else; embedding on both; the
 * drop queue and rebuilds on the library and embedding; search on the library and engines; the
 * comparison on search, the server and the web-llm list, and the Evaluate view's runs on search. App.svelte builds it with the browser's workers, Node tests with workers
 * made of the real handlers behind MessageChannels.
 */

import type { GpuStatus } from '../platform/webgpu';
import type { Settings } from '../settings/defaults';
import { CompareState } from './compare.svelte';
import { EmbeddingState } from './embedding.svelte';
import { EvaluateState } from './evaluate.svelte';
import { Engines } from './engines.svelte';
import { IngestQueue } from './ingest.svelte';
import { LibraryState } from './library.svelte';
import { WebLlmModelsState } from './models.svelte';
import { RebuildState } from './rebuild.svelte';
import { SearchState } from './search.svelte';
import { ServerState } from './server.svelte';
import { SourceViewer } from './viewer.svelte';
import type { Spawners } from './workers';

export interface PageOptions {
  spawn: Spawners;
  settings: () => Settings;
  /** The page's WebGPU probe (null until it has run): which chat engine 'auto' means. */
  gpu: () => GpuStatus | null;
  /** The page's origin, for a model folder the app serves itself. */
  origin: string;
}

export function createPageState({ spawn, settings, gpu, origin }: PageOptions) {
  const library = new LibraryState(spawn, settings);
  const engines = new Engines(spawn, settings, gpu, origin);
  const embedding = new EmbeddingState(engines, library, settings);
  const ingest = new IngestQueue(spawn, library, embedding, settings);
  const rebuild = new RebuildState(spawn, library, embedding, settings);
  const search = new SearchState(library, engines, settings);
  const server = new ServerState(engines, origin);
  const models = new WebLlmModelsState(engines, settings, origin);
  const compare = new CompareState(
    library,
    search,
    engines,
    settings,
    server,
    () => models.entries,
    () => models.refresh(),
  );
  const evaluate = new EvaluateState(library, search, engines, settings, compare);
  const viewer = new SourceViewer(library);
  return {
    library,
    engines,
    embedding,
    ingest,
    rebuild,
    search,
    compare,
    models,
    evaluate,
    server,
    viewer,
    /** Stops every worker (tests; a page simply closes). */
    dispose(): void {
      evaluate.dispose();
      ingest.dispose();
      rebuild.dispose();
      embedding.dispose();
      engines.dispose();
      library.dispose();
    },
  };
}

export type PageState = ReturnType<typeof createPageState>;
