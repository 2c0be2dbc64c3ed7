/**
 * Word documents (.docx, .docm, .dotx): mammoth turns the document into semantic HTML (Word's
 * "Heading N" styles become <hN>, lists, tables, footnotes), which the shared DOM walker turns into
 * blocks and headings. Images are never decoded (their bytes are of no use to text search). The
 * title comes from the document properties (docProps/core.xml) when the author set one.
 */

import JSZip from 'jszip';
import mammoth from 'mammoth';
import { AppError, errorText } from '../../core/errors';
import { isMalformedFileError } from '../registry';
import type { ParsedDocument, ParseOptions, Parser } from '../types';
import { decodeEntities } from './markdown';
import { htmlToDocument } from './html';
import { TextBuilder } from './blocks';

/** Word's title styles are paragraphs, not headings, by default: make them level-1 headings. */
const STYLE_MAP = ["p[style-name='Title'] => h1:fresh", "p[style-name='Subtitle'] => h2:fresh"];

function corrupt(name: string, e: unknown): AppError {
  return new AppError(
    'CorruptFile',
    `“${name}” could not be read as a Word document: it looks damaged or incomplete. Open it in Word or LibreOffice and save it again as .docx.`,
    { file: name },
    errorText(e),
  );
}

async function coreTitle(zip: JSZip): Promise<string | undefined> {
  const core = await zip.file('docProps/core.xml')?.async('string');
  const m = core && /<dc:title>([\s\S]*?)<\/dc:title>/.exec(core);
  const title = m ? decodeEntities(m[1]!).replace(/\s+/g, ' ').trim() : '';
  return title || undefined;
}

/** Paragraphs and "Heading N" styles straight from word/document.xml, for when mammoth fails. */
async function directText(zip: JSZip): Promise<TextBuilder> {
  const xml = (await zip.file('word/document.xml')?.async('string')) ?? '';
  const out = new TextBuilder();
  for (const p of xml.match(/<w:p[\s>][\s\S]*?<\/w:p>/g) ?? []) {
    const text = decodeEntities(
      (p.match(/<w:t(?:\s[^>]*)?>[^<]*<\/w:t>|<w:tab\/>|<w:br\/>/g) ?? [])
        .map((t) => (t === '<w:tab/>' ? '\t' : t === '<w:br/>' ? '\n' : t.replace(/<[^>]+>/g, '')))
        .join(''),
    );
    const style = /<w:pStyle w:val="(?:[Hh]eading ?)([1-6])"/.exec(p);
    if (style) out.heading(Number(style[1]), text);
    else out.block(text);
  }
  return out;
}

export const docxParser: Parser = {
  format: 'docx',
  async parse(bytes: Uint8Array, opts: ParseOptions): Promise<ParsedDocument> {
    let zip: JSZip;
    try {
      zip = await JSZip.loadAsync(bytes);
    } catch (e) {
      throw corrupt(opts.name, e);
    }
    if (!zip.file('word/document.xml')) throw corrupt(opts.name, new Error('no word/document.xml inside'));
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    // mammoth's Node build reads `buffer`, its browser build `arrayBuffer`: give both.
    const input = { arrayBuffer: ab, buffer: bytes } as unknown as { arrayBuffer: ArrayBuffer };
    let builder: TextBuilder;
    const warnings: string[] = [];
    try {
      const result = await mammoth.convertToHtml(input, {
        styleMap: STYLE_MAP,
        convertImage: mammoth.images.imgElement(async () => ({ src: '' })),
      });
      builder = htmlToDocument(result.value, false).builder;
    } catch (e) {
      // mammoth gives up on a damaged part (XML that does not parse, a broken content-types list).
      // The words usually still sit in word/document.xml: read them directly, structure and all.
      let fallbackError: unknown;
      const fallback = await directText(zip).catch((fe: unknown) => {
        fallbackError = fe;
        return null;
      });
      if (fallback) {
        builder = fallback;
        warnings.push('Parts of this document are damaged; its text was read directly, so some formatting (lists, tables) may be lost.');
      } else if (isMalformedFileError(e) || isMalformedFileError(fallbackError)) throw corrupt(opts.name, e);
      else throw e;
    }
    const title = (await coreTitle(zip).catch(() => undefined)) ?? builder.headings.find((h) => h.level === 1)?.text;
    return builder.build('docx', { warnings, ...(title ? { title } : {}) });
  },
};
