/**
 * Asking once and seeing every pane's answer: the pane list (a preset, or the user's own panes),
 * the run (src/compare/run-panes.ts: retrieval once, the local models one after another with the
 * swaps they need, server panes in parallel), each pane's answer streaming in, and the history.
 * Local models load through the engines owner (which the self-test and Evaluate share); server
 * panes through that server's own LLM worker, with the API key kept for that server in Settings.
 */

import {
  DEFAULT_PRESET,
  MAX_PANES,
  PRESETS,
  TRAINING_EXAMPLES,
  asPaneSpec,
  paneProblems,
  paneServerUrl,
  presetPanes,
} from '../compare/panes';
import type { LocalModel, PanePlan, PaneProblem, PaneSpec, PlanEnv, PresetId } from '../compare/panes';
import { recordPanes, runPanes, type PaneRun, type PanesDeps, type PanesResult } from '../compare/run-panes';
import type { ChatMessage, GenerationParams } from '../generate/engine';
import { gpuBudget } from '../generate/memory';
import type { WebLlmModelEntry } from '../generate/webllm-catalog';
import type { SearchMode } from '../index/types';
import { serializeError, type SerializedError } from '../core/errors';
import type { PassageContext, SearchResult } from '../library/protocol';
import type { ComparisonRecord } from '../store/schema';
import type { LibraryState } from './library.svelte';
import type { Progress } from '../core/progress';
import { retrievalOptions, type Settings } from '../settings/defaults';
import type { SearchState } from './search.svelte';
import { MAX_LOCAL_ENGINES, type Engines } from './engines.svelte';
import type { ServerState } from './server.svelte';
import { saveFile, temporaryUrl } from './files';
import type { Grounding } from '../eval/grounding';

export type ComparePhase = 'idle' | 'retrieving' | 'answering' | 'done' | 'error';

/** Per-question settings, next to the question box; unset ones come from Settings. */
export interface AskOptions {
  mode?: SearchMode;
  k?: number;
  temperature?: number;
  maxTokens?: number;
}

export interface PaneState {
  /** What this pane is: its name, engine, model and whether it reads your documents. */
  spec: PaneSpec;
  text: string;
  messages: ChatMessage[];
  run: PaneRun | null;
  running: boolean;
  /** Its model is being loaded (download, compile) for it. */
  loading: boolean;
  /**
   * Why this pane never got its turn (or never finished), when the comparison ended early: the
   * model could not be loaded, retrieval failed, Stop was pressed. Shown instead of "Waiting…",
   * which would otherwise stay forever.
   */
  notRun: string | null;
}

const emptyPane = (spec: PaneSpec): PaneState => ({
  spec,
  text: '',
  messages: [],
  run: null,
  running: false,
  loading: false,
  notRun: null,
});

/** Where the pane layout is kept between visits (this browser): `{ preset, custom }`. */
export const PANES_STORAGE = 'ragscope.panes';

interface Layout {
  preset: PresetId;
  /** The user's own panes; null follows the preset (and so the models in Settings). */
  custom: PaneSpec[] | null;
  /** Edits of other presets, kept while another is shown (arrowing through the presets loses nothing). */
  edits?: Partial<Record<PresetId, PaneSpec[]>>;
}

/** Panes read back from storage, or null when any is damaged (or two share an id). */
function savedPanes(value: unknown): PaneSpec[] | null {
  if (!Array.isArray(value) || value.length > MAX_PANES) return null;
  const panes = value.map(asPaneSpec);
  const ids = new Set(panes.map((p) => p?.id));
  return panes.every((p) => p !== null) && ids.size === panes.length ? (panes as PaneSpec[]) : null;
}

/** The layout kept in `storage` (the browser's localStorage), checked; the default preset when there is none or it is damaged. */
export function readLayout(storage: Pick<Storage, 'getItem'> | null = typeof localStorage === 'undefined' ? null : localStorage): Layout {
  try {
    const v = JSON.parse(storage?.getItem(PANES_STORAGE) ?? 'null') as Partial<Layout> | null;
    const preset = PRESETS.some((p) => p.id === v?.preset) ? v!.preset! : DEFAULT_PRESET;
    // A saved layout is checked pane by pane: one that is damaged, or from another version, gives
    // way to the preset rather than break the view on every visit.
    const edits: Partial<Record<PresetId, PaneSpec[]>> = {};
    for (const p of PRESETS) {
      const kept = savedPanes((v?.edits as Record<string, unknown> | undefined)?.[p.id]);
      if (kept) edits[p.id] = kept;
    }
    return { preset, custom: savedPanes(v?.custom), edits };
  } catch {
    return { preset: DEFAULT_PRESET, custom: null };
  }
}

