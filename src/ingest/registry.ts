/**
 * One entry point from a file's bytes to a ParsedDocument or a named, user-actionable error.
 *
 * - Size limit first (FileTooLarge), then empty files (EmptyFile).
 * - The format is sniffed from content, then extension (sniff.ts); no parser → UnsupportedFile,
 *   naming what the file seems to be and what is supported.
 * - Parsers are imported on first use, so the ingest worker loads pdf.js only for PDFs, mammoth
 *   only for Word files, and so on.
 * - A parser's own AppErrors pass through. Other exceptions become CorruptFile only when they are
 *   clearly a malformed-file error (a ZIP without its directory, XML that does not parse, ...);
 *   anything else is rethrown as it is, so bugs show up as bugs (the corpus report counts them).
 */

import { AppError, errorText, throwIfCancelled } from '../core/errors';
import { sniff } from './sniff';
import { formatBytes } from './sizes';
import type { DocFormat, ParsedDocument, ParseOptions, Parser } from './types';

/**
 * Largest file parsed, in bytes. Default 200 MB (Settings → Documents → maxFileMB, range 1..2048 MB):
 * a PDF that size already takes minutes and hundreds of MB of memory in a browser tab.
 */
export const DEFAULT_MAX_BYTES = 200 * 1024 * 1024;

/** For messages: what can be dropped. */
export const SUPPORTED_FORMATS = 'PDF, Word (.docx), EPUB, HTML, Markdown, plain text (any encoding), CSV/TSV and JSON';

const LOADERS: Record<DocFormat, () => Promise<Parser>> = {
  pdf: () => import('./parsers/pdf').then((m) => m.pdfParser),
  docx: () => import('./parsers/docx').then((m) => m.docxParser),
  epub: () => import('./parsers/epub').then((m) => m.epubParser),
  html: () => import('./parsers/html').then((m) => m.htmlParser),
  markdown: () => import('./parsers/markdown').then((m) => m.markdownParser),
  text: () => import('./parsers/text').then((m) => m.textParser),
  csv: () => import('./parsers/csv').then((m) => m.csvParser),
  json: () => import('./parsers/json').then((m) => m.jsonParser),
  image: () => import('./parsers/image').then((m) => m.imageParser),
};

function unsupportedMessage(name: string, kind: string | undefined): string {
  const what = kind ? `“${name}” looks like ${kind}, which ragscope can't read.` : `“${name}” is not in a format ragscope can read.`;
  let fix = '';
  if (kind?.includes('old Office') || kind?.includes('RTF')) fix = ' Open it in Word or LibreOffice and save it as .docx.';
  else if (kind?.includes('OpenDocument')) fix = ' Save it as .docx (or export it as PDF) and drop that.';
  else if (kind?.includes('spreadsheet')) fix = ' Export the sheet as CSV and drop that.';
  else if (kind?.includes('presentation')) fix = ' Export it as PDF and drop that.';
  return `${what} It reads ${SUPPORTED_FORMATS}.${fix}`;
}

export function loadParser(format: DocFormat): Promise<Parser> {
  return LOADERS[format]();
}

/** Library messages that mean "these bytes are not a well-formed file of this format". */
const MALFORMED = [
  /end of central directory/i,
  /corrupted zip/i,
  /is this a zip file/i,
  /invalid (zip|signature|code lengths|distance|block type|stored block)/i,
  /unexpected end of (data|input|file)/i,
  /unclosed|unterminated|not well-formed|malformed/i,
  /invalid pdf|xref/i,
  /could not find (main document part|file)/i,
  /\[xmldom (error|warning|fatalError)\]|entity not found|non-whitespace before first tag|unexpected close tag/i,
  /uncompressed data size mismatch|crc32 mismatch|end of data reached|unknown compression method|incorrect header check/i,
];

export function isMalformedFileError(e: unknown): boolean {
  if (!(e instanceof Error) && typeof e !== 'string') return false;
  const name = e instanceof Error ? e.name : '';
  if (name === 'InvalidPDFException' || name === 'FormatError') return true;
  const text = errorText(e);
  return MALFORMED.some((re) => re.test(text));
}

/**
 * Refuses a file over the size limit by name. The ingest worker checks a dropped file's size before
 * reading it; parseFile checks again for callers that come with bytes (the corpus command).
 */
export function checkSize(name: string, size: number, maxBytes: number): void {
  if (size <= maxBytes) return;
  throw new AppError(
    'FileTooLarge',
    `“${name}” is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit. Split it, or raise the limit in Settings → Documents.`,
    { file: name, size, limit: maxBytes },
  );
}

export async function parseFile(bytes: Uint8Array, opts: ParseOptions & { maxBytes?: number }): Promise<ParsedDocument> {
  const name = opts.name;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  checkSize(name, bytes.byteLength, maxBytes);
  if (bytes.byteLength === 0) {
    const message = `“${name}” is empty (0 bytes): there is nothing to add. Check that it was saved or downloaded completely.`;
    throw new AppError('EmptyFile', message, { file: name });
  }
  throwIfCancelled(opts.signal);

  const { format, kind } = sniff(bytes, name);
  if (!format) {
    throw new AppError('UnsupportedFile', unsupportedMessage(name, kind), { file: name, ...(kind ? { kind } : {}) });
  }
  if (format === 'image' && !opts.ocr) {
    const message = `“${name}” looks like ${kind ?? 'an image'}. ragscope reads the text in images by text recognition (OCR): turn it on in Settings → Documents and drop the image again. It reads ${SUPPORTED_FORMATS}.`;
    throw new AppError('UnsupportedFile', message, { file: name, ...(kind ? { kind } : {}) });
  }

  const parser = await loadParser(format);
  let doc: ParsedDocument;
  try {
    doc = await parser.parse(bytes, opts);
  } catch (e) {
    if (e instanceof AppError) throw e;
    if (e instanceof DOMException && e.name === 'AbortError') throw new AppError('Cancelled', 'Cancelled.');
    if (isMalformedFileError(e)) {
      throw new AppError(
        'CorruptFile',
        `“${name}” could not be read: it looks damaged or incomplete. Try opening it in its own program and saving or exporting it again.`,
        { file: name, format },
        errorText(e),
      );
    }
    throw e;
  }
  throwIfCancelled(opts.signal);

  if (!doc.text.trim()) {
    throw new AppError(
      'EmptyFile',
      `“${name}” has no text to search: it opened fine but contains no words (only images, formatting or empty ${format === 'csv' ? 'rows' : 'content'}).`,
      { file: name, format },
    );
  }
  const total = doc.pageCount ?? 1;
  opts.onProgress?.({ stage: 'parse', unit: 'pages', loaded: total, total, done: true, item: name });
  return doc;
}
