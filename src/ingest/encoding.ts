/**
 * Bytes of a text-like file to a string, whatever encoding it was saved in.
 *
 * Order of evidence, strongest first:
 *  1. a byte-order mark (UTF-8, UTF-16LE/BE, UTF-32LE/BE);
 *  2. UTF-32 / UTF-16 without a BOM, recognised by NULs at fixed positions of mostly-ASCII text;
 *  3. strict UTF-8 validity (an incomplete sequence cut off at the very end is forgiven);
 *  4. a statistical detector (jschardet 4, a port of Python's chardet 6) for legacy encodings,
 *     mapped to a WHATWG label and decoded with `TextDecoder`. The few encodings TextDecoder lacks
 *     (UTF-32, IBM855, Johab, ISO-2022-KR) are decoded here.
 * Almost-UTF-8 (a few stray bytes in otherwise valid UTF-8) stays UTF-8 with replacement characters
 * rather than turning every accented letter into mojibake.
 *
 * The result never contains "\r" or NUL: line ends are normalised to "\n".
 */

import { looksLikeUtf16 } from './sniff';

export interface DecodedText {
  text: string;
  /** Canonical name of the encoding decoded from ('utf-8', 'windows-1252', 'shift_jis', 'utf-16le', ...). */
  encoding: string;
}

/** Bytes given to the detector: its own default cap; more adds time, not accuracy. */
const DETECT_BYTES = 200_000;

export function normaliseText(s: string): string {
  let out = s.replace(/\r\n?/g, '\n');
  if (out.includes('\0')) out = out.replace(/\0/g, '');
  if (out.charCodeAt(0) === 0xfeff) out = out.slice(1);
  return out;
}

function has(bytes: Uint8Array, sig: readonly number[]): boolean {
  return sig.every((b, i) => bytes[i] === b);
}

/**
 * windows-1252's 0x80–0x9F (€, ‚, „, …, quotes, dashes, ™, ...). Some runtimes (Node 20's fast
 * Latin-1 path) decode these bytes as C1 control characters; browsers don't. Mapping U+0080–U+009F
 * back through this table is right in both (the five unassigned bytes stay as they are).
 */
const CP1252_C1 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function decodeWith(label: string, bytes: Uint8Array): DecodedText {
  const dec = new TextDecoder(label);
  let text = dec.decode(bytes);
  if (dec.encoding === 'windows-1252') text = text.replace(/[\u0080-\u009f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]!);
  return { text: normaliseText(text), encoding: dec.encoding };
}

// ---------------------------------------------------------------------------------------------
// Decoders TextDecoder does not have.

function decodeUtf32(bytes: Uint8Array, littleEndian: boolean): string {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: string[] = [];
  let buf: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const cp = dv.getUint32(i, littleEndian);
    buf.push(cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? cp : 0xfffd);
    if (buf.length >= 8192) {
      parts.push(String.fromCodePoint(...buf));
      buf = [];
    }
  }
  parts.push(String.fromCodePoint(...buf));
  return parts.join('');
}

/** IBM855 (DOS Cyrillic), bytes 0x80..0xFF. */
const IBM855_HIGH =
  '\u0452\u0402\u0453\u0403\u0451\u0401\u0454\u0404\u0455\u0405\u0456\u0406\u0457\u0407\u0458\u0408' +
  '\u0459\u0409\u045a\u040a\u045b\u040b\u045c\u040c\u045e\u040e\u045f\u040f\u044e\u042e\u044a\u042a' +
  '\u0430\u0410\u0431\u0411\u0446\u0426\u0434\u0414\u0435\u0415\u0444\u0424\u0433\u0413\u00ab\u00bb' +
  '\u2591\u2592\u2593\u2502\u2524\u0445\u0425\u0438\u0418\u2563\u2551\u2557\u255d\u0439\u0419\u2510' +
  '\u2514\u2534\u252c\u251c\u2500\u253c\u043a\u041a\u255a\u2554\u2569\u2566\u2560\u2550\u256c\u00a4' +
  '\u043b\u041b\u043c\u041c\u043d\u041d\u043e\u041e\u043f\u2518\u250c\u2588\u2584\u041f\u044f\u2580' +
  '\u042f\u0440\u0420\u0441\u0421\u0442\u0422\u0443\u0423\u0436\u0416\u0432\u0412\u044c\u042c\u2116' +
  '\u00ad\u044b\u042b\u0437\u0417\u0448\u0428\u044d\u042d\u0449\u0429\u0447\u0427\u00a7\u25a0\u00a0';

