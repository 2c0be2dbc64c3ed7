/**
 * Text from page images, in the tab: tesseract.js (Tesseract 5's LSTM engine compiled to
 * WebAssembly) with the `best_int` language data of `@tesseract.js-data/<lang>`, every file served
 * by the app itself (vite.config.ts copies them to /ocr/) or read from node_modules in Node: no
 * CDN, nothing leaves the machine. DOM-free: the host (the ingest worker, the corpus CLI, tests)
 * says where the files are and how to draw a PDF page (`configureOcr`).
 *
 * Why these choices, measured on the project's generated scans (tests/unit/ocr.test.ts): the LSTM
 * engine alone ('best_int', 2.9 MB of English data) reads them at word F1 ≥ 0.95; the legacy+LSTM
 * data is 10.9 MB for no gain on printed text. One tesseract worker is kept per language set and
 * reused across pages and files (starting one and loading its data costs ~0.3 s).
 *
 * A page is OCR'd only where it has no text layer; its words keep their boxes (in the page image's
 * pixels, with the image's size, so they scale onto any rendering of the page) and confidence. A
 * page read with too little confidence is reported, not indexed: gibberish in the index would only
 * turn up in search results.
 */

import { AppError, cancelled } from '../core/errors';

/** A word's box in the page image, pixels (x0,y0 top left, x1,y1 bottom right). */
export interface OcrBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface OcrWord {
  text: string;
  box: OcrBox;
  /** 0..1. */
  confidence: number;
}

/** One page (or image) read by OCR. */
export interface OcrPage {
  /** The image's size, pixels: word boxes are in this space. */
  width: number;
  height: number;
  /** The text, one entry per paragraph Tesseract found, lines joined with spaces. */
  paragraphs: string[];
  words: OcrWord[];
  /** Mean word confidence, 0..1 (0 when no word was found). */
  confidence: number;
  ms: number;
}

/** Languages whose data every build serves (vite.config.ts, the Node host): English. */
export const BUNDLED_OCR_LANGUAGES: readonly string[] = ['eng'];

/** What a parse asks of OCR (absent in ParseOptions: OCR is off). */
export interface OcrOptions {
  /** Tesseract language codes, e.g. ['eng'] or ['eng', 'deu']. */
  languages: string[];
  /**
   * Where the data of languages the build does not serve comes from: a folder (URL, or a path on
   * the app's origin) holding `<lang>.traineddata.gz` for every language asked for, e.g. the
   * model folder's `tesseract/` (see `ocrLanguagePath`). Absent: the build's own data only.
   */
  langPath?: string;
  /** A page still being read after this long is given up (its worker replaced). */
  pageTimeoutMs: number;
}

/**
 * Default time limit per page. Range 5..600 s; default 60 s: an A4 page at 150–200 dpi takes
 * about 0.5–2 s on a laptop core, a dense newspaper page several seconds; a page still running
 * after a minute is stuck, and the rest of the file should not wait on it.
 */
export const OCR_PAGE_TIMEOUT_MS = 60_000;

/**
 * Pages read with a mean word confidence below this are reported and left out of the index.
 * Range 0..1; default 0.5: Tesseract's confidence on clean print is above 0.9, on a poor but
 * readable scan 0.7–0.85; below one half most words are wrong.
 */
export const OCR_MIN_CONFIDENCE = 0.5;

/**
 * Fewer words than this on a page or image is no text: a logo's letters, a page number, a stray
 * mark read as "|" (seen on the corpus's pictures). Range 1..20; default 3.
 */
export const OCR_MIN_WORDS = 3;

/** Whether OCR's reading of a page is worth indexing: enough words, read with enough confidence. */
export function readable(page: Pick<OcrPage, 'words' | 'confidence' | 'paragraphs'>): boolean {
  return page.words.length >= OCR_MIN_WORDS && page.confidence >= OCR_MIN_CONFIDENCE && page.paragraphs.length > 0;
}

