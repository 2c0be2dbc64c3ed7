/**
 * Asking once and seeing both answers: loads the chat engine the settings and the GPU call for
 * (through the engines owner, which the self-test shares), retrieves like the search box, and runs
 * the comparison (src/compare/run.ts), streaming each side into its pane.
 */

import { runComparison, type ComparisonResult, type Side, type SideRun } from '../compare/run';
import type { ChatMessage, ChatModelInfo, GenerationParams } from '../generate/engine';
import type { SearchMode } from '../index/types';
import { serializeError, type SerializedError } from '../core/errors';
import type { PassageContext, SearchResult } from '../library/protocol';
import type { ComparisonRecord } from '../store/schema';
import type { LibraryState } from './library.svelte';
import type { Progress } from '../core/progress';
import { retrievalOptions, type Settings } from '../settings/defaults';
import type { SearchState } from './search.svelte';
import type { Engines } from './engines.svelte';
import { saveFile, temporaryUrl } from './files';
import type { Grounding } from '../eval/grounding';

export type ComparePhase = 'idle' | 'loading' | 'retrieving' | 'answering' | 'done' | 'error';

/** Per-question settings, next to the question box; unset ones come from Settings. */
export interface AskOptions {
  mode?: SearchMode;
  k?: number;
  temperature?: number;
  maxTokens?: number;
}

export interface PaneState {
  text: string;
  messages: ChatMessage[];
  run: SideRun | null;
  running: boolean;
  /**
   * Why this side never got its turn (or never finished), when the comparison ended early: the
   * model could not be loaded, retrieval failed, Stop was pressed. Shown instead of "Waiting…",
   * which would otherwise stay forever.
   */
  notRun: string | null;
}

const emptyPane = (): PaneState => ({ text: '', messages: [], run: null, running: false, notRun: null });

/** The step of a comparison under way when it ended. */
type Step = 'loading' | 'retrieving' | 'answering';

/** Why a side that has no run did not get one, in words, by the step the comparison ended in. */
function notRunReason(step: Step, side: Side, error: SerializedError, started: boolean): string {
  if (error.name === 'Cancelled')
    return step === 'loading' ? 'Not run: stopped while the model was loading.' : "Not run: stopped before this side's turn.";
  if (step === 'loading') return 'Not run: the model could not be loaded — see the error above.';
  if (step === 'retrieving')
    return side === 'grounded'
      ? 'Not run: the passages could not be retrieved — see the error above.'
      : 'Not run: the comparison stopped when finding passages failed — see the error above.';
  return started
    ? 'Not finished: the comparison failed — see the error above.'
    : "Not run: the comparison failed before this side's turn — see the error above.";
}

export class CompareState {
  phase = $state<ComparePhase>('idle');
  /** Model download and compile while loading. */
  progress = $state.raw<Progress | null>(null);
  info = $state.raw<ChatModelInfo | null>(null);
  error = $state.raw<SerializedError | null>(null);
  /** The question being typed (the sample set suggests one). */
  draft = $state('');
  /** The per-question settings next to the question box, as chosen there (unset ones follow Settings). */
  options = $state<AskOptions>({});
  /** The question the panes answer. */
  question = $state('');
  /** When the last question was asked here (ms since the epoch), model loading included. */
  askedAt = $state<number | null>(null);
  retrieval = $state.raw<SearchResult | null>(null);
  plain = $state<PaneState>(emptyPane());
  grounded = $state<PaneState>(emptyPane());
  last = $state.raw<ComparisonResult | null>(null);
  /** Past comparisons, newest first (kept in IndexedDB by the library worker). */
  history = $state.raw<ComparisonRecord[]>([]);
  /** Why the history could not be read or written (storage full, say); the answers are unaffected. */
  historyError = $state<string | null>(null);
  /** When the comparison shown was asked, if it comes from the history. */
  shownFrom = $state<number | null>(null);
  /**
   * The grounded answer's sentences marked supported or not (src/eval/grounding.ts), judged with the
   * embedding model once the answer is complete; null until then, or when the collection has no
   * vectors to judge with.
   */
  grounding = $state.raw<Grounding | null>(null);
  /** The passage opened from a citation: its number and the text around it (null while loading). */
  passage = $state.raw<{ n: number; context: PassageContext | null } | null>(null);

