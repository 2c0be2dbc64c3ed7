/**
 * What ragscope knows about embedding models: pooling and the instruction prefixes retrievers were
 * trained with. Using the wrong pooling or leaving out a query prefix costs several points of
 * retrieval quality silently, so it is recorded here rather than guessed at each call site.
 * Unknown models (e.g. the generated test models) get mean pooling and no prefix.
 *
 * The choices, reviewed 2026-11 (sources: each model's card; MMTEB means from the EmbeddingGemma
 * and Qwen3-Embedding cards, the retrieval subset from ibm-granite/granite-embedding-models):
 * - BGE small (English) stays the default: 34 MB, and English filings and papers are what the dev
 *   sets hold.
 * - E5 small is the light multilingual choice (118 MB at q8; MMTEB retrieval 50.9), with the
 *   "query: " / "passage: " prefixes it was trained with.
 * - BGE-M3 is the strong multilingual choice (MMTEB mean 59.56, 8k-token context, no prefixes,
 *   CLS pooling, 1024 dimensions): it drops into this code unchanged, at 570 MB (q8). EmbeddingGemma
 *   scores higher per MB but needs its Dense projection after pooling, which transformers.js's
 *   feature-extraction pipeline does not apply, so it is not offered yet.
 */

export interface EmbeddingModelCard {
  id: string;
  label: string;
  dim: number;
  pooling: 'mean' | 'cls';
  queryPrefix: string;
  passagePrefix: string;
  languages: 'en' | 'multilingual';
  /** Approximate download of the default weights, for the picker. */
  downloadMB: number;
}

export const EMBEDDING_MODELS: readonly EmbeddingModelCard[] = [
  {
    id: 'Xenova/bge-small-en-v1.5',
    label: 'BGE small (English)',
    dim: 384,
    pooling: 'cls',
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    passagePrefix: '',
    languages: 'en',
    downloadMB: 34,
  },
  {
    id: 'Snowflake/snowflake-arctic-embed-xs',
    label: 'Arctic Embed XS (English)',
    dim: 384,
    pooling: 'cls',
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    passagePrefix: '',
    languages: 'en',
    downloadMB: 23,
  },
  {
    id: 'Xenova/multilingual-e5-small',
    label: 'E5 small (multilingual)',
    dim: 384,
    pooling: 'mean',
    queryPrefix: 'query: ',
    passagePrefix: 'passage: ',
    languages: 'multilingual',
    downloadMB: 118,
  },
  {
    id: 'Xenova/bge-m3',
    label: 'BGE-M3 (multilingual, large)',
    dim: 1024,
    pooling: 'cls',
    queryPrefix: '',
    passagePrefix: '',
    languages: 'multilingual',
    downloadMB: 570,
  },
  {
    id: 'Xenova/all-MiniLM-L6-v2',
    label: 'MiniLM L6 (English)',
    dim: 384,
    pooling: 'mean',
    queryPrefix: '',
    passagePrefix: '',
    languages: 'en',
    downloadMB: 23,
  },
];

export function embeddingCard(model: string): Pick<EmbeddingModelCard, 'pooling' | 'queryPrefix' | 'passagePrefix'> {
  const known = EMBEDDING_MODELS.find((m) => m.id === model);
  return known ?? { pooling: 'mean', queryPrefix: '', passagePrefix: '' };
}