/**
 * Scale a PDF page is drawn at for OCR: pdf.js units are points (1/72 in), so 2.0 is 144 dpi,
 * near the 150 dpi scanners default to (higher costs time and memory for little gain on print;
 * much lower loses small type). Range 1..4; default 2.
 */
export const OCR_RENDER_SCALE = 2;

/** A canvas the host draws a PDF page into, and the drawing as an image Tesseract reads. */
export interface OcrCanvas {
  /** A 2D context pdf.js can render into. */
  context: unknown;
  /** The drawn page as an image (PNG bytes or a Blob). */
  image(): Promise<Uint8Array | Blob>;
  /** Frees the canvas's pixels now rather than at garbage collection (a page is megabytes). */
  release?(): void;
}

/**
 * Longest side, pixels, a PDF page is drawn at for OCR: A4 at OCR_RENDER_SCALE is 1191 × 1684; a
 * poster page would be tens of megapixels, minutes of OCR for no better reading. Range 1000..8000;
 * default 4000.
 */
export const OCR_MAX_SIDE = 4000;

export interface OcrHost {
  /** Folder (URL or path, ending in "/") holding `<lang>.traineddata.gz`. */
  langPath: string;
  /** tesseract.js's core script (browser; Node finds tesseract.js-core itself). */
  corePath?: string;
  /** tesseract.js's worker script (browser; Node uses its own). */
  workerPath?: string;
  /** Languages whose data `langPath` holds: asking for another is refused by name. */
  languages: readonly string[];
  canvas(width: number, height: number): OcrCanvas;
  /**
   * Decodes a dropped image upright (its EXIF orientation applied, as browsers show it) and at
   * most OCR_MAX_SIDE pixels on its longest side, as PNG with its size: then OCR's word boxes are
   * in the pixels the viewer shows. Absent (Node): the bytes are read as they are.
   */
  uprightImage?(bytes: Uint8Array): Promise<{ image: Blob | Uint8Array; width: number; height: number }>;
  /**
   * The canvas factory pdf.js draws with (its `CanvasFactory` option), where its default cannot
   * run: in a worker there is no `document` for its DOM factory. Node's default is fine.
   */
  pdfCanvasFactory?: unknown;
}

let host: OcrHost | null = null;

/** Called once at start-up by whoever hosts the parsers (see the module header). */
export function configureOcr(next: OcrHost): void {
  host = next;
}

/** The host's pdf.js canvas factory, if it set one (none: OCR off here, or pdf.js's own default). */
export function ocrCanvasFactory(): unknown {
  return host?.pdfCanvasFactory;
}

export function ocrHost(): OcrHost {
  if (!host) throw new AppError('InvalidRequest', 'Text recognition (OCR) is not available here.');
  return host;
}

type TesseractWorker = Awaited<ReturnType<(typeof import('tesseract.js'))['createWorker']>>;

/** The worker for a language set, started on first use and kept (see the module header). */
let current: { key: string; worker: Promise<TesseractWorker> } | null = null;

function missingLanguage(languages: readonly string[], h: OcrHost): void {
  const missing = languages.filter((l) => !h.languages.includes(l));
  if (missing.length > 0) {
    throw new AppError(
      'InvalidSettings',
      `Text recognition has no language data for ${missing.join(', ')} in this copy of ragscope (it has ${h.languages.join(', ')}). Choose one of those in Settings → Documents, or put each language's <code>.traineddata.gz (from @tesseract.js-data/<code>, 4.0.0_best_int) in the model folder's tesseract/ subfolder and set that folder as the model source.`,
      { count: missing.length },
    );
  }
}

