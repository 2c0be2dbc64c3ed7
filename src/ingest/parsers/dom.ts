/**
 * DOM → blocks, shared by the HTML, DOCX (mammoth's HTML) and EPUB (XHTML) parsers.
 *
 * Works on linkedom's DOM (no browser DOM in a worker or in Node), in HTML and XML mode alike, so
 * it touches only the basic node API. Block elements end a block, h1–h6 become headings, tables
 * with a header row become "column: value" lines per row (like CSV rows), and anything that is not
 * visible prose (scripts, styles, forms' internals, embedded objects) is skipped.
 */

import { parseHTML } from 'linkedom/worker';
import { TextBuilder } from './blocks';

/** The part of a DOM node this module reads (linkedom's nodes satisfy it). */
export interface DomNode {
  nodeType: number;
  nodeName: string;
  localName?: string | null;
  nodeValue: string | null;
  childNodes: ArrayLike<DomNode>;
  getAttribute?(name: string): string | null;
}

/** The element methods the HTML parser calls besides reading. */
export interface DomElement extends DomNode {
  tagName: string;
  remove(): void;
  setAttribute(name: string, value: string): void;
}

/** The part of linkedom's HTML document the parsers use. */
export interface HtmlDocument extends DomNode {
  title: string;
  documentElement: DomElement | null;
  body: DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement>;
}

/**
 * linkedom's HTML document. Its types call parseHTML's result the DOM library's Window, which
 * workers and Node do not have (this code compiles without it): this names what comes back.
 */
export function parseHtml(html: string): HtmlDocument {
  return (parseHTML(html) as unknown as { document: HtmlDocument }).document;
}

const TEXT_NODE = 3;
const CDATA_NODE = 4;
const ELEMENT_NODE = 1;

/** Never text for the reader; removed before anything else looks at the document. */
export const SKIPPED_TAGS = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
  'canvas',
  'head',
  'title',
  'meta',
  'link',
  'select',
  'button',
  'input',
  'textarea',
  'audio',
  'video',
  'map',
]);

const BLOCK_TAGS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'caption',
  'center',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'header',
  'hgroup',
  'hr',
  'html',
  'legend',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'section',
  'summary',
  'ul',
  'tbody',
  'thead',
  'tfoot',
]);

export function tagOf(node: DomNode): string {
  const name = (node.localName || node.nodeName || '').toLowerCase();
  const colon = name.indexOf(':');
  return colon >= 0 ? name.slice(colon + 1) : name;
}

function children(node: DomNode): DomNode[] {
  return Array.from(node.childNodes);
}

/** Visible text of a subtree (skipped tags left out, <br> as a newline). */
export function textOf(node: DomNode): string {
  if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_NODE) return node.nodeValue ?? '';
  if (node.nodeType !== ELEMENT_NODE && node.nodeType !== 9 && node.nodeType !== 11) return '';
  const tag = tagOf(node);
  if (SKIPPED_TAGS.has(tag)) return '';
  if (tag === 'br') return '\n';
  let out = '';
  for (const c of children(node)) out += textOf(c);
  return BLOCK_TAGS.has(tag) || tag === 'tr' ? `${out}\n` : out;
}

function inlineText(node: DomNode): string {
  return textOf(node).replace(/\s+/g, ' ').trim();
}

/** Rows of a table, not descending into nested tables. */
function tableRows(table: DomNode): DomNode[] {
  const rows: DomNode[] = [];
  const visit = (n: DomNode): void => {
    for (const c of children(n)) {
      if (c.nodeType !== ELEMENT_NODE) continue;
      const t = tagOf(c);
      if (t === 'tr') rows.push(c);
      else if (t !== 'table') visit(c);
    }
  };
  visit(table);
  return rows;
}

function cells(row: DomNode): Array<{ text: string; header: boolean }> {
  return children(row)
    .filter((c) => c.nodeType === ELEMENT_NODE && (tagOf(c) === 'td' || tagOf(c) === 'th'))
    .map((c) => ({ text: inlineText(c), header: tagOf(c) === 'th' }));
}

function emitTable(table: DomNode, out: TextBuilder): void {
  const rows = tableRows(table).map(cells);
  if (rows.length === 0) return;
  const first = rows[0]!;
  const hasHeader = rows.length > 1 && first.length > 1 && first.every((c) => c.header || c.text.length > 0) && first.some((c) => c.header);
  if (!hasHeader) {
    for (const r of rows)
      out.block(
        r
          .map((c) => c.text)
          .filter(Boolean)
          .join(' | '),
      );
    return;
  }
  const names = first.map((c, i) => c.text || `Column ${i + 1}`);
  for (const r of rows.slice(1)) {
    out.block(
      r
        .map((c, i) => (c.text ? `${names[i] ?? `Column ${i + 1}`}: ${c.text}` : ''))
        .filter(Boolean)
        .join('\n'),
    );
  }
}

/**
 * Walks `root` and appends its blocks and headings to `out`. `headingLevel` may correct a
 * heading's level (e.g. where Readability renamed <h1> to <h2>).
 */
export function domToBlocks(root: DomNode, out: TextBuilder, headingLevel?: (node: DomNode, level: number) => number): void {
  let buf = '';
  const flush = (): void => {
    if (buf.trim()) out.block(buf);
    buf = '';
  };
  const walk = (node: DomNode): void => {
    if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_NODE) {
      // Source newlines inside prose are just spaces; <br> adds real ones below.
      buf += (node.nodeValue ?? '').replace(/\s+/g, ' ');
      return;
    }
    if (node.nodeType !== ELEMENT_NODE && node.nodeType !== 9 && node.nodeType !== 11) return;
    const tag = tagOf(node);
    if (SKIPPED_TAGS.has(tag)) return;
    const h = /^h([1-6])$/.exec(tag);
    if (h) {
      flush();
      const level = Number(h[1]);
      out.heading(headingLevel ? headingLevel(node, level) : level, inlineText(node));
      return;
    }
    if (tag === 'br') {
      buf += '\n';
      return;
    }
    if (tag === 'pre') {
      flush();
      out.block(textOf(node), true);
      return;
    }
    if (tag === 'table') {
      flush();
      emitTable(node, out);
      return;
    }
    if (tag === 'tr') {
      flush();
      out.block(
        cells(node)
          .map((c) => c.text)
          .filter(Boolean)
          .join(' | '),
      );
      return;
    }
    const block = BLOCK_TAGS.has(tag);
    if (block) flush();
    for (const c of children(node)) walk(c);
    if (block) flush();
    else if (tag === 'td' || tag === 'th') buf += ' ';
  };
  walk(root);
  flush();
}
