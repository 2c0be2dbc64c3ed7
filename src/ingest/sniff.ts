/**
 * Which parser a file goes to: content first, extension second.
 *
 * People drop files with wrong or missing extensions (a PDF saved as "download", a PNG renamed
 * ".md"), so the bytes decide whenever they can: PDF and ZIP containers by their signatures, known
 * binary formats by magic numbers, HTML by its opening tag. Only text-looking content is routed by
 * extension (Markdown, CSV, JSON, HTML), and text with an unknown extension is read as plain text.
 * Cheap by design: it looks at a prefix (and a ZIP's central directory, which sits at the end).
 */

import type { DocFormat } from './types';

/** Bytes looked at for text/binary and HTML decisions. */
const SNIFF_BYTES = 4096;

const EXTENSION_FORMATS: Record<string, DocFormat> = {
  md: 'markdown',
  markdown: 'markdown',
  mdown: 'markdown',
  mkd: 'markdown',
  csv: 'csv',
  tsv: 'csv',
  tab: 'csv',
  json: 'json',
  jsonl: 'json',
  ndjson: 'json',
  htm: 'html',
  html: 'html',
  xhtml: 'html',
  txt: 'text',
  text: 'text',
  log: 'text',
};

export function extensionOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

function startsWith(bytes: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[at + i] !== sig[i]) return false;
  return true;
}

function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

/** Index of `needle` in `bytes[from, to)`, or -1. */
function indexOfBytes(bytes: Uint8Array, needle: readonly number[], from = 0, to = bytes.length): number {
  const last = Math.min(to, bytes.length) - needle.length;
  outer: for (let i = from; i <= last; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Formats we recognise only to refuse them with a helpful name (RTF and PostScript are text, but not prose). */
const MAGIC: Array<{ sig: number[]; at?: number; kind: string; weak?: boolean }> = [
  { sig: [0x89, 0x50, 0x4e, 0x47], kind: 'a PNG image' },
  { sig: [0xff, 0xd8, 0xff], kind: 'a JPEG image' },
  { sig: ascii('GIF8'), kind: 'a GIF image' },
  { sig: ascii('II*\0'), kind: 'a TIFF image' },
  { sig: ascii('MM\0*'), kind: 'a TIFF image' },
  { sig: ascii('RIFF'), kind: 'a media file (RIFF)', weak: true },
  { sig: ascii('ftyp'), at: 4, kind: 'a video or audio file' },
  { sig: ascii('OggS'), kind: 'an audio file (Ogg)' },
  { sig: ascii('fLaC'), kind: 'an audio file (FLAC)' },
  { sig: ascii('ID3'), kind: 'an audio file (MP3)', weak: true },
  { sig: [0x7f, 0x45, 0x4c, 0x46], kind: 'a program (ELF)' },
  { sig: ascii('MZ'), kind: 'a Windows program', weak: true },
  { sig: [0x00, 0x61, 0x73, 0x6d], kind: 'a WebAssembly module' },
  { sig: [0x1f, 0x8b], kind: 'a compressed archive (gzip)' },
  { sig: ascii('BZh'), kind: 'a compressed archive (bzip2)', weak: true },
  { sig: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], kind: 'a compressed archive (xz)' },
  { sig: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], kind: 'a 7-Zip archive' },
  { sig: ascii('Rar!'), kind: 'a RAR archive' },
  { sig: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], kind: 'an old Office file (.doc, .xls or .ppt)' },
  { sig: ascii('{\\rtf'), kind: 'a Rich Text (RTF) file' },
  { sig: ascii('wOFF'), kind: 'a font' },
  { sig: ascii('wOF2'), kind: 'a font' },
  { sig: ascii('OTTO'), kind: 'a font' },
  { sig: [0x00, 0x01, 0x00, 0x00, 0x00], kind: 'a font' },
  { sig: ascii('SQLite format 3'), kind: 'a database (SQLite)' },
  { sig: ascii('%!PS'), kind: 'a PostScript file' },
];

const PDF_MARK = ascii('%PDF-');
const ZIP_LOCAL = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY = [0x50, 0x4b, 0x05, 0x06];

/**
 * Entry names of a ZIP archive, read from its central directory (found through the end record in
 * the last 64 KB), or from the local headers at the start when the end is missing (a truncated
 * download). Returns what it could read; never throws.
 */
export function zipEntryNames(bytes: Uint8Array): string[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const names: string[] = [];
  const latin = (start: number, len: number): string => String.fromCharCode(...bytes.subarray(start, start + len));
  // End of central directory: signature PK\5\6, at most 65535 + 22 bytes from the end.
  const floor = Math.max(0, bytes.length - 65_557);
  for (let i = bytes.length - 22; i >= floor; i--) {
    if (bytes[i] !== 0x50 || !startsWith(bytes, ZIP_EMPTY, i)) continue;
    const count = dv.getUint16(i + 10, true);
    let p = dv.getUint32(i + 16, true);
    for (let n = 0; n < count && p + 46 <= bytes.length && dv.getUint32(p, true) === 0x02014b50; n++) {
      const nameLen = dv.getUint16(p + 28, true);
      const extraLen = dv.getUint16(p + 30, true);
      const commentLen = dv.getUint16(p + 32, true);
      names.push(latin(p + 46, nameLen));
      p += 46 + nameLen + extraLen + commentLen;
    }
    if (names.length > 0) return names;
    break;
  }
  // No usable central directory: walk local headers while their sizes are known.
  let p = 0;
  while (p + 30 <= bytes.length && dv.getUint32(p, true) === 0x04034b50 && names.length < 10_000) {
    const flags = dv.getUint16(p + 6, true);
    const size = dv.getUint32(p + 18, true);
    const nameLen = dv.getUint16(p + 26, true);
    const extraLen = dv.getUint16(p + 28, true);
    names.push(latin(p + 30, nameLen));
    if (flags & 0x08) break; // sizes follow the data: can't skip ahead
    p += 30 + nameLen + extraLen + size;
  }
  return names;
}