async function workerFor(languages: readonly string[], langPath: string | undefined): Promise<TesseractWorker> {
  const h = ocrHost();
  if (!langPath) missingLanguage(languages, h);
  const key = `${languages.join('+')} ${langPath ?? ''}`;
  if (current?.key === key) return current.worker;
  const old = current;
  current = null;
  if (old) void old.worker.then((w) => w.terminate()).catch(() => undefined);
  const started = (async () => {
    const { createWorker, OEM } = await import('tesseract.js');
    // tesseract.js swallows a failed language load (its createWorker then never settles) and only
    // tells `errorHandler`: that rejects the start instead.
    let fail: (e: Error) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    return Promise.race([
      createWorker([...languages], OEM.LSTM_ONLY, {
        langPath: langPath ?? h.langPath,
        gzip: true,
        // The data comes from the app (or node_modules) every time; tesseract.js's own IndexedDB
        // cache would keep a second copy of it.
        cacheMethod: 'none',
        // A blob: worker would need `worker-src blob:` in the page's policy: load the app's own file.
        workerBlobURL: false,
        // A failed job rejects its own promise too; without a handler tesseract.js also throws it
        // as an uncaught error (a missing language file would take the ingest worker down).
        errorHandler: (data: unknown) => fail(new Error(String(data))),
        ...(h.corePath ? { corePath: h.corePath } : {}),
        ...(h.workerPath ? { workerPath: h.workerPath } : {}),
      }),
      failed,
    ]);
  })();
  current = { key, worker: started };
  started.catch(() => {
    if (current?.worker === started) current = null;
  });
  return started;
}

/**
 * Where OCR's language data comes from for these settings: the build's own for its languages;
 * for any other, every language from the model folder's `tesseract/` subfolder (a path on this
 * app such as /models/, or a mirror), since Tesseract reads all languages from one place. Null
 * when another language is asked for and the models come from the public hubs (which hold no
 * Tesseract data): the parse then names the missing language.
 */
export function ocrLanguagePath(languages: readonly string[], modelSource: string): string | undefined | null {
  if (languages.every((l) => BUNDLED_OCR_LANGUAGES.includes(l))) return undefined;
  const source = modelSource.trim();
  return source ? `${source.endsWith('/') ? source : `${source}/`}tesseract/` : null;
}

/** Stops the worker (a cancelled or stuck page): the next page starts a fresh one. */
function dropWorker(): void {
  const old = current;
  current = null;
  if (old) void old.worker.then((w) => w.terminate()).catch(() => undefined);
}

interface TesseractBlock {
  paragraphs: Array<{ lines: Array<{ text: string; words: Array<{ text: string; confidence: number; bbox: OcrBox }> }> }>;
}

