/**
 * Text recognition (src/ingest/ocr.ts) in Node on the project's own "scans"
 * (tests/fixtures/docs/scanned.ts): the words come back with their boxes and confidence, and the
 * failures a user can meet are named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureOcrForNode } from '../../src/cli/node-env';
import { closeOcr, imageDimensions, ocrImageSize, ocrLanguagePath, recognize, OCR_PAGE_TIMEOUT_MS } from '../../src/ingest/ocr';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PARAGRAPH, paragraphPng, SCANNED_PAGES, textImage, wordF1 } from '../fixtures/docs/scanned';
import { createCanvas } from '@napi-rs/canvas';

beforeAll(() => configureOcrForNode());
afterAll(() => closeOcr());

const OPTS = { languages: ['eng'], pageTimeoutMs: OCR_PAGE_TIMEOUT_MS, what: 'the test image', size: { width: 1240, height: 400 } };

describe('text recognition', () => {
  it('reads a paragraph image back word for word (word F1 ≥ 0.95), with each word boxed inside the image', async () => {
    const png = paragraphPng();
    const page = await recognize(png, OPTS);
    const f1 = wordF1(page.paragraphs.join(' '), PARAGRAPH);
    console.log(
      `OCR of the paragraph PNG: word F1 ${f1.toFixed(3)}, mean confidence ${page.confidence.toFixed(2)}, ${Math.round(page.ms)} ms`,
    );
    expect(f1).toBeGreaterThanOrEqual(0.95);
    expect(page.confidence).toBeGreaterThan(0.8);
    expect(page.width).toBe(1240);
    expect(page.height).toBe(400);
    for (const w of page.words) {
      expect(w.box.x0).toBeGreaterThanOrEqual(0);
      expect(w.box.x1).toBeLessThanOrEqual(page.width);
      expect(w.box.y1).toBeLessThanOrEqual(page.height);
      expect(w.box.x1).toBeGreaterThan(w.box.x0);
    }
    // The first word sits where the fixture drew it: at the left margin, on the first line.
    expect(page.words[0]).toMatchObject({ text: 'Sourdough' });
    expect(page.words[0]!.box.x0).toBeGreaterThan(100);
    expect(page.words[0]!.box.x0).toBeLessThan(140);
  });

  it('refuses a language it has no data for, by name, saying what it has', async () => {
    await expect(recognize(paragraphPng(), { ...OPTS, languages: ['deu'] })).rejects.toMatchObject({
      name: 'InvalidSettings',
      message: expect.stringContaining('no language data for deu') as string,
    });
  });

  it('gives a page up after its time limit, and stops when cancelled', async () => {
    // A whole page takes far longer than a tenth of a second.
    const page = textImage(SCANNED_PAGES[0]!);
    await expect(recognize(page, { ...OPTS, size: { width: 1240, height: 1754 }, pageTimeoutMs: 100 })).rejects.toMatchObject({
      name: 'OcrTimeout',
      data: { what: 'the test image', seconds: 0 },
    });
    const stop = new AbortController();
    const reading = recognize(paragraphPng(), { ...OPTS, signal: stop.signal });
    stop.abort();
    await expect(reading).rejects.toMatchObject({ name: 'Cancelled' });
    // And the next page reads again, on a fresh worker.
    expect((await recognize(paragraphPng(), OPTS)).paragraphs.length).toBeGreaterThan(0);
  });
});

describe('image sizes from headers', () => {
  it('reads PNG, JPEG and WebP sizes without decoding, and nothing from other bytes', async () => {
    const canvas = createCanvas(321, 123);
    canvas.getContext('2d').fillRect(0, 0, 10, 10);
    expect(imageDimensions(new Uint8Array(canvas.toBuffer('image/png')))).toEqual({ width: 321, height: 123 });
    expect(imageDimensions(new Uint8Array(canvas.toBuffer('image/jpeg')))).toEqual({ width: 321, height: 123 });
    expect(imageDimensions(new Uint8Array(await canvas.encode('webp')))).toEqual({ width: 321, height: 123 });
    expect(imageDimensions(new TextEncoder().encode('not an image at all, just words'))).toBeNull();
  });
});

describe('a photo turned by its EXIF orientation', () => {
  it('gives OCR’s boxes the size of the turned image: width and height swap for a quarter turn', () => {
    // A big-endian EXIF orientation tag (0x0112, SHORT, count 1) with value 6 (turn 90°) or 3 (180°).
    const tagged = (o: number) =>
      Uint8Array.from([
        0xff,
        0xd8,
        0xff,
        0xe1,
        0,
        30,
        ...Buffer.from('Exif\0\0MM\0*'),
        0,
        0,
        0,
        8,
        0,
        1,
        1,
        18,
        0,
        3,
        0,
        0,
        0,
        1,
        0,
        o,
        0,
        0,
      ]);
    expect(ocrImageSize(tagged(6), { width: 4000, height: 3000 })).toEqual({ width: 3000, height: 4000 });
    expect(ocrImageSize(tagged(3), { width: 4000, height: 3000 })).toEqual({ width: 4000, height: 3000 });
    expect(ocrImageSize(paragraphPng(), { width: 1240, height: 400 })).toEqual({ width: 1240, height: 400 });
  });
});

describe('languages beyond the build', () => {
  it('reads a language from the model folder when asked for, and names data it cannot load', async () => {
    // A language the build does not serve, in a model folder's tesseract/ (here English data under another code).
    const folder = mkdtempSync(join(tmpdir(), 'ragscope-tess-'));
    const eng = join(
      dirname(createRequire(import.meta.url).resolve('@tesseract.js-data/eng/package.json')),
      '4.0.0_best_int',
      'eng.traineddata.gz',
    );
    mkdirSync(join(folder, 'tesseract'));
    copyFileSync(eng, join(folder, 'tesseract', 'xyz.traineddata.gz'));
    const langPath = ocrLanguagePath(['xyz'], folder)!;
    expect(langPath).toBe(`${folder}/tesseract/`);
    const page = await recognize(paragraphPng(), { ...OPTS, languages: ['xyz'], langPath });
    expect(wordF1(page.paragraphs.join(' '), PARAGRAPH)).toBeGreaterThanOrEqual(0.95);

    await expect(recognize(paragraphPng(), { ...OPTS, languages: ['qqq'], langPath })).rejects.toMatchObject({
      name: 'InvalidSettings',
      message: expect.stringContaining(`could not load its language data for qqq from ${langPath}`) as string,
    });
    rmSync(folder, { recursive: true, force: true });
  });

  it('takes the build’s own data for its languages, the model folder for others, and none from the public hubs', () => {
    expect(ocrLanguagePath(['eng'], '/models/')).toBeUndefined();
    expect(ocrLanguagePath(['eng', 'deu'], '/models/')).toBe('/models/tesseract/');
    expect(ocrLanguagePath(['deu'], 'https://mirror.example/models')).toBe('https://mirror.example/models/tesseract/');
    expect(ocrLanguagePath(['deu'], '')).toBeNull();
  });
});