/** Why a pane without a run did not get one, by where the comparison ended. */
function notRunReason(where: 'retrieving' | 'answering', retrieval: boolean, error: SerializedError, started: boolean): string {
  if (error.name === 'Cancelled') return "Not run: stopped before this pane's turn.";
  if (where === 'retrieving')
    return retrieval
      ? 'Not run: the passages could not be retrieved — see the error above.'
      : 'Not run: the comparison stopped when finding passages failed — see the error above.';
  return started
    ? 'Not finished: the comparison failed — see the error above.'
    : "Not run: the comparison failed before this pane's turn — see the error above.";
}

export class CompareState {
  phase = $state<ComparePhase>('idle');
  /** Download or compile progress of the model a pane waits for, and whose it is. */
  progress = $state.raw<Progress | null>(null);
  /** What the local sequence is doing now ("Loading …", "Unloading …: why"); null when nothing. */
  step = $state<string | null>(null);
  /** Every load and unload of the last question, in order, in words (a swap says why). */
  steps = $state.raw<string[]>([]);
  /** The plan of the last question: what runs in parallel, what swaps, and why. */
  plan = $state.raw<PanePlan | null>(null);
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
  /** The panes of the comparison shown (asked now, or restored from the history). */
  panes = $state<PaneState[]>([]);
  /** The settings every pane of the comparison shown was asked with. */
  params = $state.raw<GenerationParams | null>(null);
  last = $state.raw<PanesResult | ComparisonRecord | null>(null);
  /** Past comparisons, newest first (kept in IndexedDB by the library worker). */
  history = $state.raw<ComparisonRecord[]>([]);
  /** Why the history could not be read or written (storage full, say); the answers are unaffected. */
  historyError = $state<string | null>(null);
  /** When the comparison shown was asked, if it comes from the history. */
  shownFrom = $state<number | null>(null);
  /**
   * Each answer with documents, sentence by sentence, marked supported or not
   * (src/eval/grounding.ts), by pane id: judged with the embedding model once the answers are
   * complete; empty until then, or when the collection has no vectors to judge with.
   */
  grounding = $state.raw<Record<string, Grounding>>({});
  /** The passage opened from a citation: its number and the text around it (null while loading). */
  passage = $state.raw<{ n: number; context: PassageContext | null } | null>(null);
  /** The pane layout: a preset, or the user's own panes. */
  layout = $state<Layout>(readLayout());

  private controller: AbortController | null = null;

  constructor(
    private readonly library: LibraryState,
    private readonly search: SearchState,
    private readonly engines: Engines,
    private readonly settings: () => Settings,
    private readonly server: ServerState,
    /** web-llm's model list for this GPU, when read: each model's memory need, for the plan. */
    private readonly webllm: () => readonly WebLlmModelEntry[] | null = () => null,
    /** Reads that list (the Settings view reads it too). */
    private readonly readWebllm: () => Promise<void> = async () => undefined,
  ) {}

  /**
   * Reads web-llm's model list once, if no view has yet: the plan takes each model's memory need
   * from it, and the pane editor suggests its ids. A failure leaves needs unknown (the plan then
   * swaps rather than stack models it cannot size).
   */
  async needModelList(): Promise<void> {
    if (this.webllm() === null) await this.readWebllm().catch(() => undefined);
  }

  get busy(): boolean {
    return this.phase === 'retrieving' || this.phase === 'answering';
  }

  /** The pane answering from the model alone in the default layout (tests and older callers). */
  get plain(): PaneState | undefined {
    return this.panes.find((p) => p.spec.id === 'plain');
  }

  /** The pane answering with your documents in the default layout. */
  get grounded(): PaneState | undefined {
    return this.panes.find((p) => p.spec.id === 'grounded');
  }

  // -------------------------------------------------------------------------------------------
  // The pane layout

  /** The models the presets are made of: the Settings model, the engine's example pair, the Settings server. */
  presetModels(): Parameters<typeof presetPanes>[1] {
    const s = this.settings();
    const base = this.engines.settingsModel();
    const example = TRAINING_EXAMPLES[base.engine];
    return {
      base,
      // No example for this engine: the pane shows no model and says to choose one.
      pretrained: example ? { engine: base.engine, model: example.pretrained } : base,
      fineTuned: { engine: base.engine, model: example?.fineTuned ?? '' },
      server: { baseUrl: paneServerUrl(s.llm.serverUrl), model: s.llm.serverModel },
    };
  }

