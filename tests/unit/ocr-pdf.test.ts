/**
 * Scanned and mixed PDFs through the real parser with text recognition on (Node: pdf.js draws
 * each page without a text layer with @napi-rs/canvas, tesseract.js reads it), on the project's
 * generated scans (tests/fixtures/docs/scanned.ts). Word F1 against the known text is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureOcrForNode, configurePdfForNode } from '../../src/cli/node-env';
import { closeOcr, OCR_PAGE_TIMEOUT_MS } from '../../src/ingest/ocr';
import { parseFile } from '../../src/ingest/registry';
import { ingestFile } from '../../src/ingest/ingest';
import type { Progress } from '../../src/core/progress';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import {
  mixedPdf,
  PARAGRAPH,
  paragraphPng,
  scannedPdf,
  SCANNED_PAGES,
  sidewaysPhotoJpeg,
  TEXT_PAGE,
  wordF1,
} from '../fixtures/docs/scanned';

beforeAll(() => {
  configurePdfForNode();
  configureOcrForNode();
});
afterAll(() => closeOcr());

const OCR = { languages: ['eng'], pageTimeoutMs: OCR_PAGE_TIMEOUT_MS };

describe('scanned PDFs', () => {
  it('reads a PDF of page images by OCR, page by page, with progress, word boxes and a warning that says so', async () => {
    const progress: Progress[] = [];
    const t = performance.now();
    const doc = await parseFile(await scannedPdf(), { name: 'scan.pdf', ocr: OCR, onProgress: (p) => progress.push(p) });
    const seconds = (performance.now() - t) / 1000;
    const pageText = (n: number) => {
      const span = doc.pages!.find((p) => p.number === n)!;
      return doc.text.slice(span.start, span.end);
    };
    const f1 = SCANNED_PAGES.map((want, i) => wordF1(pageText(i + 1), want));
    console.log(`OCR of the scanned PDF: word F1 ${f1.map((x) => x.toFixed(3)).join(', ')}; ${(2 / seconds).toFixed(2)} pages/s`);
    for (const x of f1) expect(x).toBeGreaterThanOrEqual(0.95);
    expect(doc.ocr!.map((p) => [p.page, p.indexed])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(doc.ocr![0]!.confidence).toBeGreaterThan(0.8);
    expect(doc.ocr![0]!.words.find((w) => w.text === 'harbour')!.box.x0).toBeGreaterThan(0);
    expect(progress.filter((p) => p.stage === 'ocr').map((p) => p.loaded)).toEqual([0, 1, 2]);
    expect(doc.warnings.join(' ')).toMatch(/^2 of 2 pages were read by text recognition \(OCR\), mean confidence \d+%/);
  });

  it('marks the chunks of OCR pages with their confidence, so passages can say so', async () => {
    const out = await ingestFile(new Blob([(await scannedPdf()) as BlobPart]), {
      name: 'scan.pdf',
      ocr: OCR,
      maxBytes: 1e8,
      chunking: { chunkTokens: 64, overlapTokens: 0 },
    });
    if (out.kind !== 'parsed') throw new Error('expected a parsed document');
    expect(out.doc.chunks.length).toBeGreaterThan(1);
    for (const c of out.doc.chunks) expect(c.ocr!.confidence).toBeGreaterThan(0.8);
    const plain = await ingestFile(new Blob(['Typed text, no scan.']), {
      name: 'a.txt',
      maxBytes: 1e8,
      chunking: { chunkTokens: 64, overlapTokens: 0 },
    });
    if (plain.kind !== 'parsed') throw new Error('expected a parsed document');
    expect(plain.doc.chunks[0]!.ocr).toBeUndefined();
  });

  it('keeps the text layer of a text page and reads only the scanned page by OCR', async () => {
    const doc = await parseFile(await mixedPdf(), { name: 'mixed.pdf', ocr: OCR });
    const [one, two] = doc.pages!;
    expect(doc.text.slice(one!.start, one!.end).replace(/\s+/g, ' ')).toContain(TEXT_PAGE.slice(0, 60));
    expect(wordF1(doc.text.slice(two!.start, two!.end), SCANNED_PAGES[0]!)).toBeGreaterThanOrEqual(0.95);
    expect(doc.ocr!.map((p) => p.page)).toEqual([2]);
  });

  it('with OCR off, a scanned PDF is refused as NoTextLayer, saying where to turn it on', async () => {
    await expect(parseFile(await scannedPdf(), { name: 'scan.pdf' })).rejects.toMatchObject({
      name: 'NoTextLayer',
      message: expect.stringContaining('Turn on text recognition (OCR) in Settings → Documents') as string,
    });
  });

  it('ends the file, named, when OCR has no data for its language (it does not skip every page)', async () => {
    await expect(
      parseFile(await scannedPdf(), { name: 'scan.pdf', ocr: { ...OCR, languages: ['qqq'], langPath: '/no/such/folder/' } }),
    ).rejects.toMatchObject({
      name: 'InvalidSettings',
      message: expect.stringContaining('could not load its language data for qqq') as string,
    });
  });

  it('stops between pages when cancelled', async () => {
    const stop = new AbortController();
    const reading = parseFile(await scannedPdf(), {
      name: 'scan.pdf',
      ocr: OCR,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.stage === 'ocr' && p.loaded === 1) stop.abort();
      },
    });
    await expect(reading).rejects.toMatchObject({ name: 'Cancelled' });
  });
});

describe('images', () => {
  it('reads a dropped PNG or JPEG of a paragraph into a one-page document; without OCR it is refused saying how to read it', async () => {
    const png = paragraphPng();
    const doc = await parseFile(png, { name: 'note.png', ocr: OCR });
    expect(doc.format).toBe('image');
    expect(wordF1(doc.text, PARAGRAPH)).toBeGreaterThanOrEqual(0.95);
    expect(doc.pages).toEqual([{ number: 1, start: 0, end: doc.text.length }]);
    expect(doc.ocr![0]).toMatchObject({ page: 1, width: 1240, height: 400, indexed: true });
    expect(doc.warnings[0]).toMatch(/^Read by text recognition \(OCR\), confidence \d+%/);

    const canvas = createCanvas(1240, 400);
    const g = canvas.getContext('2d');
    g.drawImage(await loadImage(Buffer.from(png)), 0, 0);
    const jpeg = await parseFile(new Uint8Array(canvas.toBuffer('image/jpeg', 90)), { name: 'note.jpg', ocr: OCR });
    expect(wordF1(jpeg.text, PARAGRAPH)).toBeGreaterThanOrEqual(0.95);

    // A phone photo stored sideways with an EXIF turn: read upright, its boxes in the upright size.
    const photo = await parseFile(await sidewaysPhotoJpeg(), { name: 'photo.jpg', ocr: OCR });
    expect(wordF1(photo.text, PARAGRAPH)).toBeGreaterThanOrEqual(0.95);
    expect(photo.ocr![0]).toMatchObject({ width: 1240, height: 400 });

    await expect(parseFile(png, { name: 'note.png' })).rejects.toMatchObject({
      name: 'UnsupportedFile',
      message: expect.stringContaining('turn it on in Settings → Documents') as string,
    });
  });

  it('refuses a picture without text as NoTextLayer, and a damaged image as CorruptFile', async () => {
    const blank = createCanvas(400, 300);
    const g = blank.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, 400, 300);
    await expect(parseFile(new Uint8Array(blank.toBuffer('image/png')), { name: 'blank.png', ocr: OCR })).rejects.toMatchObject({
      name: 'NoTextLayer',
      message: 'Text recognition (OCR) found no text in “blank.png”: there is nothing to search.',
    });
    const cut = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    await expect(parseFile(cut, { name: 'cut.png', ocr: OCR })).rejects.toMatchObject({ name: 'CorruptFile' });
  });
});
