/**
 * The one progress vocabulary of the app.
 *
 * Each library reports progress its own way (transformers.js per file with `status` strings,
 * web-llm as a fraction plus free text). Workers translate those reports once, at their edge,
 * into `Progress`; the UI renders `Progress` and never parses library text.
 *
 * Invariants (tested): within one task `loaded` never falls, `loaded <= total` when total > 0,
 * and the last report of a successful task is `done: true` with `loaded === total`.
 */

/** What every report has, whatever its stage. */
interface Counted<Stage extends string, Unit extends string> {
  stage: Stage;
  unit: Unit;
  loaded: number;
  /** 0 while unknown (e.g. a download whose size is not known yet). */
  total: number;
  done: boolean;
  /** What is being worked on right now (a file name, a model id), for the status line. */
  item?: string;
}

/** Model files fetched by us (DownloadTally), in bytes. */
export type ByteProgress = Counted<'download', 'bytes'>;

/** One report, keyed on its stage; each stage counts in its own unit(s). */
export type Progress =
  | ByteProgress
  /** web-llm fetching a model itself (a record we could not pre-download): its fraction, as 1000 steps. */
  | Counted<'download', 'steps'>
  /** web-llm putting a cached model on the GPU and compiling its shaders, as 1000 steps. */
  | Counted<'compile', 'steps'>
  /** A document being read (PDF pages; other formats report once, done). */
  | Counted<'parse', 'pages'>
  /** Pages (or an image) being read by text recognition. */
  | Counted<'ocr', 'pages'>
  /** Passages being embedded. */
  | Counted<'embed', 'chunks'>
  /** Candidate passages being scored by the reranker. */
  | Counted<'rerank', 'chunks'>
  /** Documents being rebuilt (chunked again from their originals). */
  | Counted<'index', 'files'>
  /** A read document's chunks being stored in the library (the ingest worker's last step). */
  | Counted<'index', 'chunks'>;

export type ProgressStage = Progress['stage'];

export type ProgressUnit = Progress['unit'];

export function fraction(p: Progress): number {
  if (p.done) return 1;
  return p.total > 0 ? Math.min(1, p.loaded / p.total) : 0;
}

/**
 * Folds per-file byte reports into one rising total for a model download.
 *
 * transformers.js announces files one at a time, so a naive sum jumps backwards when a new file's
 * size becomes known; this keeps `loaded` monotonic and only ever grows `total`.
 */
export class DownloadTally {
  private readonly files = new Map<string, { loaded: number; total: number }>();
  private lastLoaded = 0;
  private lastTotal = 0;

  constructor(
    private readonly stage: ByteProgress['stage'] = 'download',
    private readonly item?: string,
  ) {}

  update(file: string, loaded: number, total: number): ByteProgress {
    const prev = this.files.get(file);
    this.files.set(file, {
      loaded: Math.max(prev?.loaded ?? 0, loaded),
      total: Math.max(prev?.total ?? 0, total, loaded),
    });
    let l = 0;
    let t = 0;
    for (const f of this.files.values()) {
      l += f.loaded;
      t += f.total;
    }
    this.lastLoaded = Math.max(this.lastLoaded, l);
    this.lastTotal = Math.max(this.lastTotal, t, this.lastLoaded);
    return this.snapshot(false);
  }

  finish(): ByteProgress {
    this.lastTotal = Math.max(this.lastTotal, this.lastLoaded);
    this.lastLoaded = this.lastTotal;
    return this.snapshot(true);
  }

  private snapshot(done: boolean): ByteProgress {
    const p: ByteProgress = {
      stage: this.stage,
      unit: 'bytes',
      loaded: this.lastLoaded,
      total: this.lastTotal,
      done,
    };
    if (this.item !== undefined) p.item = this.item;
    return p;
  }
}
