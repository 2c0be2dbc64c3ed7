/**
 * A dropped image (PNG, JPEG, WebP: a photographed page, a screenshot, a scanned handout) read by
 * text recognition (src/ingest/ocr.ts) into a one-page document: Tesseract's paragraphs become its
 * blocks, and its words keep their boxes for highlighting. Only reached when OCR is on
 * (registry.ts refuses images otherwise). An image without readable text is refused as
 * NoTextLayer: a photo of a cat is not a document.
 */

import { AppError } from '../../core/errors';
import type { ParsedDocument, ParseOptions, Parser } from '../types';
import { TextBuilder } from './blocks';
import { imageDimensions, ocrHost, ocrImageSize, OCR_MIN_WORDS, readable, recognize } from '../ocr';

export const imageParser: Parser = {
  format: 'image',
  async parse(bytes: Uint8Array, opts: ParseOptions): Promise<ParsedDocument> {
    if (!opts.ocr) throw new AppError('InvalidRequest', 'Images are read by text recognition, which is off.');
    const size = imageDimensions(bytes);
    if (!size || size.width === 0 || size.height === 0) {
      throw new AppError(
        'CorruptFile',
        `“${opts.name}” could not be read: the image looks damaged or incomplete. Open it in an image viewer and save it again.`,
        { file: opts.name, format: 'image' },
      );
    }
    opts.onProgress?.({ stage: 'ocr', unit: 'pages', loaded: 0, total: 1, done: false, item: opts.name });
    // Upright, as the viewer shows it (a phone photo's EXIF turn), where the host can decode it.
    const host = ocrHost();
    const upright = host.uprightImage ? await host.uprightImage(bytes) : { image: bytes, ...ocrImageSize(bytes, size) };
    const read = await recognize(upright.image, {
      ...opts.ocr,
      signal: opts.signal,
      what: `“${opts.name}”`,
      size: { width: upright.width, height: upright.height },
    });
    opts.onProgress?.({ stage: 'ocr', unit: 'pages', loaded: 1, total: 1, done: true, item: opts.name });
    const indexed = readable(read);
    if (!indexed) {
      throw new AppError(
        'NoTextLayer',
        read.words.length < OCR_MIN_WORDS
          ? `Text recognition (OCR) found no text in “${opts.name}”: there is nothing to search.`
          : `Text recognition (OCR) could not read “${opts.name}” well enough to index (confidence ${Math.round(read.confidence * 100)}%). A sharper photo or scan, straight and evenly lit, usually reads.`,
        { file: opts.name, pages: 1 },
      );
    }
    const out = new TextBuilder();
    out.startPage(1);
    for (const text of read.paragraphs) out.block(text);
    return out.build('image', {
      pageCount: 1,
      warnings: [`Read by text recognition (OCR), confidence ${Math.round(read.confidence * 100)}%: the text may hold misread words.`],
      ocr: [{ page: 1, ...read, indexed }],
    });
  },
};
