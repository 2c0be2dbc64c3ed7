/**
 * What the Node CLIs that read documents share: the files below a folder, in a stable order,
 * pdf.js's data files (CJK CMaps, standard fonts) taken from the installed package, and text
 * recognition (tesseract.js with the installed English data; pages drawn with @napi-rs/canvas,
 * the canvas pdf.js itself uses in Node).
 */

import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import { configureOcr } from '../ingest/ocr';
import { configurePdf } from '../ingest/parsers/pdf-assets';

/** Every file below `dir`, sorted by name at each level; `hidden: false` leaves out dot-files. */
export function listFiles(dir: string, { hidden = true }: { hidden?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p, { hidden }));
    else if (entry.isFile() && (hidden || !entry.name.startsWith('.'))) out.push(p);
  }
  return out;
}

/** Points pdf.js at its data files inside node_modules (folder paths, as pdf-assets.ts takes in Node). */
export function configurePdfForNode(): void {
  const pdfjsDir = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  configurePdf({ cMapUrl: `${pdfjsDir}/cmaps/`, standardFontDataUrl: `${pdfjsDir}/standard_fonts/`, wasmUrl: `${pdfjsDir}/wasm/` });
}

/** Text recognition from node_modules: the English data of @tesseract.js-data/eng ('best_int'). */
export function configureOcrForNode(): void {
  const eng = path.dirname(createRequire(import.meta.url).resolve('@tesseract.js-data/eng/package.json'));
  configureOcr({
    langPath: `${eng}/4.0.0_best_int/`,
    languages: ['eng'],
    canvas: (width, height) => {
      const canvas = createCanvas(width, height);
      return {
        context: canvas.getContext('2d'),
        image: async () => new Uint8Array(canvas.toBuffer('image/png')),
        release: () => {
          canvas.width = canvas.height = 0;
        },
      };
    },
  });
}
