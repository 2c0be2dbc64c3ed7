/**
 * What ragscope knows about embedding models: pooling and the instruction prefixes retrievers were
 * trained with. Using the wrong pooling or leaving out a query prefix costs several points of
 * retrieval quality silently, so it is recorded here rather than guessed at each call site.
 * Unknown models (e.g. the generated test models) get mean pooling and no prefix.
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