  /** The panes the next question is asked with. */
  get paneList(): PaneSpec[] {
    return this.layout.custom ?? presetPanes(this.layout.preset, this.presetModels());
  }

  /** Why the pane list cannot be asked with (empty when it can), each naming its pane. */
  get problems(): PaneProblem[] {
    return paneProblems(this.paneList);
  }

  /** Chooses a preset: its panes as last edited here, else as Settings' models make them. */
  choosePreset(id: PresetId): void {
    const edits = { ...this.layout.edits };
    if (this.layout.custom) edits[this.layout.preset] = this.layout.custom;
    this.setLayout({ preset: id, custom: edits[id] ?? null, edits });
  }

  /** Drops the edits of the preset shown: its panes follow Settings' models again. */
  undoEdits(): void {
    const { [this.layout.preset]: _dropped, ...edits } = this.layout.edits ?? {};
    this.setLayout({ preset: this.layout.preset, custom: null, edits });
  }

  /** Changes one pane (the list becomes the user's own). */
  editPane(id: string, change: Partial<Omit<PaneSpec, 'id'>>): void {
    const panes = this.paneList.map((p) => {
      if (p.id !== id) return p;
      const next: PaneSpec = { ...p, ...change };
      if (next.engine === 'openai') next.server = { baseUrl: paneServerUrl(next.server?.baseUrl ?? this.settings().llm.serverUrl) };
      else delete next.server;
      return next;
    });
    this.setLayout({ ...this.layout, custom: panes });
  }

  /** Adds a pane (up to MAX_PANES): the Settings model with your documents, renamed to be unique. */
  addPane(): void {
    const panes = this.paneList;
    if (panes.length >= MAX_PANES) return;
    let n = panes.length + 1;
    while (panes.some((p) => p.id === `pane-${n}` || p.label === `Pane ${n}`)) n++;
    const base = this.engines.settingsModel();
    const pane: PaneSpec = { id: `pane-${n}`, label: `Pane ${n}`, engine: base.engine, model: base.model, retrieval: true };
    this.setLayout({ ...this.layout, custom: [...panes, pane] });
  }

  removePane(id: string): void {
    this.setLayout({ ...this.layout, custom: this.paneList.filter((p) => p.id !== id) });
  }

  private setLayout(layout: Layout): void {
    this.layout = layout;
    try {
      localStorage.setItem(PANES_STORAGE, JSON.stringify(layout));
    } catch {
      // Storage refused (private mode): the layout still holds for this visit.
    }
  }

  // -------------------------------------------------------------------------------------------
  // Asking

  /** Stops the model downloads and the answers being generated (their text so far is kept). */
  stop(): void {
    this.controller?.abort();
  }

  /** Whether an error is one that asking again fixes by reloading the model (offered as a button). */
  get reloadOffered(): boolean {
    return this.error?.name === 'DeviceLost' || this.error?.name === 'WorkerCrashed';
  }

  /** What the plan knows of this machine: memory needs from web-llm's records, the adapter's budget, the model loaded now. */
  private planEnv(): PlanEnv {
    const s = this.settings();
    return {
      needMB: (m: LocalModel) =>
        m.engine === 'webllm'
          ? (this.webllm()?.find((e) => e.id === m.model)?.vramMB ?? null)
          : s.llm.transformersDevice === 'wasm'
            ? 0
            : null,
      budget: gpuBudget(this.engines.gpuStatus(), s.llm.gpuMemoryMB),
      loaded: this.engines.loadedLocals,
      maxLoaded: MAX_LOCAL_ENGINES,
    };
  }

  /** What a pane run needs from this page: its search, its engines (local and server, with the key kept for each server), and the plan's view of the GPU. */
  panesDeps(): PanesDeps {
    return {
      search: async (q, r) => (await this.search.retrieve(q, r))!,
      env: this.planEnv(),
      // The plan unloads first whatever does not fit: a model it loads may stay beside the others.
      load: (m, o) => this.engines.local(m, o, 'beside'),
      unload: (m) => this.engines.unloadLocal(m),
      remote: (pane, o) => this.engines.serverChat(this.server.server(pane.server!.baseUrl), pane.model, o),
    };
  }

