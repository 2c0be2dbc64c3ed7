/**
 * What parsing produces and chunking consumes.
 *
 * A parser turns a file's bytes into one plain `text` plus structure expressed as character
 * ranges into that text (pages, headings). Keeping structure as offsets, not as a tree, lets the
 * chunker cut anywhere and still know each chunk's pages and heading path, and lets the UI show a
 * passage inside its surrounding text later.
 */

import type { OcrOptions, OcrPage } from './ocr';
import type { Progress } from '../core/progress';

/** 'image': a PNG, JPEG or WebP read by text recognition (only when OCR is on). */
export type DocFormat = 'pdf' | 'docx' | 'html' | 'markdown' | 'text' | 'csv' | 'json' | 'epub' | 'image';

export interface PageSpan {
  /** 1-based page number as printed by the viewer (PDF page index + 1). */
  number: number;
  /** [start, end) character offsets into `ParsedDocument.text`. */
  start: number;
  end: number;
}

export interface HeadingMark {
  /** 1 = top level (h1, '#', Word's Heading 1). */
  level: number;
  text: string;
  /** Offset of the heading's first character in `ParsedDocument.text`. */
  start: number;
}

export interface ParsedDocument {
  format: DocFormat;
  /** The document's own title when it has one (HTML <title>, PDF Title, EPUB dc:title, DOCX core title). */
  title?: string;
  /**
   * The extracted text. Blocks (paragraphs, headings, rows, list items) are separated by a blank
   * line ("\n\n"); lines inside a block by "\n". Never contains "\r".
   */
  text: string;
  /** PDFs (and EPUB chapters are NOT pages): one span per page, in order, covering the page's text. */
  pages?: PageSpan[];
  /** Headings in document order. */
  headings: HeadingMark[];
  /**
   * A line repeated at the top or bottom of most pages (a PDF's running header or footer, e.g.
   * "Apple Inc. | Q3 2023 Form 10-Q"), page number removed: it often names the document better
   * than its file name or title. Not part of `text`.
   */
  runningTitle?: string;
  /** Number of pages in the source (PDF), even those without text. */
  pageCount?: number;
  /** The text encoding a text-like file was decoded from, e.g. 'utf-8', 'windows-1252', 'utf-16le'. */
  encoding?: string;
  /** Non-fatal notes for the user, e.g. "12 of 40 pages have no text layer". */
  warnings: string[];
  /** Pages (or the image) read by text recognition: their words with boxes, for highlighting, and confidence. */
  ocr?: OcrPageRecord[];
}

/** A page read by OCR (src/ingest/ocr.ts): its words in the page image's pixels, and whether its text was indexed. */
export interface OcrPageRecord extends OcrPage {
  /** 1-based page number (1 for an image). */
  page: number;
  /** false: read with less than OCR_MIN_CONFIDENCE, so left out of the text. */
  indexed: boolean;
}

export interface ParseOptions {
  /** The file name (used for the extension and in error messages). */
  name: string;
  /** Password for an encrypted PDF, when the user gave one. */
  password?: string;
  /** Text recognition for pages without a text layer and for images; absent: off (NoTextLayer, as before). */
  ocr?: OcrOptions;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface Parser {
  format: DocFormat;
  parse(bytes: Uint8Array, opts: ParseOptions): Promise<ParsedDocument>;
}

/**
 * How a document's chunks were made: the chunk settings and the version of the whole path from
 * bytes to indexed text (parsers, chunker, chunk context, document profile, keyword analysis). A
 * stored document whose stamp differs from the current one was chunked differently from what a
 * new drop would get; the user is offered to rebuild it (never done silently).
 */
export interface IndexingStamp {
  chunkTokens: number;
  overlapTokens: number;
  version: number;
}

export interface Chunk {
  /** Stable id: `chunkId(docId, ordinal)` (src/core/ids.ts), split again only by `parseChunkId`. */
  id: string;
  docId: string;
  /** 0-based position within the document. */
  ordinal: number;
  text: string;
  /** [start, end) offsets into the document's extracted text; `text === doc.text.slice(start, end)`. */
  start: number;
  end: number;
  /** Pages the chunk touches (PDFs only), ascending; a chunk crossing a page break lists both. */
  pages?: number[];
  /** Headings in force at the chunk's start, outermost first, e.g. ['Methods', 'Sampling']. */
  headingPath: string[];
  /** Size in the chunker's token estimate (see chunker.ts). */
  tokens: number;
  /**
   * Where the chunk sits (document label, heading path), indexed and embedded with its text but not
   * part of it (see context.ts). Absent on chunks stored before it existed.
   */
  context?: string;
  /**
   * Text read by text recognition (OCR) on some of its pages: the mean confidence (0..1) of those
   * pages, so a passage shown or cited says it may hold misread words. Absent for text layers.
   */
  ocr?: { confidence: number };
}
