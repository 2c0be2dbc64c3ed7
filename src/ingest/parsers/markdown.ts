/**
 * Markdown notes: ATX and Setext headings as headings, the rest as readable plain text.
 *
 * marked's lexer gives the block and inline structure; we keep the words a reader sees (link text,
 * image alt text, code) and drop the markup (emphasis marks, link targets, HTML tags). Lists stay
 * one block with an item per line, tables become "column: value" lines per row (like CSV rows),
 * and YAML front matter is kept as a block of its own (its `title:` becomes the document title).
 */

import { marked, type Token, type Tokens } from 'marked';
import { decodeText } from '../encoding';
import type { ParsedDocument, ParseOptions, Parser } from '../types';
import { TextBuilder } from './blocks';

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  deg: '°',
  middot: '·',
  bull: '•',
  times: '×',
  divide: '÷',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  para: '¶',
  shy: '',
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : m;
    }
    return NAMED_ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Text of raw HTML: scripts and styles with their content removed, other tags dropped. */
function stripHtml(html: string): string {
  return html
    .replace(/<(script|style|template|noscript)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?(p|div|li|tr|h[1-6]|ul|ol|table|blockquote|section|article)\b[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, '');
}

function inline(tokens: Token[] | undefined, fallback = ''): string {
  if (!tokens) return fallback;
  let out = '';
  for (const t of tokens) {
    switch (t.type) {
      case 'br':
        out += '\n';
        break;
      case 'html':
        out += stripHtml((t as Tokens.HTML).text);
        break;
      case 'codespan':
      case 'escape':
        out += (t as Tokens.Codespan).text;
        break;
      case 'image':
        out += (t as Tokens.Image).text;
        break;
      default: {
        const withChildren = t as { tokens?: Token[]; text?: string };
        out += withChildren.tokens ? inline(withChildren.tokens) : (withChildren.text ?? '');
      }
    }
  }
  return out;
}

function text(tokens: Token[] | undefined, fallback = ''): string {
  return decodeEntities(inline(tokens, fallback));
}

/** A list as lines "- item" (nested lists indented), one block. */
function listLines(list: Tokens.List, depth: number, lines: string[]): void {
  list.items.forEach((item, i) => {
    const marker = list.ordered ? `${(Number(list.start) || 1) + i}.` : '-';
    const own: string[] = [];
    for (const t of item.tokens) {
      if (t.type === 'list') continue;
      if (t.type === 'code') own.push((t as Tokens.Code).text);
      else own.push(text((t as { tokens?: Token[] }).tokens, (t as { text?: string }).text ?? ''));
    }
    const body = own
      .join(' ')
      .replace(/\s*\n\s*/g, ' ')
      .trim();
    const check = item.task ? (item.checked ? '[x] ' : '[ ] ') : '';
    lines.push(`${'  '.repeat(depth)}${marker} ${check}${body}`);
    for (const t of item.tokens) if (t.type === 'list') listLines(t as Tokens.List, depth + 1, lines);
  });
}

function emit(tokens: Token[], out: TextBuilder): void {
  for (const t of tokens) {
    switch (t.type) {
      case 'heading':
        out.heading((t as Tokens.Heading).depth, text((t as Tokens.Heading).tokens));
        break;
      case 'paragraph':
      case 'text':
        out.block(text((t as Tokens.Paragraph).tokens, (t as Tokens.Text).text));
        break;
      case 'code':
        out.block((t as Tokens.Code).text, true);
        break;
      case 'blockquote':
        emit((t as Tokens.Blockquote).tokens, out);
        break;
      case 'list': {
        const lines: string[] = [];
        listLines(t as Tokens.List, 0, lines);
        out.block(lines.join('\n'), true); // keeps the nesting indent
        break;
      }
      case 'table': {
        const table = t as Tokens.Table;
        const names = table.header.map((h, i) => text(h.tokens, h.text).trim() || `Column ${i + 1}`);
        for (const row of table.rows) {
          out.block(
            row
              .map((c, i) => {
                const v = text(c.tokens, c.text).trim();
                return v ? `${names[i] ?? `Column ${i + 1}`}: ${v}` : '';
              })
              .filter(Boolean)
              .join('\n'),
          );
        }
        break;
      }
      case 'html':
        out.block(decodeEntities(stripHtml((t as Tokens.HTML).text)));
        break;
      default:
        // space, hr, def (link reference definitions): nothing a reader sees as text.
        break;
    }
  }
}

/** YAML front matter at the very top ("---" … "---"), if any. */
function splitFrontMatter(src: string): { front: string | null; body: string } {
  const m = /^---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(src);
  if (!m) return { front: null, body: src };
  return { front: m[1]!, body: src.slice(m[0].length) };
}

export const markdownParser: Parser = {
  format: 'markdown',
  async parse(bytes: Uint8Array, _opts: ParseOptions): Promise<ParsedDocument> {
    const { text: src, encoding } = await decodeText(bytes);
    const { front, body } = splitFrontMatter(src);
    const out = new TextBuilder();
    let title: string | undefined;
    if (front !== null) {
      out.block(front);
      const t = /^title:\s*["']?(.+?)["']?\s*$/m.exec(front);
      if (t) title = t[1];
    }
    emit(marked.lexer(body, { gfm: true }), out);
    title ??= out.headings.find((h) => h.level === 1)?.text;
    return out.build('markdown', { encoding, ...(title ? { title } : {}) });
  },
};