  /** Whether the next question is asked with the default panes (the Settings model without and with your documents). */
  get defaultPanes(): boolean {
    return this.layout.preset === DEFAULT_PRESET && this.layout.custom === null;
  }

  /** Another job using the local models (an Evaluate run, the self-test) while no comparison runs here; null when none. */
  get modelsBusy(): string | null {
    return this.busy ? null : this.engines.usedBy;
  }

  async ask(question: string, opts: AskOptions = {}): Promise<void> {
    if (this.busy || question.trim() === '') return;
    if (this.engines.usedBy) {
      // Nothing is cleared: the comparison shown stays, with why this one did not start.
      this.error = {
        name: 'InvalidRequest',
        message: `${this.engines.usedBy} is using the language models of this tab: wait until it ends, or stop it, then ask again.`,
      };
      return;
    }
    const s = this.settings();
    const specs = this.paneList.map((p) => ({ ...p, ...(p.server ? { server: { ...p.server } } : {}) }));
    const controller = (this.controller = new AbortController());
    this.askedAt = Date.now();
    this.error = null;
    this.question = question.trim();
    this.retrieval = null;
    this.passage = null;
    this.shownFrom = null;
    this.plan = null;
    this.step = null;
    this.steps = [];
    this.progress = null;
    this.panes = specs.map(emptyPane);
    this.grounding = {};
    const params: GenerationParams = {
      maxTokens: opts.maxTokens ?? s.llm.maxTokens,
      temperature: opts.temperature ?? s.llm.temperature,
      topP: s.llm.topP,
      seed: s.llm.seed,
    };
    this.params = params;
    let where: 'retrieving' | 'answering' = 'retrieving';
    this.phase = 'retrieving';
    try {
      if (specs.some((p) => p.engine === 'webllm')) await this.needModelList();
      const retrieval = { ...retrievalOptions(s.retrieval), mode: opts.mode ?? s.retrieval.mode, k: opts.k ?? s.retrieval.topK };
      const result = await this.engines.exclusive('A comparison in Ask', () =>
        runPanes(
          { question, retrieval, params, panes: specs },
          this.panesDeps(),
          {
            onPlan: (plan) => (this.plan = plan),
            onRetrieved: (r) => {
              this.retrieval = r;
              this.phase = where = 'answering';
            },
            onStep: (step) => {
              const text = step.kind === 'load' ? `Loading ${step.model.model}…` : step.reason;
              this.step = text;
              this.steps = [...this.steps, step.kind === 'load' ? `Loaded ${step.model.model}.` : step.reason];
            },
            onProgress: (ids, p) => {
              // Server panes report no download worth a bar (their "load" is a model check).
              if (ids.some((id) => this.pane(id).spec.engine !== 'openai')) this.progress = p;
              for (const id of ids) this.pane(id).loading = true;
            },
            onStart: (id, messages) => {
              const pane = this.pane(id);
              // A server pane starting beside a local download leaves that download's line and bar.
              if (pane.spec.engine !== 'openai') {
                this.step = null;
                this.progress = null;
              }
              Object.assign(pane, { messages, running: true, loading: false });
            },
            onToken: (id, delta) => (this.pane(id).text += delta),
            // The final answer replaces what streamed: a reasoning model whose template opened its
            // thought in the prompt streams the thought as if it were the answer until `</think>`.
            onDone: (id, run) =>
              Object.assign(this.pane(id), {
                run,
                running: false,
                loading: false,
                messages: run.messages,
                ...(run.result ? { text: run.result.text } : {}),
              }),
          },
          controller.signal,
        ),
      );
      this.step = null;
      this.progress = null;
      this.last = result;
      const failed = result.runs.filter((r) => r.status === 'failed');
      if (failed.length === result.runs.length && failed.every((r) => r.model === null && r.error?.name === failed[0]!.error?.name)) {
        // No pane got a model, all for the same reason: one error above, and each pane says so.
        this.error = failed[0]!.error ?? null;
        this.phase = 'error';
        for (const pane of this.panes) {
          pane.run = null;
          pane.notRun = 'Not run: the model could not be loaded — see the error above.';
        }
        for (const r of failed) if (r.error) this.engines.chatFailed(r.error);
        return;
      }
      for (const r of result.runs) if (r.error) this.engines.chatFailed(r.error);
      if (controller.signal.aborted && result.runs.every((r) => !r.result?.text)) {
        // Stopped before any pane wrote anything (a model still downloading, say): nothing to keep.
        this.phase = 'idle';
        return;
      }
      this.phase = 'done';
      void this.judgeGrounding(result);
      const { plan, ...kept } = result;
      // The model that answered, when one local model answered every pane (the default panes);
      // otherwise each run names its own.
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read once here, never rendered
      const models = new Set(result.runs.map((r) => (r.model ? `${r.model.engine}:${r.model.model}` : '')));
      const local = result.panes.every((p) => p.engine !== 'openai');
      const model = local && models.size === 1 ? (result.runs[0]!.model ?? null) : null;
      await this.remember({ ...kept, notes: plan.notes, id: crypto.randomUUID(), createdAt: result.startedAt, model });
    } catch (e) {
      const error = serializeError(e);
      // The engine dropped its model with the GPU: the next question loads it again.
      this.engines.chatFailed(error);
      this.error = error;
      this.phase = error.name === 'Cancelled' ? 'idle' : 'error';
      // A pane without its run would say "Waiting…" for ever: it says why it did not run instead.
      for (const pane of this.panes) {
        if (pane.run) continue;
        pane.notRun = notRunReason(where, pane.spec.retrieval, error, pane.running);
        pane.running = false;
        pane.loading = false;
      }
    } finally {
      this.step = null;
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
   * Shows a past comparison as it was: question, passages, every pane's answer and prompt, and
   * the per-question settings and panes it was asked with, so that asking it again asks the same.
   */
  restore(record: ComparisonRecord): void {
    if (this.busy) return;
    const { panes, runs } = recordPanes(record);
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
    this.params = record.params;
    this.panes = panes.map((spec, i) => {
      const run = runs[i]!;
      return { ...emptyPane(spec), text: run.result?.text ?? '', messages: run.messages, run };
    });
    // Asking again asks with the same panes (unless they are what the layout gives already).
    if (panes.length > 0 && JSON.stringify(panes) !== JSON.stringify(this.paneList)) {
      this.setLayout({ ...this.layout, custom: panes });
    }
    this.plan = null;
    this.steps = [];
    this.last = record;
    this.shownFrom = record.createdAt;
    this.phase = 'done';
    this.grounding = {};
    void this.judgeGrounding(record);
  }

  /**
   * Marks each answer with documents sentence by sentence with the embedding model. Best effort:
   * without vectors (keyword-only collection) or with the model failing, the answer simply shows
   * no marks.
   */
  private async judgeGrounding(result: PanesResult | ComparisonRecord): Promise<void> {
    if (!this.library.snapshot?.embeddedChunks) return;
    const { panes, runs } = 'plan' in result ? result : recordPanes(result);
    try {
      // Loaded on first use: the scoring code is not needed until an answer is complete.
      const { groundingOf } = await import('../eval/session');
      const out: Record<string, Grounding> = {};
      for (const [i, pane] of panes.entries()) {
        const run = runs[i];
        if (!pane.retrieval || !run?.result?.text) continue;
        const g = await groundingOf(
          { question: result.question, retrieval: result.retrieval, grounded: run },
          (texts) => this.engines.embedRows(texts),
          new AbortController().signal,
        );
        if (g) out[pane.id] = g;
      }
      if (this.last === result) this.grounding = out;
    } catch {
      // No marks: the answers and their citations are unaffected.
    }
  }

  /** Downloads the comparison shown, as Markdown (to read or hand out) or JSON (everything, to keep). */
  async download(format: 'md' | 'json'): Promise<void> {
    const c = this.last;
    if (!c || this.busy) return;
    const { panes, runs } = 'plan' in c ? c : recordPanes(c);
    const notes = 'plan' in c ? c.plan.notes : c.notes;
    // Loaded on first use: nobody needs the exporter until they export.
    const { comparisonToJson, comparisonToMarkdown, exportName } = await import('../compare/export');
    const shown = { ...$state.snapshot(c), panes, runs, notes } as Parameters<typeof comparisonToJson>[0];
    const text = format === 'json' ? comparisonToJson(shown) : comparisonToMarkdown(shown);
    saveFile(
      new Blob([text], { type: format === 'json' ? 'application/json' : 'text/markdown;charset=utf-8' }),
      exportName(c.question, format),
    );
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

  private pane(id: string): PaneState {
    return this.panes.find((p) => p.spec.id === id)!;
  }
}