  private controller: AbortController | null = null;

  constructor(
    private readonly library: LibraryState,
    private readonly search: SearchState,
    private readonly engines: Engines,
    private readonly settings: () => Settings,
  ) {}

  get busy(): boolean {
    return this.phase === 'loading' || this.phase === 'retrieving' || this.phase === 'answering';
  }

  /** Stops the model download, or the answer being generated (its text so far is kept). */
  stop(): void {
    this.controller?.abort();
  }

  /** Whether an error is one that asking again fixes by reloading the model (offered as a button). */
  get reloadOffered(): boolean {
    return this.error?.name === 'DeviceLost' || this.error?.name === 'WorkerCrashed';
  }

  async ask(question: string, opts: AskOptions = {}): Promise<void> {
    if (this.busy || question.trim() === '') return;
    const s = this.settings();
    const controller = (this.controller = new AbortController());
    this.askedAt = Date.now();
    this.error = null;
    this.question = question.trim();
    this.retrieval = null;
    this.passage = null;
    this.shownFrom = null;
    this.plain = emptyPane();
    this.grounded = emptyPane();
    this.grounding = null;
    let step: Step = 'loading';
    try {
      if (!this.engines.chatReady) {
        this.phase = 'loading';
        this.info = null;
      }
      const { engine, info } = await this.engines.chat({ signal: controller.signal, onProgress: (p) => (this.progress = p) });
      this.info = info;
      this.phase = step = 'retrieving';
      const params: GenerationParams = {
        maxTokens: opts.maxTokens ?? s.llm.maxTokens,
        temperature: opts.temperature ?? s.llm.temperature,
        topP: s.llm.topP,
        seed: s.llm.seed,
      };
      const retrieval = { ...retrievalOptions(s.retrieval), mode: opts.mode ?? s.retrieval.mode, k: opts.k ?? s.retrieval.topK };
      this.last = await runComparison(
        { question, retrieval, params },
        {
          engine,
          search: async (q, r) => (await this.search.retrieve(q, r))!,
        },
        {
          onRetrieved: (r) => {
            this.retrieval = r;
            this.phase = step = 'answering';
          },
          onStart: (side, messages) => Object.assign(this.pane(side), { messages, running: true }),
          onToken: (side, delta) => (this.pane(side).text += delta),
          // The final answer replaces what streamed: a reasoning model whose template opened its
          // thought in the prompt streams the thought as if it were the answer until `</think>`.
          onDone: (side, run) =>
            Object.assign(this.pane(side), {
              run,
              running: false,
              messages: run.messages,
              ...(run.result ? { text: run.result.text } : {}),
            }),
        },
        controller.signal,
      );
      this.phase = 'done';
      void this.judgeGrounding(this.last);
      await this.remember({ ...this.last, id: crypto.randomUUID(), createdAt: this.last.startedAt, model: this.info });
    } catch (e) {
      const error = serializeError(e);
      // The engine dropped its model with the GPU: the next question loads it again.
      this.engines.chatFailed(error);
      if (error.name === 'DeviceLost') this.info = null;
      this.error = error;
      this.phase = error.name === 'Cancelled' ? 'idle' : 'error';
      // A side without its run would say "Waiting…" for ever: it says why it did not run instead.
      for (const side of ['plain', 'grounded'] as const) {
        const pane = this.pane(side);
        if (pane.run) continue;
        pane.notRun = notRunReason(step, side, error, pane.running);
        pane.running = false;
      }
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  /** Reads the history (newest first). A failure is reported and leaves the rest working. */
  async loadHistory(): Promise<void> {
    try {
      this.history = await (await this.library.ready()).comparisons(50);
    } catch (e) {
      this.historyError = `Earlier questions could not be read: ${serializeError(e).message}`;
    }
  }

  private async remember(record: ComparisonRecord): Promise<void> {
    try {
      // $state proxies do not survive structured clone: send a plain snapshot.
      await (await this.library.ready()).saveComparison($state.snapshot(record) as ComparisonRecord);
      this.historyError = null;
      await this.loadHistory();
    } catch (e) {
      this.historyError = `This comparison is shown but could not be kept with the earlier ones: ${serializeError(e).message}`;
    }
  }

  /**
   * Shows a past comparison as it was: question, passages, both answers and their prompts, and
   * the per-question settings it was asked with, so that asking it again asks the same.
   */
  restore(record: ComparisonRecord): void {
    if (this.busy) return;
    const pane = (run: SideRun): PaneState => ({ text: run.result?.text ?? '', messages: run.messages, run, running: false, notRun: null });
    this.error = null;
    this.passage = null;
    this.question = record.question;
    this.draft = record.question;
    this.options = {
      ...this.options,
      ...(record.asked ? { mode: record.asked.mode, k: record.asked.k } : {}),
      temperature: record.params.temperature,
      maxTokens: record.params.maxTokens,
    };
    this.retrieval = record.retrieval;
    this.plain = pane(record.plain);
    this.grounded = pane(record.grounded);
    this.last = record;
    this.shownFrom = record.createdAt;
    this.phase = 'done';
    this.grounding = null;
    void this.judgeGrounding(record);
  }

  /**
   * Marks the grounded answer's sentences with the embedding model. Best effort: without vectors
   * (keyword-only collection) or with the model failing, the answer simply shows no marks.
   */
  private async judgeGrounding(result: ComparisonResult): Promise<void> {
    if (!this.library.snapshot?.embeddedChunks || !result.grounded.result?.text) return;
    try {
      // Loaded on first use: the scoring code is not needed until an answer is complete.
      const { groundingOf } = await import('../eval/session');
      const grounding = await groundingOf(result, (texts) => this.engines.embedRows(texts), new AbortController().signal);
      if (this.last === result) this.grounding = grounding;
    } catch {
      // No marks: the answer and its citations are unaffected.
    }
  }

  async forget(id: string): Promise<void> {
    try {
      await (await this.library.ready()).deleteComparison(id);
    } finally {
      await this.loadHistory();
    }
  }

  /** Opens passage `n` (1-based, as cited) with its surroundings. */
  async showPassage(n: number): Promise<void> {
    const hit = this.retrieval?.hits[n - 1];
    if (!hit) return;
    this.passage = { n, context: null };
    try {
      const context = await (await this.library.ready()).context(hit.docId, hit.ordinal);
      if (this.passage?.n === n) this.passage = { n, context };
    } catch (e) {
      this.error = serializeError(e);
    }
  }

  /**
   * Opens the original file of passage `n` in a new tab: a PDF at the passage's page in the
   * browser's viewer; text-like files as plain text. Never as HTML: a saved web page opened from a
   * blob URL would run its scripts with this page's origin (and so its library). Word and EPUB
   * files, which browsers cannot show, are downloaded.
   */
  async openOriginal(n: number): Promise<void> {
    const hit = this.retrieval?.hits[n - 1];
    if (!hit) return;
    try {
      const original = await (await this.library.ready()).original(hit.docId);
      if (!original) {
        this.error = { name: 'InvalidRequest', message: `The original of “${hit.docName}” was not kept (or the document was deleted).` };
        return;
      }
      const { format } = original;
      if (format === 'docx' || format === 'epub') saveFile(original.file, original.name);
      else {
        const type = format === 'pdf' ? 'application/pdf' : 'text/plain;charset=utf-8';
        const url = temporaryUrl(new Blob([original.file], { type }));
        window.open(format === 'pdf' && hit.pages?.length ? `${url}#page=${hit.pages[0]}` : url, '_blank');
      }
    } catch (e) {
      this.error = serializeError(e);
    }
  }

  private pane(side: Side): PaneState {
    return side === 'plain' ? this.plain : this.grounded;
  }
}
