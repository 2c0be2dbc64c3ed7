/**
 * Searching the open collection from the page: embeds the question when the library has vectors
 * (waiting for the embedding model if it is still loading), asks the library worker, keeps the
 * newest result. Searches are tagged; a slower earlier one never overwrites a later one.
 */

import { errorText, serializeError, type SerializedError } from '../core/errors';
import type { SearchResult } from '../library/protocol';
import type { RetrievalOptions, SearchMode } from '../index/types';
import { retrievalOptions, type Settings } from '../settings/defaults';
import type { LibraryState } from './library.svelte';
import type { Engines } from './engines.svelte';
import { rerankResult } from '../library/rerank';
import type { Progress } from '../core/progress';

export interface SearchOverrides {
  mode?: SearchMode;
  k?: number;
}

export class SearchState {
  result = $state.raw<SearchResult | null>(null);
  /** The question the shown result answers. */
  query = $state('');
  error = $state.raw<SerializedError | null>(null);
  busy = $state(false);
  /** What a slow search is waiting for, in words (the embedding model loading). */
  status = $state<string | null>(null);
  private seq = 0;
  /** The reranking model loaded last (the status line announces a load only when it changes). */
  private rerankerLoaded = '';

  constructor(
    private readonly library: LibraryState,
    private readonly engines: Engines,
    private readonly settings: () => Settings,
  ) {}

  async run(query: string, overrides: SearchOverrides = {}): Promise<void> {
    const text = query.trim();
    const id = ++this.seq;
    if (text === '') {
      this.result = null;
      this.query = '';
      this.error = null;
      return;
    }
    const s = this.settings().retrieval;
    const mode = overrides.mode ?? s.mode;
    this.busy = true;
    this.error = null;
    try {
      const res = await this.retrieve(text, { ...retrievalOptions(s), mode, k: overrides.k ?? s.topK }, () => id === this.seq);
      if (!res) return;
      this.result = res;
      this.query = text;
    } catch (e) {
      if (id === this.seq) this.error = serializeError(e);
    } finally {
      if (id === this.seq) {
        this.busy = false;
        this.status = null;
      }
    }
  }

  /**
   * Retrieval as the app does it everywhere (search box and comparisons): the question embedded
   * when the library has vectors, then the library worker. Null when `current()` turns false
   * meanwhile (a newer request superseded this one).
   */
  async retrieve(text: string, r: RetrievalOptions, current: () => boolean = () => true): Promise<SearchResult | null> {
    const vector = r.mode === 'keyword' ? {} : await this.embedQuestion(text);
    if (!current()) return null;
    this.status = null;
    const lib = await this.library.ready();
    const { rerank, ...first } = r;
    // Reranking needs the first stage's top N (with their texts), then keeps the top k.
    const res = await lib.search({ ...first, k: rerank ? Math.max(r.k, rerank.candidates) : r.k, query: text, ...vector });
    if (!current()) return null;
    if (!rerank) return res;
    const out = await rerankResult(res, text, r.k, {
      model: rerank.model,
      candidates: rerank.candidates,
      reranker: () => {
        if (this.rerankerLoaded !== rerank.model && current()) this.status = 'Loading the reranking model…';
        const downloading = (p: Progress): void => {
          if (!current() || p.unit !== 'bytes') return;
          const mb = (n: number): string => (n / 1_048_576).toFixed(1);
          this.status = `Loading the reranking model… ${mb(p.loaded)}${p.total > 0 ? ` of ${mb(p.total)}` : ''} MB`;
        };
        return this.engines.reranker(rerank.model, { onProgress: downloading }).then((rr) => {
          this.rerankerLoaded = rerank.model;
          if (current()) this.status = null;
          return rr;
        });
      },
    });
    if (!current()) return null;
    this.status = null;
    return out;
  }

  /**
   * The question's vector, or why there is none. Only worth waiting for when the library has
   * vectors: then the model was downloaded before and loads from the browser's cache.
   */
  private async embedQuestion(text: string): Promise<{ queryVector?: Float32Array; queryVectorMissing?: string }> {
    if (!this.library.snapshot || this.library.snapshot.embeddedChunks === 0) return {};
    try {
      if (!this.engines.embedReady) this.status = 'Loading the embedding model to search by meaning…';
      const { embedder } = await this.engines.embedder();
      const out = await embedder.embed({ texts: [text], kind: 'query', batchSize: 1 });
      return { queryVector: out.vectors };
    } catch (e) {
      return { queryVectorMissing: `The question could not be embedded (${errorText(e)}), so keyword search was used.` };
    }
  }
}
