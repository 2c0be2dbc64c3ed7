/**
 * PDF with pdf.js: text per page in reading order, page spans, outline entries as headings.
 *
 * pdf.js normally parses in a worker of its own. We are already in the ingest worker (or in Node),
 * so its worker code runs in this same thread: we import pdf.js's worker module and hand it over as
 * `globalThis.pdfjsWorker`, which pdf.js uses instead of spawning a worker. The bundler serves that
 * module from the app (no CDN, no `workerSrc` to configure), and a file that hangs pdf.js is
 * stopped the same way as any other file: the pool terminates the ingest worker.
 *
 * Layout (lines, paragraphs, running headers and footers, headings from font size and weight) is
 * in pdf-layout.ts. Weight needs each font's name ("Arial-BoldMT"), which pdf.js hands over only
 * with a page's operator list: that list is built once per page that brings a font not seen before
 * (fonts are shared across pages, so usually only the first few), not for every page.
 */

import { AppError, errorText, throwIfCancelled } from '../../core/errors';
import type { HeadingMark, ParsedDocument, ParseOptions, Parser } from '../types';
import { TextBuilder } from './blocks';
import {
  bodyStyle,
  findFurniture,
  headingLevels,
  linesToParagraphs,
  pageHeadings,
  runsToLines,
  withoutFurniture,
  type Line,
  type Run,
} from './pdf-layout';
import { pdfAssets } from './pdf-assets';
import { OCR_MAX_SIDE, OCR_MIN_WORDS, OCR_RENDER_SCALE, ocrCanvasFactory, ocrHost, readable, recognize, type OcrOptions } from '../ocr';
import type { OcrPageRecord } from '../types';

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type PdfDocument = Awaited<ReturnType<Pdfjs['getDocument']>['promise']>;
type PdfPage = Awaited<ReturnType<PdfDocument['getPage']>>;

let loading: Promise<Pdfjs> | null = null;

