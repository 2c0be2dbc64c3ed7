/**
 * PDF with pdf.js: text per page in reading order, page spans, outline entries as headings.
 *
 * pdf.js normally parses in a worker of its own. We are already in the ingest worker (or in Node),
 * so its worker code runs in this same thread: we import pdf.js's worker module and hand it over as
 * `globalThis.pdfjsWorker`, which pdf.js uses instead of spawning a worker. The bundler serves that
 * module from the app (no CDN, no `workerSrc` to configure), and a file that hangs pdf.js is
 * stopped the same way as any other file: the pool terminates the ingest worker.
 *
 * Reading order: pdf.js returns text runs in content-stream order, which is the author's order for
 * nearly every producer (and keeps columns apart, where sorting by position would interleave them).
 * Runs are joined into lines by their baseline (and `hasEOL`), with a space where the horizontal gap
 * says there is one; lines into paragraphs where the vertical gap is larger than the page's usual
 * line spacing, the text moves up (a new column) or the font size changes (a heading).
 */

import { AppError, errorText, throwIfCancelled } from '../../protocol/errors';
import type { HeadingMark, ParsedDocument, ParseOptions, Parser } from '../types';
import { TextBuilder } from './blocks';
import { pdfAssets } from './pdf-assets';

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type PdfDocument = Awaited<ReturnType<Pdfjs['getDocument']>['promise']>;

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

interface Run {
  str: string;
  x: number;
  y: number;
  width: number;
  size: number;
  hasEOL: boolean;
}

interface Line {
  text: string;
  x: number;
  y: number;
  size: number;
}

function toRuns(items: ReadonlyArray<object>): Run[] {
  const runs: Run[] = [];
  for (const it of items) {
    if (!('str' in it)) continue; // marked-content markers
    const item = it as { str: string; transform: number[]; width: number; height: number; hasEOL: boolean };
    const t = item.transform;
    const size = Math.hypot(t[2] ?? 0, t[3] ?? 0) || item.height || 1;
    runs.push({ str: item.str, x: t[4] ?? 0, y: t[5] ?? 0, width: item.width, size, hasEOL: item.hasEOL });
  }
  return runs;
}

/** Runs → visual lines (baseline and explicit end-of-line marks). */
export function runsToLines(runs: Run[]): Line[] {
  const lines: Line[] = [];
  let cur: { text: string; x: number; y: number; size: number; xEnd: number } | null = null;
  const close = (): void => {
    if (cur && cur.text.trim()) lines.push({ text: cur.text.replace(/\s+/g, ' ').trim(), x: cur.x, y: cur.y, size: cur.size });
    cur = null;
  };
  for (const r of runs) {
    if (r.str === '' && !r.hasEOL) continue;
    if (cur && Math.abs(r.y - cur.y) > 0.5 * Math.max(r.size, cur.size)) close();
    if (!cur) {
      cur = { text: r.str, x: r.x, y: r.y, size: r.size, xEnd: r.x + r.width };
    } else {
      const gap = r.x - cur.xEnd;
      const needsSpace = gap > 0.15 * Math.min(r.size, cur.size) && !/\s$/.test(cur.text) && !/^\s/.test(r.str);
      cur.text += (needsSpace ? ' ' : '') + r.str;
      cur.xEnd = Math.max(cur.xEnd, r.x + r.width);
      if (r.str.trim()) cur.size = Math.max(cur.size, r.size);
    }
    if (r.hasEOL) close();
  }
  close();
  return lines;
}

/** Lower quartile: the usual line spacing even on a page with few lines and many paragraph gaps. */
function lowerQuartile(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 4)]!;
}

/** Joins a word hyphenated across a line break ("exam-" + "ple"), and soft hyphens. */
function joinLines(a: string, b: string): string {
  if (/\u00ad$/.test(a)) return a.slice(0, -1) + b;
  if (/\p{Ll}-$/u.test(a) && /^\p{Ll}/u.test(b)) return a.slice(0, -1) + b;
  return `${a}\n${b}`;
}

/** Lines → paragraphs (blocks): a larger gap, a move up, a font-size change or an indent starts one. */
export function linesToParagraphs(lines: Line[]): string[] {
  const gaps = [];
  for (let i = 1; i < lines.length; i++) {
    const dy = lines[i - 1]!.y - lines[i]!.y;
    if (dy > 0 && Math.abs(lines[i - 1]!.size - lines[i]!.size) < 0.5) gaps.push(dy);
  }
  const spacing = lowerQuartile(gaps);
  const paras: string[] = [];
  let cur = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > 0) {
      const prev = lines[i - 1]!;
      const dy = prev.y - line.y;
      const sizeChange = Math.abs(line.size - prev.size) > 0.2 * Math.max(line.size, prev.size);
      // A first-line indent (within a few ems; more is a new column or a table cell).
      const indent = line.x - prev.x;
      const indented = indent > 0.8 * line.size && indent < 6 * line.size;
      const breakHere = dy < -0.5 * line.size || dy > Math.max(spacing * 1.4, line.size * 1.8) || sizeChange || indented;
      if (breakHere) {
        paras.push(cur);
        cur = line.text;
        continue;
      }
      cur = joinLines(cur, line.text);
    } else cur = line.text;
  }
  if (cur) paras.push(cur);
  return paras;
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
      const out = new TextBuilder();
      let emptyPages = 0;
      let failedPages = 0;
      let firstFailure: unknown;
      for (let i = 1; i <= n; i++) {
        throwIfCancelled(opts.signal);
        out.startPage(i);
        const before = out.length;
        let items: ReadonlyArray<object> | null = null;
        try {
          const page = await doc.getPage(i);
          items = (await page.getTextContent()).items;
          page.cleanup();
        } catch (e) {
          // One broken page (a damaged content stream) should not cost the rest of the document.
          failedPages++;
          firstFailure ??= e;
        }
        if (items) for (const para of linesToParagraphs(runsToLines(toRuns(items)))) out.block(para);
        if (out.length === before) emptyPages++;
        opts.onProgress?.({ stage: 'parse', unit: 'pages', loaded: i, total: n, done: false, item: opts.name });
      }
      if (failedPages === n) throw corrupt(opts.name, firstFailure);
      if (emptyPages === n) {
        throw new AppError(
          'NoTextLayer',
          `“${opts.name}” has no text layer (it is a scanned PDF or holds only pictures), so there is nothing to search. Run OCR on it (e.g. with your scanner's software or ocrmypdf) and drop the result.`,
          { file: opts.name, pages: n },
        );
      }
      const warnings: string[] = [];
      const textless = emptyPages - failedPages;
      if (failedPages > 0) warnings.push(`${failedPages} of ${n} pages could not be read (the file is partly damaged); they were skipped.`);
      if (textless > 0) {
        warnings.push(
          `${textless} of ${n} pages have no text layer (scanned or pictures only); their content cannot be searched unless you run OCR on the file.`,
        );
      }
      const built = out.build('pdf', { pageCount: n, warnings });
      try {
        built.headings = await outlineHeadings(doc, built.text, new Map((built.pages ?? []).map((p) => [p.number, p])));
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
      return built;
    } finally {
      await task.destroy().catch(() => undefined);
    }
  },
};
