/// <reference lib="webworker" />
// Ingest worker entry: parses and chunks one dropped file at a time (see src/ingest/). pdf.js runs
// inside this worker; its CMaps and standard fonts are served by the app (vite.config.ts copies
// them to /pdfjs/), never fetched from a CDN. So are text recognition's files (/ocr/: tesseract.js's
// worker and core, the language data), fetched only when a scan or an image is dropped.
import { serve } from '../src/core/rpc';
import { reportRequests } from '../src/platform/netlog';
import { ingestHandlers } from '../src/ingest/handler';
import { configurePdf } from '../src/ingest/parsers/pdf-assets';
import { configureOcr, OCR_MAX_SIDE } from '../src/ingest/ocr';

const base = new URL(`${import.meta.env.BASE_URL}pdfjs/`, self.location.origin);
configurePdf({
  cMapUrl: new URL('cmaps/', base).href,
  standardFontDataUrl: new URL('standard_fonts/', base).href,
  wasmUrl: new URL('wasm/', base).href,
});

/** The folder vite.config.ts copies OCR's files to, under the tesseract.js version. */
declare const __RAGSCOPE_OCR_DIR__: string;

/** pdf.js's canvas factory for a worker (it has no `document`): OffscreenCanvases. */
class OffscreenCanvasFactory {
  create(width: number, height: number) {
    const canvas = new OffscreenCanvas(width, height);
    return { canvas, context: canvas.getContext('2d', { willReadFrequently: true }) };
  }
  reset(cc: { canvas: OffscreenCanvas }, width: number, height: number) {
    cc.canvas.width = width;
    cc.canvas.height = height;
  }
  destroy(cc: { canvas: OffscreenCanvas | null; context: unknown }) {
    if (cc.canvas) cc.canvas.width = cc.canvas.height = 0;
    cc.canvas = null;
    cc.context = null;
  }
}

const ocr = new URL(`${import.meta.env.BASE_URL}${__RAGSCOPE_OCR_DIR__}`, self.location.origin);
configureOcr({
  langPath: new URL('lang/', ocr).href,
  corePath: new URL('core/', ocr).href,
  workerPath: new URL('worker.min.js', ocr).href,
  // The languages whose data vite.config.ts copies into /ocr/lang/.
  languages: ['eng'],
  canvas: (width, height) => {
    const canvas = new OffscreenCanvas(width, height);
    return {
      context: canvas.getContext('2d'),
      image: () => canvas.convertToBlob({ type: 'image/png' }),
      release: () => {
        canvas.width = canvas.height = 0;
      },
    };
  },
  pdfCanvasFactory: OffscreenCanvasFactory,
  uprightImage: async (bytes) => {
    // Decoded as the browser shows it (EXIF orientation applied), at most OCR_MAX_SIDE on its longest side.
    const bitmap = await createImageBitmap(new Blob([bytes as BlobPart]), { imageOrientation: 'from-image' });
    const scale = Math.min(1, OCR_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    return { image: await canvas.convertToBlob({ type: 'image/png' }), width, height };
  },
});

serve(self, ingestHandlers());
reportRequests(self);
