/** The page's side of the library worker: one typed method per protocol entry. */

import { RpcClient, type CallOptions, type Endpoint } from '../core/rpc';
import type { LibraryEvent, LibraryProtocol, OpenRequest, RankedPassage, SearchRequest } from './protocol';
import type { IngestedDocument } from '../ingest/ingest';
import type { ComparisonRecord } from '../store/schema';
import type { Progress } from '../core/progress';
import type { EvalQuestion, EvalResultRecord, EvalRunRecord, QuestionSetRecord } from '../eval/runs';

export class WorkerLibrary {
  readonly rpc: RpcClient<LibraryProtocol>;

  constructor(endpoint: Endpoint) {
    this.rpc = new RpcClient<LibraryProtocol>(endpoint);
  }

  /** Hands the library another port to answer on (an ingest worker's end of a channel). */
  connect(port: MessagePort) {
    return this.rpc.call('connect', { port }, { transfer: [port] });
  }
  /** Hands over the embed worker's port, or null (with why) when that worker is gone. */
  connectEmbedder(port: MessagePort | null, reason?: string) {
    return this.rpc.call('connectEmbedder', reason ? { port, reason } : { port }, { transfer: port ? [port] : [] });
  }
  /** Embeds a stored document with the connected embed worker; streams chunk progress. */
  embed(req: { docId: string; model: string; batchSize: number }, opts: CallOptions<Progress> = {}) {
    return this.rpc.call('embed', req, opts);
  }
  open(req: OpenRequest) {
    return this.rpc.call('open', req);
  }
  add(doc: IngestedDocument, original?: Blob) {
    return this.rpc.call('add', original ? { doc, original } : { doc });
  }
  replace(doc: IngestedDocument) {
    return this.rpc.call('replace', { doc });
  }
  /** Moves (does not copy) the vectors' buffer to the worker. */
  putVectors(docId: string, model: string, dim: number, vectors: Float32Array) {
    return this.rpc.call('putVectors', { docId, model, dim, vectors }, { transfer: [vectors.buffer] });
  }
  remove(docId: string) {
    return this.rpc.call('remove', { docId });
  }
  search(req: SearchRequest, opts: CallOptions<never> = {}) {
    return this.rpc.call('search', req, opts);
  }
  context(docId: string, ordinal: number) {
    return this.rpc.call('context', { docId, ordinal });
  }
  original(docId: string) {
    return this.rpc.call('original', { docId });
  }
  comparisons(limit = 50) {
    return this.rpc.call('comparisons', { limit });
  }
  saveComparison(record: ComparisonRecord) {
    return this.rpc.call('saveComparison', record);
  }
  deleteComparison(id: string) {
    return this.rpc.call('deleteComparison', { id });
  }
  /** The open collection's question sets, newest first. */
  questionSets() {
    return this.rpc.call('questionSets', null);
  }
  saveQuestionSet(record: QuestionSetRecord) {
    return this.rpc.call('saveQuestionSet', record);
  }
  /** Deletes the set with its runs and their results. */
  deleteQuestionSet(id: string) {
    return this.rpc.call('deleteQuestionSet', { id });
  }
  /** The open collection's runs (without results), newest first. */
  evalRuns() {
    return this.rpc.call('evalRuns', null);
  }
  /** A run with its results in question order; null when it was deleted. */
  evalRun(id: string) {
    return this.rpc.call('evalRun', { id });
  }
  saveEvalRun(run: EvalRunRecord) {
    return this.rpc.call('saveEvalRun', run);
  }
  /** One question's result with the run as it now stands, in one write; fails (InvalidRequest) when the run was deleted. */
  saveEvalResult(result: EvalResultRecord, run: EvalRunRecord) {
    return this.rpc.call('saveEvalResult', { result, run });
  }
  deleteEvalRun(id: string) {
    return this.rpc.call('deleteEvalRun', { id });
  }
  /** Retrieval of question `index` of `questions` scored by the evidence rule over the open collection. */
  scoreRetrieval(questions: EvalQuestion[], index: number, ranked: RankedPassage[]) {
    return this.rpc.call('scoreRetrieval', { questions, index, ranked });
  }
  /** Passages spread over the open collection's documents, for question generation. */
  samplePassages(count: number, seed: number, minChars: number) {
    return this.rpc.call('samplePassages', { count, seed, minChars });
  }
  snapshot() {
    return this.rpc.call('snapshot', null);
  }
  createCollection(name: string) {
    return this.rpc.call('createCollection', { name });
  }
  renameCollection(id: string, name: string) {
    return this.rpc.call('renameCollection', { id, name });
  }
  deleteCollection(id: string) {
    return this.rpc.call('deleteCollection', { id });
  }
  usage() {
    return this.rpc.call('usage', null);
  }
  exportCollection(originals: boolean, chunking: { chunkTokens: number; overlapTokens: number }) {
    return this.rpc.call('exportCollection', { originals, chunking });
  }
  /** The bundle's bytes are handed over (transferred), not copied. */
  importBundle(bytes: Uint8Array, model: string) {
    return this.rpc.call('importBundle', { bytes, model }, { transfer: [bytes.buffer] });
  }
  /** Streams library events until `signal` fires. */
  watch(onEvent: (e: LibraryEvent) => void, signal: AbortSignal) {
    return this.rpc.call('watch', null, { onEvent, signal });
  }
}