/** Loads pdf.js (memoised); call early to take its start-up cost out of the first PDF's parse. */
export function loadPdfjs(): Promise<Pdfjs> {
  if (!loading) {
    loading = Promise.all([import('pdfjs-dist/legacy/build/pdf.mjs'), import('pdfjs-dist/legacy/build/pdf.worker.mjs')]).then(
      ([pdfjs, worker]) => {
        const g = globalThis as { pdfjsWorker?: unknown };
        g.pdfjsWorker ??= worker;
        return pdfjs;
      },
    );
    // A failed load (e.g. a chunk that could not be fetched) must not stick: the next file retries.
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

function toRuns(items: ReadonlyArray<object>, bold: ReadonlyMap<string, boolean>): Run[] {
  const runs: Run[] = [];
  for (const it of items) {
    if (!('str' in it)) continue; // marked-content markers
    const item = it as { str: string; transform: number[]; width: number; height: number; hasEOL: boolean; fontName?: string };
    const t = item.transform;
    const size = Math.hypot(t[2] ?? 0, t[3] ?? 0) || item.height || 1;
    runs.push({
      str: item.str,
      x: t[4] ?? 0,
      y: t[5] ?? 0,
      width: item.width,
      size,
      bold: bold.get(item.fontName ?? '') ?? false,
      hasEOL: item.hasEOL,
    });
  }
  return runs;
}

const BOLD_FONT = /bold|black|heavy|semibold|demi/i;

/** A page with this many characters has a body style of its own. Range 100..5000; default 500. */
const PAGE_STYLE_MIN_CHARS = 500;

/** Learns whether each font first used on this page is bold (see the module header). */
async function learnFonts(page: PdfPage, items: ReadonlyArray<object>, bold: Map<string, boolean>): Promise<void> {
  const unknown = new Set<string>();
  for (const it of items) {
    const name = (it as { fontName?: string }).fontName;
    if (name && !bold.has(name)) unknown.add(name);
  }
  if (unknown.size === 0) return;
  try {
    await page.getOperatorList();
  } catch {
    // A page whose drawing fails: its fonts count as regular.
  }
  for (const name of unknown) {
    let isBold = false;
    try {
      const font = page.commonObjs.get(name) as { name?: string; bold?: boolean; black?: boolean } | undefined;
      isBold = Boolean(font?.bold || font?.black || BOLD_FONT.test(font?.name?.replace(/^[A-Z]{6}\+/, '') ?? ''));
    } catch {
      // Not resolved: regular.
    }
    bold.set(name, isBold);
  }
}

function passwordError(name: string, code: number, pdfjs: Pdfjs): AppError {
  const incorrect = code === pdfjs.PasswordResponses.INCORRECT_PASSWORD;
  return new AppError(
    'PasswordProtectedPdf',
    incorrect
      ? `The password for “${name}” is not correct. Type it again (passwords are case-sensitive), or skip this file.`
      : `“${name}” is protected with a password. Enter its password to add it; without one it cannot be read.`,
    { file: name, reason: incorrect ? 'incorrect' : 'needed' },
  );
}

function corrupt(name: string, e: unknown): AppError {
  return new AppError(
    'CorruptFile',
    `“${name}” could not be read as a PDF: the file is damaged or incomplete. If it opens in a PDF viewer, print it to a new PDF and drop that.`,
    { file: name },
    errorText(e),
  );
}

/** Errors pdf.js raises for malformed files (as opposed to bugs or environment problems). */
const PDFJS_FILE_ERRORS = new Set([
  'InvalidPDFException',
  'FormatError',
  'UnknownErrorException',
  'MissingPDFException',
  'XRefParseException',
]);

async function outlineHeadings(
  doc: PdfDocument,
  text: string,
  pageStarts: Map<number, { start: number; end: number }>,
): Promise<HeadingMark[]> {
  const outline = await doc.getOutline();
  if (!outline || outline.length === 0) return [];
  const marks: HeadingMark[] = [];
  const visit = async (items: typeof outline, level: number): Promise<void> => {
    for (const item of items) {
      if (marks.length >= 2000) return;
      const title = (item.title ?? '').replace(/\s+/g, ' ').trim();
      let pageIndex = -1;
      try {
        const dest = typeof item.dest === 'string' ? await doc.getDestination(item.dest) : item.dest;
        const ref = Array.isArray(dest) ? dest[0] : null;
        if (ref && typeof ref === 'object') pageIndex = await doc.getPageIndex(ref as Parameters<PdfDocument['getPageIndex']>[0]);
        else if (typeof ref === 'number') pageIndex = ref;
      } catch {
        // A dangling destination: the heading is just not placed.
      }
      const span = pageStarts.get(pageIndex + 1);
      if (title && span) {
        // Place the heading where its words appear on its page (whitespace-insensitive); else skip it.
        const pageText = text.slice(span.start, span.end);
        const pattern = new RegExp(
          title
            .split(' ')
            .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('\\s+'),
          'i',
        );
        const m = pattern.exec(pageText);
        if (m) marks.push({ level: Math.min(level, 6), text: title, start: span.start + m.index });
      }
      if (item.items?.length) await visit(item.items, level + 1);
    }
  };
  await visit(outline, 1);
  // Keep document order and only headings that start a block (a heading inside a sentence is not one).
  return marks
    .filter((h) => h.start === 0 || text.slice(h.start - 2, h.start) === '\n\n' || text[h.start - 1] === '\n')
    .sort((a, b) => a.start - b.start)
    .filter((h, i, all) => i === 0 || all[i - 1]!.start !== h.start);
}

/**
 * The author's outline where it has entries, the layout's headings below it: a layout heading keeps
 * its place and nests under the outline's levels; where both mark the same spot, the outline wins.
 */
function mergeHeadings(outline: HeadingMark[], layout: HeadingMark[]): HeadingMark[] {
  const deepest = Math.max(...outline.map((h) => h.level));
  const taken = new Set(outline.map((h) => h.start));
  const nested = layout.filter((h) => !taken.has(h.start)).map((h) => ({ ...h, level: Math.min(6, deepest + h.level) }));
  return [...outline, ...nested].sort((a, b) => a.start - b.start);
}

export const pdfParser: Parser = {
  format: 'pdf',
  async parse(bytes: Uint8Array, opts: ParseOptions): Promise<ParsedDocument> {
    const pdfjs = await loadPdfjs();
    throwIfCancelled(opts.signal);
    const assets = pdfAssets();
    const task = pdfjs.getDocument({
      // pdf.js takes ownership of (detaches) the buffer it is given: give it a copy.
      data: bytes.slice(),
      ...(opts.password ? { password: opts.password } : {}),
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      useWorkerFetch: false,
      isOffscreenCanvasSupported: false,
      isImageDecoderSupported: false,
      enableXfa: false,
      stopAtErrors: false,
      verbosity: pdfjs.VerbosityLevel.ERRORS,
      ...(assets.cMapUrl ? { cMapUrl: assets.cMapUrl, cMapPacked: true } : {}),
      ...(assets.standardFontDataUrl ? { standardFontDataUrl: assets.standardFontDataUrl } : {}),
      ...(assets.wasmUrl ? { wasmUrl: assets.wasmUrl } : {}),
      // Pages are drawn only for OCR; in a worker pdf.js needs a factory of OffscreenCanvases for that.
      ...(opts.ocr && ocrCanvasFactory() ? { CanvasFactory: ocrCanvasFactory() as never } : {}),
    });
    try {
      let doc: PdfDocument;
      try {
        doc = await task.promise;
      } catch (e) {
        const err = e as { name?: string; code?: number };
        if (err?.name === 'PasswordException') throw passwordError(opts.name, err.code ?? 1, pdfjs);
        if (err?.name && PDFJS_FILE_ERRORS.has(err.name)) throw corrupt(opts.name, e);
        throw e;
      }
      const n = doc.numPages;
      if (n === 0) throw corrupt(opts.name, new Error('the document has no pages'));
      // Pass 1: every page's lines (and which fonts are bold).
      const bold = new Map<string, boolean>();
      const pageLines: Line[][] = [];
      let failedPages = 0;
      const failed = new Set<number>();
      let firstFailure: unknown;
      for (let i = 1; i <= n; i++) {
        throwIfCancelled(opts.signal);
        let lines: Line[] = [];
        try {
          const page = await doc.getPage(i);
          const items = (await page.getTextContent()).items;
          if (items.length > 0) await learnFonts(page, items, bold);
          lines = runsToLines(toRuns(items, bold));
          page.cleanup();
        } catch (e) {
          // One broken page (a damaged content stream) should not cost the rest of the document.
          failedPages++;
          failed.add(i - 1);
          firstFailure ??= e;
        }
        pageLines.push(lines);
        opts.onProgress?.({ stage: 'parse', unit: 'pages', loaded: i, total: n, done: false, item: opts.name });
      }
      if (failedPages === n) throw corrupt(opts.name, firstFailure);
      // Pages without a text layer are read by OCR when it is on (scanned pages).
      const ocr = opts.ocr ? await ocrPages(doc, pageLines, failed, opts as ParseOptions & { ocr: OcrOptions }) : null;
      // Pass 2: without running headers and footers, into blocks, with headings from the layout.
      const furniture = findFurniture(pageLines);
      let kept = pageLines.map((lines) => withoutFurniture(lines, furniture));
      // A document whose every line repeats on every page (one line per page, the same text) is all
      // "furniture" by that rule: then it is the content, and nothing is dropped.
      if (kept.every((lines) => lines.length === 0)) kept = pageLines;
      const pageParas = kept.map(linesToParagraphs);
      // Body style per page where the page has enough text to tell: a filing's exhibits can be set a
      // size larger than its body, which would hide every heading at the body's own size.
      const docBody = bodyStyle(pageParas.flat());
      const headingParas = pageParas.flatMap((paras) => {
        const chars = paras.reduce((s, p) => s + p.text.length, 0);
        const body = chars >= PAGE_STYLE_MIN_CHARS ? bodyStyle(paras) : docBody;
        return pageHeadings(paras, body);
      });
      const isHeading = new Set(headingParas);
      const levelOf = headingLevels(headingParas);
      const out = new TextBuilder();
      let emptyPages = 0;
      // A cover page sets its lines in large type ("Large accelerated filer ☒ ..."): as headings of
      // the top level they would parent every section after them. In documents of several pages
      // the first page's headings are the deepest level, so the body's headings replace them.
      const coverLevel = n >= 3 ? 6 : 0;
      pageParas.forEach((paras, i) => {
        out.startPage(i + 1);
        const before = out.length;
        for (const para of paras) {
          if (isHeading.has(para)) out.heading(i === 0 && coverLevel ? coverLevel : levelOf(para), para.text);
          else out.block(para.text);
        }
        const read = ocr?.pages.get(i + 1);
        if (read?.indexed) for (const text of read.paragraphs) out.block(text);
        if (out.length === before) emptyPages++;
      });
      if (emptyPages === n) {
        throw new AppError(
          'NoTextLayer',
          ocr && ocr.pages.size > 0
            ? `“${opts.name}” has no text layer, and text recognition (OCR) could not read it well enough to index (${ocrSummary(ocr)}). A sharper scan, at 300 dpi, usually reads.`
            : opts.ocr
              ? `“${opts.name}” has no text layer, and text recognition (OCR) found no text on its pages.`
              : `“${opts.name}” has no text layer (it is a scanned PDF or holds only pictures), so there is nothing to search. Turn on text recognition (OCR) in Settings → Documents and drop it again, or run OCR on it elsewhere (e.g. ocrmypdf).`,
          { file: opts.name, pages: n },
        );
      }
      const warnings: string[] = ocr ? ocr.warnings : [];
      // Pages left without text that nothing above reports: not damaged, not left out by OCR.
      const textless = emptyPages - failedPages - (ocr?.reported ?? 0);
      if (failedPages > 0) warnings.push(`${failedPages} of ${n} pages could not be read (the file is partly damaged); they were skipped.`);
      if (textless > 0) {
        warnings.push(
          opts.ocr
            ? `${textless} of ${n} pages have no text layer and no text OCR could find (pictures only).`
            : `${textless} of ${n} pages have no text layer (scanned or pictures only); their content cannot be searched unless text recognition (OCR) is on in Settings → Documents.`,
        );
      }
      const built = out.build('pdf', { pageCount: n, warnings });
      if (ocr && ocr.pages.size > 0) built.ocr = [...ocr.pages.values()];
      if (furniture.runningTitle && kept !== pageLines) built.runningTitle = furniture.runningTitle;
      try {
        const outline = await outlineHeadings(doc, built.text, new Map((built.pages ?? []).map((p) => [p.number, p])));
        if (outline.length > 0) built.headings = mergeHeadings(outline, built.headings);
      } catch {
        // The outline is optional structure; a broken one must not fail a readable document.
      }
      try {
        const meta = await doc.getMetadata();
        const info = meta.info as { Title?: unknown } | undefined;
        const t = typeof info?.Title === 'string' ? info.Title.replace(/\s+/g, ' ').trim() : '';
        if (t) built.title = t;
      } catch {
        // Unreadable metadata: no title, the text is what matters.
      }
      // Producers often fill the Title field with an internal id (a filing's accession number) or
      // leave it empty: then the title is what the first page sets in its largest type.
      if (!/\p{L}{3,}/u.test(built.title ?? '')) {
        const cover = pageParas[0]?.filter((p) => isHeading.has(p)) ?? [];
        const largest = cover.reduce<(typeof cover)[number] | null>((best, p) => (!best || p.size > best.size + 0.25 ? p : best), null);
        if (largest) built.title = largest.text.replace(/\s+/g, ' ').trim();
      }
      return built;
    } finally {
      await task.destroy().catch(() => undefined);
    }
  },
};

/** What OCR made of a PDF's pages without text layer. */
interface OcrPass {
  /** By 1-based page number: the pages OCR read (indexed or not). */
  pages: Map<number, OcrPageRecord>;
  warnings: string[];
  /** Pages left without text that the warnings already name (too unsure, or skipped). */
  reported: number;
}

/** "2 pages, mean confidence 94%". */
function ocrSummary(o: OcrPass): string {
  const pages = [...o.pages.values()];
  const mean = pages.reduce((s, p) => s + p.confidence, 0) / Math.max(1, pages.length);
  return `${pages.length} page${pages.length === 1 ? '' : 's'}, mean confidence ${Math.round(mean * 100)}%`;
}

/**
 * Draws each page without a text layer (at OCR_RENDER_SCALE) and reads it. A page OCR gives up
 * on (its time limit) or cannot draw is skipped with a warning; a page read with less than
 * OCR_MIN_CONFIDENCE is kept out of the text and reported. Progress counts the pages read.
 */
async function ocrPages(
  doc: PdfDocument,
  pageLines: readonly Line[][],
  failed: ReadonlySet<number>,
  opts: ParseOptions & { ocr: OcrOptions },
): Promise<OcrPass> {
  const todo = pageLines.flatMap((lines, i) => (lines.length === 0 && !failed.has(i) ? [i + 1] : []));
  const out: OcrPass = { pages: new Map(), warnings: [], reported: 0 };
  if (todo.length === 0) return out;
  const host = ocrHost();
  const report = (loaded: number) =>
    opts.onProgress?.({ stage: 'ocr', unit: 'pages', loaded, total: todo.length, done: loaded === todo.length, item: opts.name });
  report(0);
  const skipped: string[] = [];
  const unsure: string[] = [];
  for (const [k, number] of todo.entries()) {
    throwIfCancelled(opts.signal);
    try {
      const page = await doc.getPage(number);
      // Scale 2 (144 dpi) for paper sizes; a poster or an odd page size is drawn smaller, so the
      // image stays within OCR_MAX_SIDE pixels (Tesseract's time and memory grow with its area).
      const unit = page.getViewport({ scale: 1 });
      const scale = Math.min(OCR_RENDER_SCALE, OCR_MAX_SIDE / Math.max(unit.width, unit.height));
      const viewport = page.getViewport({ scale });
      const width = Math.ceil(viewport.width);
      const height = Math.ceil(viewport.height);
      const canvas = host.canvas(width, height);
      let image: Uint8Array | Blob;
      try {
        await page.render({ canvasContext: canvas.context as never, viewport, canvas: null } as never).promise;
        image = await canvas.image();
      } finally {
        page.cleanup();
        canvas.release?.();
      }
      const read = await recognize(image, {
        ...opts.ocr,
        signal: opts.signal,
        what: `page ${number} of “${opts.name}”`,
        size: { width, height },
      });
      const indexed = readable(read);
      if (!indexed && read.words.length >= OCR_MIN_WORDS) unsure.push(`${number} (${Math.round(read.confidence * 100)}%)`);
      out.pages.set(number, { page: number, ...read, indexed });
    } catch (e) {
      const name = (e as { name?: string }).name;
      // Stopped, or OCR cannot run at all (no data for the language): the file ends, named.
      if (name === 'Cancelled' || name === 'InvalidSettings' || opts.signal?.aborted) throw e;
      skipped.push(`${number} (${errorText(e)})`);
    }
    report(k + 1);
  }
  const indexed = [...out.pages.values()].filter((p) => p.indexed);
  if (indexed.length > 0) {
    const mean = indexed.reduce((s, p) => s + p.confidence, 0) / indexed.length;
    out.warnings.push(
      `${indexed.length} of ${pageLines.length} pages were read by text recognition (OCR), mean confidence ${Math.round(mean * 100)}%: their text may hold misread words.`,
    );
  }
  if (unsure.length > 0) {
    out.warnings.push(
      `Left out, because OCR was too unsure of its reading (a poor scan, handwriting or a picture): page${unsure.length === 1 ? '' : 's'} ${unsure.join(', ')}.`,
    );
  }
  if (skipped.length > 0) out.warnings.push(`OCR could not read page${skipped.length === 1 ? '' : 's'} ${skipped.join('; ')}.`);
  out.reported = unsure.length + skipped.length;
  return out;
}
