/**
 * Where pdf.js finds its data files, set once at start-up by whoever hosts the parser (the ingest
 * worker, the corpus CLI). Kept apart from pdf.ts so setting it does not pull the parser into the
 * worker's first chunk: pdf.ts and pdf.js load only when a PDF is dropped.
 *
 * Only needed for some PDFs: `cMapUrl` for CJK text in fonts
 * that use predefined CMaps (without it such text is lost), `standardFontDataUrl` for the 14
 * standard fonts when not embedded (helps glyph mapping). URLs (browser) or folder paths (Node),
 * each ending in "/".
 */
export interface PdfAssets {
  cMapUrl?: string;
  standardFontDataUrl?: string;
  /** pdf.js's image decoders (JPEG 2000, JBIG2): without them such images draw blank (OCR reads nothing). */
  wasmUrl?: string;
}

let assets: PdfAssets = {};

/** Call once at start-up where pdf.js's data files are served (see the module header). */
export function configurePdf(next: PdfAssets): void {
  assets = { ...assets, ...next };
}

export function pdfAssets(): Readonly<PdfAssets> {
  return assets;
}
