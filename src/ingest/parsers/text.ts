/**
 * Plain text (.txt, .log, and any text-looking file with an unknown extension): decoded from
 * whatever encoding it was saved in (see encoding.ts), paragraphs separated by blank lines become
 * blocks, indentation inside a paragraph is kept.
 */

import { decodeText } from '../encoding';
import type { ParsedDocument, ParseOptions, Parser } from '../types';
import { TextBuilder } from './blocks';

export function textToBuilder(text: string, out = new TextBuilder()): TextBuilder {
  for (const para of text.split(/\n[ \t\f\v]*\n/)) out.block(para, true);
  return out;
}

export const textParser: Parser = {
  format: 'text',
  async parse(bytes: Uint8Array, _opts: ParseOptions): Promise<ParsedDocument> {
    const { text, encoding } = await decodeText(bytes);
    return textToBuilder(text).build('text', { encoding });
  },
};
