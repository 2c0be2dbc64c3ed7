import { describe, expect, it } from 'vitest';
import { detectFormat, sniff } from '../../src/ingest/sniff';
import { makeDocx } from '../fixtures/docs/docx';
import { makeEpub } from '../fixtures/docs/epub';
import { threePagePdf } from '../fixtures/docs/pdf-writer';
import { makeZip } from '../fixtures/docs/zip';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

describe('detectFormat: content first', () => {
  it('finds %PDF- within the first KB, whatever the name', () => {
    expect(detectFormat(threePagePdf(), 'notes.txt')).toBe('pdf');
    expect(detectFormat(Uint8Array.from([...new Uint8Array(300).fill(0x20), ...text('%PDF-1.7\n')]), 'x')).toBe('pdf');
  });

  it('tells DOCX and EPUB from other ZIPs by their entries', async () => {
    expect(detectFormat(await makeDocx([{ para: 'x' }]), 'report.zip')).toBe('docx');
    expect(detectFormat(await makeEpub('B', [{ id: 'c', heading: 'H', paragraphs: ['p'] }], ['c']), 'book.bin')).toBe('epub');
    const xlsx = await makeZip([
      ['[Content_Types].xml', '<Types/>'],
      ['xl/workbook.xml', '<workbook/>'],
    ]);
    expect(sniff(xlsx, 'sheet.xlsx')).toEqual({ format: null, kind: 'an Excel spreadsheet' });
    expect(sniff(await makeZip([['a.txt', 'hello']]), 'a.zip').format).toBeNull();
  });

  it('refuses binaries by magic number or NUL bytes, even with a text extension; images go to text recognition', () => {
    // PNG, JPEG and WebP are read by OCR when it is on (registry.ts refuses them otherwise).
    expect(sniff(PNG, 'photo.md')).toEqual({ format: 'image', kind: 'a PNG image' });
    expect(detectFormat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), 'a.txt')).toBe('image');
    expect(sniff(Uint8Array.from([...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WEBPVP8 ')]), 'x')).toEqual({
      format: 'image',
      kind: 'a WebP image',
    });
    expect(sniff(Uint8Array.from([...Buffer.from('GIF89a'), 1, 0]), 'x.gif')).toEqual({ format: null, kind: 'a GIF image' });
    expect(detectFormat(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 'a.csv')).toBeNull();
    expect(detectFormat(Uint8Array.from([1, 2, 3, 0, 0, 0, 9, 8, 7, 0, 0, 1]), 'data.json')).toBeNull();
  });

  it('recognises HTML by its opening tag, before the extension', () => {
    expect(detectFormat(text('\uFEFF  <!DOCTYPE html><html><body>x</body></html>'), 'saved.txt')).toBe('html');
    expect(detectFormat(text('<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"></html>'), 'page')).toBe('html');
    expect(detectFormat(text('<HTML><BODY>old page</BODY></HTML>'), 'page.md')).toBe('html');
  });
});

describe('detectFormat: extension second', () => {
  it.each([
    ['notes.md', 'markdown'],
    ['notes.MARKDOWN', 'markdown'],
    ['data.csv', 'csv'],
    ['data.tsv', 'csv'],
    ['data.json', 'json'],
    ['page.htm', 'html'],
    ['page.xhtml', 'html'],
    ['readme.txt', 'text'],
    ['server.log', 'text'],
    ['README', 'text'],
    ['main.rs', 'text'],
  ])('%s → %s', (name, format) => {
    expect(detectFormat(text('plain words, no markup\n'), name)).toBe(format);
  });

  it('treats UTF-16 text (NUL bytes at odd offsets) as text, not binary', () => {
    const utf16 = new Uint8Array(Array.from('hello world, this is UTF-16 text', (c) => [c.charCodeAt(0), 0]).flat());
    expect(detectFormat(utf16, 'notes')).toBe('text');
    expect(detectFormat(Uint8Array.from([0xff, 0xfe, ...utf16]), 'notes.csv')).toBe('csv');
  });
});