function decodeIbm855(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : IBM855_HIGH[b - 0x80];
  return out;
}

/** ISO-2022-KR: 7-bit KS X 1001 between SO and SI; re-encoded as EUC-KR and decoded by TextDecoder. */
function decodeIso2022Kr(bytes: Uint8Array): string {
  const out: number[] = [];
  let shifted = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x1b && bytes[i + 1] === 0x24 && bytes[i + 2] === 0x29 && bytes[i + 3] === 0x43) {
      i += 3; // ESC $ ) C designator
    } else if (b === 0x0e) shifted = true;
    else if (b === 0x0f) shifted = false;
    else if (shifted && b >= 0x21 && b <= 0x7e) out.push(b | 0x80);
    else {
      if (b === 0x0a) shifted = false;
      out.push(b);
    }
  }
  return new TextDecoder('euc-kr').decode(new Uint8Array(out));
}

// Johab (KS X 1001 annex 3): Hangul syllables are 5+5+5 bit jamo indices; symbols and Hanja map
// arithmetically onto KS X 1001 rows (as CPython's _codecs_kr does), decoded here through EUC-KR.
const JOHAB_INITIAL = [-1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]; // 1 = fill
const JOHAB_MEDIAL: Record<number, number> = {
  3: 0,
  4: 1,
  5: 2,
  6: 3,
  7: 4,
  10: 5,
  11: 6,
  12: 7,
  13: 8,
  14: 9,
  15: 10,
  18: 11,
  19: 12,
  20: 13,
  21: 14,
  22: 15,
  23: 16,
  26: 17,
  27: 18,
  28: 19,
  29: 20,
};
const JOHAB_FINAL: Record<number, number> = {
  1: 0,
  2: 1,
  3: 2,
  4: 3,
  5: 4,
  6: 5,
  7: 6,
  8: 7,
  9: 8,
  10: 9,
  11: 10,
  12: 11,
  13: 12,
  14: 13,
  15: 14,
  16: 15,
  17: 16,
  19: 17,
  20: 18,
  21: 19,
  22: 20,
  23: 21,
  24: 22,
  25: 23,
  26: 24,
  27: 25,
  28: 26,
  29: 27,
};
/** Compatibility jamo for a lone initial consonant (index 0..18). */
const COMPAT_INITIAL = [
  0x3131, 0x3132, 0x3134, 0x3137, 0x3138, 0x3139, 0x3141, 0x3142, 0x3143, 0x3145, 0x3146, 0x3147, 0x3148, 0x3149, 0x314a, 0x314b, 0x314c,
  0x314d, 0x314e,
];

function decodeJohab(bytes: Uint8Array): string {
  const euc = new TextDecoder('euc-kr');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      continue;
    }
    const c2 = bytes[i + 1];
    if (c2 === undefined) {
      out += '\ufffd';
      break;
    }
    i++;
    if (c >= 0x84 && c <= 0xd3) {
      const code = (c << 8) | c2;
      const l = JOHAB_INITIAL[(code >> 10) & 0x1f] ?? -1;
      const v = JOHAB_MEDIAL[(code >> 5) & 0x1f];
      const t = JOHAB_FINAL[code & 0x1f];
      if (l >= 0 && v !== undefined && t !== undefined) out += String.fromCharCode(0xac00 + (l * 21 + v) * 28 + t);
      else if (l >= 0 && v === undefined && t === 0) out += String.fromCharCode(COMPAT_INITIAL[l]!);
      else if (l < 0 && v !== undefined && t === 0) out += String.fromCharCode(0x314f + v);
      else out += '\ufffd';
    } else if ((c >= 0xd9 && c <= 0xde) || (c >= 0xe0 && c <= 0xf9)) {
      if (c2 < 0x31 || (c2 >= 0x80 && c2 < 0x91) || (c2 & 0x7f) === 0x7f) {
        out += '\ufffd';
        continue;
      }
      let t1 = c < 0xe0 ? 2 * (c - 0xd9) : 2 * c - 0x197;
      let t2 = c2 < 0x91 ? c2 - 0x31 : c2 - 0x43;
      t1 = t1 + (t2 < 0x5e ? 0 : 1) + 0x21;
      t2 = (t2 < 0x5e ? t2 : t2 - 0x5e) + 0x21;
      out += euc.decode(new Uint8Array([t1 | 0x80, t2 | 0x80]));
    } else out += '\ufffd';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Detection.