/** Reads an image (PNG, JPEG, WebP bytes or Blob). Cancelled by `signal`; gives up after `timeoutMs` with OcrTimeout. */
export async function recognize(
  image: Uint8Array | Blob,
  opts: OcrOptions & { signal?: AbortSignal | undefined; what: string; size: { width: number; height: number } },
): Promise<OcrPage> {
  if (opts.signal?.aborted) throw cancelled();
  const t = performance.now();
  let worker: TesseractWorker;
  try {
    worker = await workerFor(opts.languages, opts.langPath);
  } catch (e) {
    if (e instanceof AppError) throw e;
    // tesseract.js fails to start when a language's data cannot be fetched.
    throw new AppError(
      'InvalidSettings',
      `Text recognition could not load its language data for ${opts.languages.join(', ')}${opts.langPath ? ` from ${opts.langPath}` : ''}: put each language's <code>.traineddata.gz (from @tesseract.js-data/<code>, 4.0.0_best_int) there, or choose ${BUNDLED_OCR_LANGUAGES.join(', ')} in Settings → Documents.`,
      { count: opts.languages.length },
      e instanceof Error ? e.message : String(e),
    );
  }
  // Stopped while the worker started: its next page may still be wanted by another file.
  if (opts.signal?.aborted) throw cancelled();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      dropWorker();
      reject(
        new AppError(
          'OcrTimeout',
          `Reading ${opts.what} by OCR took longer than ${Math.round(opts.pageTimeoutMs / 1000)} s, so it was given up.`,
          { what: opts.what, seconds: Math.round(opts.pageTimeoutMs / 1000) },
        ),
      );
    }, opts.pageTimeoutMs);
    onAbort = () => {
      dropWorker();
      reject(cancelled());
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const input = image instanceof Uint8Array ? toBuffer(image) : image;
    const { data } = await Promise.race([
      worker.recognize(input as never, {}, { blocks: true, text: false }).catch((e: unknown) => {
        // A worker whose page failed may be in any state: the next page starts a fresh one.
        dropWorker();
        throw e;
      }),
      stop,
    ]);
    const blocks = (data.blocks ?? []) as unknown as TesseractBlock[];
    const paragraphs: string[] = [];
    const words: OcrWord[] = [];
    for (const b of blocks)
      for (const p of b.paragraphs) {
        const text = p.lines
          .map((l) => l.text.trim())
          .filter(Boolean)
          .join(' ')
          .replace(/\s+/g, ' ')
          .trim();
        if (text) paragraphs.push(text);
        for (const l of p.lines)
          for (const w of l.words) {
            if (!w.text.trim()) continue;
            words.push({ text: w.text, box: { ...w.bbox }, confidence: w.confidence / 100 });
          }
      }
    const confidence = words.length ? words.reduce((s, w) => s + w.confidence, 0) / words.length : 0;
    return { width: opts.size.width, height: opts.size.height, paragraphs, words, confidence, ms: performance.now() - t };
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Node's tesseract.js wants a Buffer for image bytes; the browser's takes the Blob or bytes as they are. */
function toBuffer(bytes: Uint8Array): unknown {
  const B = (globalThis as { Buffer?: { from(b: Uint8Array): unknown } }).Buffer;
  return B ? B.from(bytes) : new Blob([bytes as BlobPart]);
}

/**
 * The size OCR's word boxes are in for an image read as it is: Tesseract turns an image by its
 * EXIF orientation when the tag is written big-endian (tesseract.js setImage.js looks for exactly
 * that byte pattern), and a quarter turn (orientations 5–8) swaps width and height.
 */
export function ocrImageSize(bytes: Uint8Array, header: { width: number; height: number }): { width: number; height: number } {
  const head = Array.from(bytes.subarray(0, 500)).join(' ');
  const orientation = Number(/1 18 0 3 0 0 0 1 0 (\d)/.exec(head)?.[1] ?? 1);
  return orientation >= 5 && orientation <= 8 ? { width: header.height, height: header.width } : header;
}

/**
 * An image's size in pixels from its header (PNG, JPEG, WebP), null for anything else: word boxes
 * are in these pixels, and a highlight scales them onto the image as shown. Hand-written: three
 * fixed header layouts, where a decoder library would decode the whole image to learn two numbers.
 */
export function imageDimensions(b: Uint8Array): { width: number; height: number } | null {
  const u16 = (i: number, little = false) => (little ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!);
  const u32 = (i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  // PNG: the IHDR chunk comes first.
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return { width: u32(16), height: u32(20) };
  // JPEG: the first start-of-frame segment (SOF0..SOF15 but DHT, JPG and DAC) holds the size.
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return null;
      const marker = b[i + 1]!;
      if (marker === 0xff) {
        i++;
        continue;
      }
      const len = u16(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: u16(i + 7), height: u16(i + 5) };
      }
      i += 2 + len;
    }
    return null;
  }
  // WebP: RIFF....WEBP, then a VP8 (lossy), VP8L (lossless) or VP8X (extended) chunk.
  if (b.length >= 30 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') {
    const kind = String.fromCharCode(...b.subarray(12, 16));
    if (kind === 'VP8 ') return { width: u16(26, true) & 0x3fff, height: u16(28, true) & 0x3fff };
    if (kind === 'VP8L') {
      const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (kind === 'VP8X')
      return { width: 1 + (b[24]! | (b[25]! << 8) | (b[26]! << 16)), height: 1 + (b[27]! | (b[28]! << 8) | (b[29]! << 16)) };
  }
  return null;
}

/** Releases the OCR worker (tests, a worker closing). */
export async function closeOcr(): Promise<void> {
  const old = current;
  current = null;
  if (old) await (await old.worker.catch(() => null))?.terminate();
}
