/**
 * JSON (and JSON Lines): flattened to "path.to.key: value" lines a search can match, with each
 * object of an array of objects as its own block (one record per block, like CSV rows). Top-level
 * records drop the "[i]" prefix, so an export of records reads "name: …" rather than "[0].name: …".
 * Invalid JSON is a CorruptFile with the parser's own message.
 */

import { AppError, errorText } from '../../core/errors';
import { decodeText } from '../encoding';
import type { ParsedDocument, ParseOptions, Parser } from '../types';
import { TextBuilder } from './blocks';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: Json): v is Json[] | { [k: string]: Json } {
  return v !== null && typeof v === 'object';
}

function scalar(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function jsonToBlocks(root: Json, out: TextBuilder): void {
  let cur: string[] = [];
  const close = (): void => {
    out.block(cur.join('\n'));
    cur = [];
  };
  const walk = (v: Json, path: string): void => {
    if (!isObject(v)) {
      cur.push(`${path || 'value'}: ${scalar(v)}`);
      return;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return;
      if (v.every(isObject)) {
        close();
        v.forEach((el, i) => {
          walk(el, path ? `${path}[${i}]` : '');
          close();
        });
        return;
      }
      if (v.every((x) => !isObject(x))) {
        cur.push(`${path || 'values'}: ${v.map(scalar).join(', ')}`);
        return;
      }
      v.forEach((el, i) => walk(el, `${path}[${i}]`));
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(root, '');
  close();
}

/** JSON, or JSON Lines (one value per line) when the whole is not one value. */
function parseJson(text: string, name: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > 1) {
      try {
        return lines.map((l) => JSON.parse(l) as Json);
      } catch {
        // neither JSON nor JSON Lines: report the whole-file error below
      }
    }
    throw new AppError(
      'CorruptFile',
      `“${name}” is not valid JSON (${errorText(e)}). Check that the file was saved completely, or rename it to .txt to add it as plain text.`,
      { file: name },
      errorText(e),
    );
  }
}

export const jsonParser: Parser = {
  format: 'json',
  async parse(bytes: Uint8Array, opts: ParseOptions): Promise<ParsedDocument> {
    const { text, encoding } = await decodeText(bytes);
    const out = new TextBuilder();
    if (text.trim() !== '') jsonToBlocks(parseJson(text, opts.name), out);
    return out.build('json', { encoding });
  },
};
