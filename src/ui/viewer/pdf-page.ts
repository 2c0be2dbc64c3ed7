/**
 * A kept PDF drawn in the page for the source viewer: pdf.js (its own worker, served by the app),
 * loaded only when a passage is first shown on its page. Each page is drawn into a canvas, and its
 * text items come back as runs in fractions of the page (src/ingest/highlight.ts finds the passage
 * among them). Works offline: the file comes from IndexedDB, pdf.js and its data from the app.
 */

import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import workerUrl from 'pdfjs-dist/legacy/build/pdf.worker.min.mjs?url';
import type { TextRun } from '../../ingest/highlight';

pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;

export interface DrawnPage {
  /** The page's size at scale 1, in CSS pixels (points): its aspect ratio. */
  width: number;
  height: number;
  /** Its text items, in fractions of the page. */
  runs: TextRun[];
}

export interface OpenedPdf {
  pages: number;
  /** Draws page `n` (1-based) `cssWidth` pixels wide (sharp on this screen) and reads its text runs. */
  draw(n: number, canvas: HTMLCanvasElement, cssWidth: number): Promise<DrawnPage>;
  close(): Promise<void>;
}

export async function openPdf(file: Blob): Promise<OpenedPdf> {
  const base = `${import.meta.env.BASE_URL}pdfjs/`;
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(await file.arrayBuffer()),
    isEvalSupported: false,
    cMapUrl: `${base}cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${base}standard_fonts/`,
    wasmUrl: `${base}wasm/`,
    enableXfa: false,
  }).promise;
  let drawing: { cancel(): void; promise: Promise<void> } | null = null;
  return {
    pages: doc.numPages,
    async draw(n, canvas, cssWidth) {
      const page = await doc.getPage(n);
      // One drawing on the canvas at a time: a page turned quickly cancels the one under way and
      // waits for it to let go of the canvas (pdf.js refuses two renders into one canvas).
      const before = drawing;
      before?.cancel();
      await before?.promise.catch(() => undefined);
      const unit = page.getViewport({ scale: 1 });
      const scale = (cssWidth / unit.width) * (globalThis.devicePixelRatio || 1);
      const viewport = page.getViewport({ scale });
      canvas.width = Math.ceil(viewport.width);
      canvas.height = Math.ceil(viewport.height);
      const task = page.render({ canvas, viewport });
      drawing = task;
      try {
        await task.promise;
      } finally {
        if (drawing === task) drawing = null;
      }
      const items = (await page.getTextContent()).items as Array<{ str?: string; transform?: number[]; width?: number }>;
      const runs: TextRun[] = [];
      for (const it of items) {
        if (!it.str || !it.transform) continue;
        const t = pdfjs.Util.transform(unit.transform, it.transform);
        const size = Math.hypot(t[2]!, t[3]!);
        runs.push({
          str: it.str,
          x: t[4]! / unit.width,
          y: (t[5]! - size) / unit.height,
          width: (it.width ?? 0) / unit.width,
          height: size / unit.height,
        });
      }
      return { width: unit.width, height: unit.height, runs };
    },
    async close() {
      drawing?.cancel();
      await doc.destroy();
    },
  };
}
