/**
 * What the Node CLIs that read documents share: the files below a folder, in a stable order, and
 * pdf.js's data files (CJK CMaps, standard fonts) taken from the installed package.
 */

import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
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
  configurePdf({ cMapUrl: `${pdfjsDir}/cmaps/`, standardFontDataUrl: `${pdfjsDir}/standard_fonts/` });
}