/** 'utf-32le' | 'utf-32be' when every 4-byte unit of the prefix holds a plausible code point. */
function utf32WithoutBom(bytes: Uint8Array): 'utf-32le' | 'utf-32be' | null {
  const n = Math.min(bytes.length, 4096) & ~3;
  if (n < 16 || bytes.length % 4 !== 0) return null;
  let le = 0;
  let be = 0;
  for (let i = 0; i < n; i += 4) {
    if (bytes[i + 3] === 0 && bytes[i + 2]! <= 0x10 && bytes[i]! + bytes[i + 1]! > 0) le++;
    if (bytes[i] === 0 && bytes[i + 1]! <= 0x10 && bytes[i + 2]! + bytes[i + 3]! > 0) be++;
  }
  const units = n / 4;
  if (le === units) return 'utf-32le';
  if (be === units) return 'utf-32be';
  return null;
}

/** 'iso-2022-jp' / 'x-iso-2022-kr' for 7-bit text with their designator escapes in the prefix. */
function iso2022Kind(bytes: Uint8Array): string | null {
  const n = Math.min(bytes.length, 65_536);
  let kr = false;
  let jp = false;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b >= 0x80) return null;
    if (b !== 0x1b) continue;
    const a = bytes[i + 1];
    const c = bytes[i + 2];
    if (a === 0x24 && c === 0x29 && bytes[i + 3] === 0x43)
      kr = true; // ESC $ ) C
    else if (a === 0x24 && (c === 0x42 || c === 0x40 || c === 0x28))
      jp = true; // ESC $ B, ESC $ @, ESC $ (
    else if (a === 0x28 && (c === 0x4a || c === 0x49)) jp = true; // ESC ( J, ESC ( I
  }
  return kr ? 'x-iso-2022-kr' : jp ? 'iso-2022-jp' : null;
}

/** Counts of well-formed multi-byte UTF-8 sequences and of invalid bytes. */
function utf8Stats(bytes: Uint8Array): { multi: number; invalid: number } {
  let multi = 0;
  let invalid = 0;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let ok = len > 0 && i + len <= bytes.length;
    for (let k = 1; ok && k < len; k++) ok = (bytes[i + k]! & 0xc0) === 0x80;
    if (ok) {
      multi++;
      i += len;
    } else {
      invalid++;
      i++;
    }
  }
  return { multi, invalid };
}

/** jschardet's name → a WHATWG label, or one of our own decoders ('x-…'). */
function labelFor(detected: string): string | null {
  const n = detected.toLowerCase().replace(/[^a-z0-9]/g, '');
  const direct: Record<string, string> = {
    ascii: 'utf-8',
    utf8: 'utf-8',
    utf8sig: 'utf-8',
    utf16le: 'utf-16le',
    utf16be: 'utf-16be',
    utf32le: 'x-utf-32le',
    utf32be: 'x-utf-32be',
    shiftjis: 'shift_jis',
    shiftjis2004: 'shift_jis',
    cp932: 'shift_jis',
    sjis: 'shift_jis',
    eucjp: 'euc-jp',
    eucjis2004: 'euc-jp',
    euckr: 'euc-kr',
    cp949: 'euc-kr',
    uhc: 'euc-kr',
    gb2312: 'gb18030',
    gbk: 'gb18030',
    cp936: 'gb18030',
    gb18030: 'gb18030',
    euctw: 'big5',
    big5: 'big5',
    big5hkscs: 'big5',
    cp950: 'big5',
    iso2022jp: 'iso-2022-jp',
    iso2022jp2: 'iso-2022-jp',
    iso2022kr: 'x-iso-2022-kr',
    johab: 'x-johab',
    ibm855: 'x-ibm855',
    cp855: 'x-ibm855',
    ibm866: 'ibm866',
    cp866: 'ibm866',
    koi8r: 'koi8-r',
    koi8u: 'koi8-u',
    maccyrillic: 'x-mac-cyrillic',
    macroman: 'macintosh',
    tis620: 'windows-874',
    cp874: 'windows-874',
    windows874: 'windows-874',
    iso885911: 'windows-874',
  };
  if (direct[n]) return direct[n];
  let m = /^(?:windows|cp)(125[0-8])$/.exec(n);
  if (m) return `windows-${m[1]}`;
  m = /^iso8859(\d{1,2})$/.exec(n);
  if (m) return `iso-8859-${m[1]}`;
  return null;
}