/** True when the prefix looks like UTF-16 text (BOM, or NULs on one parity of mostly-ASCII text). */
export function looksLikeUtf16(bytes: Uint8Array): boolean {
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) return true;
  const n = Math.min(bytes.length, SNIFF_BYTES) & ~1;
  if (n < 8) return false;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  const half = n / 2;
  return (even > half * 0.3 && odd < half * 0.02) || (odd > half * 0.3 && even < half * 0.02);
}

function looksLikeUtf32(bytes: Uint8Array): boolean {
  return startsWith(bytes, [0xff, 0xfe, 0x00, 0x00]) || startsWith(bytes, [0x00, 0x00, 0xfe, 0xff]);
}

/** Text, not binary: no NUL bytes (unless UTF-16/32) and few control characters in the prefix. */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (looksLikeUtf32(bytes) || looksLikeUtf16(bytes)) return true;
  const n = Math.min(bytes.length, SNIFF_BYTES);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return false;
    // Tab, LF, VT, FF, CR and ESC (ISO-2022 escapes) are normal in text.
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0b && b !== 0x0c && b !== 0x0d && b !== 0x1b) control++;
  }
  return control <= n * 0.02;
}

/** The prefix as lower-case ASCII (other bytes dropped), UTF-16 folded to its low bytes. */
function asciiPrefix(bytes: Uint8Array, limit = 1024): string {
  const u16 = looksLikeUtf16(bytes);
  let out = '';
  for (let i = 0; i < Math.min(bytes.length, u16 ? limit * 2 : limit); i++) {
    const b = bytes[i]!;
    if (b > 0 && b < 0x80) out += String.fromCharCode(b);
  }
  return out.toLowerCase();
}

function isHtml(bytes: Uint8Array): boolean {
  const head = asciiPrefix(bytes)
    .replace(/^\uFEFF?\s*/, '')
    .replace(/^<\?xml[^>]*\?>\s*/, '')
    .replace(/^(<!--[\s\S]*?-->\s*)+/, '');
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

export interface Sniffed {
  format: DocFormat | null;
  /** For refused files, what they appear to be ("a PNG image"), for the error message. */
  kind?: string;
}

/** The full answer: a format, or null with what the file seems to be. */
export function sniff(bytes: Uint8Array, name: string): Sniffed {
  const ext = extensionOf(name);
  if (indexOfBytes(bytes, PDF_MARK, 0, 1024) >= 0) return { format: 'pdf' };
  if (startsWith(bytes, ZIP_LOCAL) || startsWith(bytes, ZIP_EMPTY)) {
    // EPUB puts an uncompressed "mimetype" entry first; check it before reading the directory.
    if (startsWith(bytes, ascii('mimetypeapplication/epub+zip'), 30)) return { format: 'epub' };
    const names = zipEntryNames(bytes);
    if (names.includes('word/document.xml')) return { format: 'docx' };
    if (names.includes('META-INF/container.xml') && names.includes('mimetype')) return { format: 'epub' };
    if (names.includes('xl/workbook.xml')) return { format: null, kind: 'an Excel spreadsheet' };
    if (names.includes('ppt/presentation.xml')) return { format: null, kind: 'a PowerPoint presentation' };
    if (names.includes('content.xml') && names.includes('mimetype')) return { format: null, kind: 'an OpenDocument file' };
    // A damaged archive (unreadable directory, missing main part): trust the extension, so the
    // parser reports it as corrupt rather than as unsupported.
    if (ext === 'docx' || ext === 'docm' || ext === 'dotx' || ext === 'dotm') return { format: 'docx' };
    if (ext === 'epub') return { format: 'epub' };
    return { format: null, kind: 'a ZIP archive' };
  }
  const text = looksLikeText(bytes);
  // Images text recognition reads (Tesseract's decoders): read only when OCR is on (registry.ts).
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return { format: 'image', kind: 'a PNG image' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { format: 'image', kind: 'a JPEG image' };
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return { format: 'image', kind: 'a WebP image' };
  for (const m of MAGIC) {
    // Weak signatures are plain letters a text file could start with: they count for binaries only.
    if (startsWith(bytes, m.sig, m.at ?? 0) && !(m.weak && text)) return { format: null, kind: m.kind };
  }
  if (!text) return { format: null, kind: 'a binary file' };
  if (isHtml(bytes)) return { format: 'html' };
  const byExt = EXTENSION_FORMATS[ext];
  if (byExt) return { format: byExt };
  return { format: 'text' };
}

/** Content first, extension second; null for files no parser handles. */
export function detectFormat(bytes: Uint8Array, name: string): DocFormat | null {
  return sniff(bytes, name).format;
}
