import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../src/ingest/encoding';

const enc = (s: string, encoding: string): Uint8Array => new Uint8Array(iconv.encode(s, encoding));

describe('decodeText', () => {
  it('reads UTF-8 with and without a BOM', async () => {
    const s = 'Grüße aus Köln – 東京';
    expect(await decodeText(new TextEncoder().encode(s))).toEqual({ text: s, encoding: 'utf-8' });
    expect(await decodeText(Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(s)]))).toEqual({ text: s, encoding: 'utf-8' });
  });

  it('reads UTF-16LE and UTF-16BE with a BOM', async () => {
    const s = 'Hello, wörld – ünïcödé 日本';
    expect(await decodeText(Uint8Array.from([0xff, 0xfe, ...enc(s, 'utf-16le')]))).toEqual({ text: s, encoding: 'utf-16le' });
    expect(await decodeText(Uint8Array.from([0xfe, 0xff, ...enc(s, 'utf-16be')]))).toEqual({ text: s, encoding: 'utf-16be' });
  });

  it('recognises UTF-16 without a BOM by its NUL bytes', async () => {
    const s = 'Plain English text saved as UTF-16 without a byte order mark.\nSecond line.';
    expect(await decodeText(enc(s, 'utf-16le'))).toEqual({ text: s, encoding: 'utf-16le' });
    expect(await decodeText(enc(s, 'utf-16be'))).toEqual({ text: s, encoding: 'utf-16be' });
  });

  it('reads UTF-32 with a BOM', async () => {
    const s = 'UTF-32 text 😀';
    const cps = [0xfeff, ...Array.from(s, (c) => c.codePointAt(0)!)];
    const le = new Uint8Array(cps.length * 4);
    cps.forEach((cp, i) => new DataView(le.buffer).setUint32(i * 4, cp, true));
    expect(await decodeText(le)).toEqual({ text: s, encoding: 'utf-32le' });
  });

  it('reads windows-1252, including the 0x80–0x9F punctuation (€, dashes, curly quotes)', async () => {
    const s = 'café – naïve ‘quotes’ and “double quotes” cost 5 € … déjà vu™';
    expect(await decodeText(enc(s, 'windows-1252'))).toEqual({ text: s, encoding: 'windows-1252' });
  });

  it('detects Shift_JIS, KOI8-R and GB18030', async () => {
    const ja = '日本語のテキストです。東京は日本の首都で、人口が多い都市です。';
    const ru = 'Москва - столица России, крупнейший город страны и важный культурный центр.';
    const zh = '北京是中华人民共和国的首都，也是全国的政治和文化中心。';
    expect(await decodeText(enc(ja, 'shift_jis'))).toEqual({ text: ja, encoding: 'shift_jis' });
    expect(await decodeText(enc(ru, 'koi8-r'))).toEqual({ text: ru, encoding: 'koi8-r' });
    expect(await decodeText(enc(zh, 'gb18030'))).toEqual({ text: zh, encoding: 'gb18030' });
  });

  it('recognises 7-bit ISO-2022-JP by its escape sequences (it would otherwise pass as ASCII)', async () => {
    const ja = 'こんにちは、世界。日本語のメールです。';
    // ISO-2022-JP is JIS X 0208 (EUC-JP minus the high bit) between ESC $ B and ESC ( B.
    const jis = Array.from(enc(ja, 'euc-jp'), (b) => b & 0x7f);
    const bytes = Uint8Array.from([0x1b, 0x24, 0x42, ...jis, 0x1b, 0x28, 0x42, 0x0a]);
    expect(await decodeText(bytes)).toEqual({ text: `${ja}\n`, encoding: 'iso-2022-jp' });
  });

  it('keeps almost-UTF-8 as UTF-8 (one stray byte) and forgives a sequence cut off at the end', async () => {
    const s = 'Ünïcödé text with many accents: é è ê ë à â ä ô ö û ü ç ñ';
    const head = new TextEncoder().encode('Ünïcödé ');
    const stray = Uint8Array.from([...head, 0xff, ...new TextEncoder().encode(s.slice('Ünïcödé '.length))]);
    const r = await decodeText(stray);
    expect(r.encoding).toBe('utf-8');
    expect(r.text).toContain('ç ñ');
    const cut = await decodeText(new TextEncoder().encode('abc é').subarray(0, 5));
    expect(cut).toEqual({ text: 'abc ', encoding: 'utf-8' });
  });

  it('normalises line ends and strips NULs', async () => {
    expect((await decodeText(new TextEncoder().encode('a\r\nb\rc\nd\0e'))).text).toBe('a\nb\nc\nde');
  });
});