function decodeLabel(label: string, bytes: Uint8Array): DecodedText {
  switch (label) {
    case 'x-utf-32le':
      return { text: normaliseText(decodeUtf32(bytes, true)), encoding: 'utf-32le' };
    case 'x-utf-32be':
      return { text: normaliseText(decodeUtf32(bytes, false)), encoding: 'utf-32be' };
    case 'x-iso-2022-kr':
      return { text: normaliseText(decodeIso2022Kr(bytes)), encoding: 'iso-2022-kr' };
    case 'x-johab':
      return { text: normaliseText(decodeJohab(bytes)), encoding: 'johab' };
    case 'x-ibm855':
      return { text: normaliseText(decodeIbm855(bytes)), encoding: 'ibm855' };
  }
  try {
    return decodeWith(label, bytes);
  } catch {
    // A label this runtime's TextDecoder lacks (e.g. iso-8859-16 in Node): the Latin superset.
    return decodeWith('windows-1252', bytes);
  }
}

/**
 * Decodes a text file's bytes; never throws (an undecidable file falls back to windows-1252).
 * Async only because the detector (~700 kB gzipped of language statistics) is loaded on first
 * need: UTF-8 and UTF-16 files, nearly all of them, never fetch it.
 */
export async function decodeText(bytes: Uint8Array): Promise<DecodedText> {
  if (has(bytes, [0xef, 0xbb, 0xbf])) return decodeWith('utf-8', bytes.subarray(3));
  if (has(bytes, [0xff, 0xfe, 0x00, 0x00])) return decodeLabel('x-utf-32le', bytes.subarray(4));
  if (has(bytes, [0x00, 0x00, 0xfe, 0xff])) return decodeLabel('x-utf-32be', bytes.subarray(4));
  if (has(bytes, [0xff, 0xfe])) return decodeWith('utf-16le', bytes);
  if (has(bytes, [0xfe, 0xff])) return decodeWith('utf-16be', bytes);

  const u32 = utf32WithoutBom(bytes);
  if (u32) return decodeLabel(`x-${u32}`, bytes);
  if (looksLikeUtf16(bytes)) {
    // ASCII in UTF-16BE is 00 xx: NULs at even offsets.
    let evenNul = 0;
    for (let i = 0; i < Math.min(bytes.length, 4096); i += 2) if (bytes[i] === 0) evenNul++;
    return decodeWith(evenNul > Math.min(bytes.length, 4096) / 8 ? 'utf-16be' : 'utf-16le', bytes);
  }

  // ISO-2022 is 7-bit, so it would pass as UTF-8: recognise its escape sequences first.
  const iso2022 = iso2022Kind(bytes);
  if (iso2022) return decodeLabel(iso2022, bytes);

  try {
    // stream: true forgives a sequence cut off at the very end (a truncated download).
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return { text: normaliseText(text), encoding: 'utf-8' };
  } catch {
    // not UTF-8: detect below
  }

  const sample = bytes.subarray(0, DETECT_BYTES);
  const stats = utf8Stats(sample);
  if (stats.multi >= 8 && stats.invalid * 10 <= stats.multi) return decodeWith('utf-8', bytes);

  const { default: jschardet } = await import('jschardet');
  const found = jschardet.detect(sample);
  const label = found.encoding ? labelFor(found.encoding) : null;
  return decodeLabel(label ?? 'windows-1252', bytes);
}
