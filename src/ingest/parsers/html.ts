/**
 * HTML pages (including pages saved from a browser): the main content, with its headings.
 *
 * linkedom builds the DOM (it never runs scripts, loads resources or fires events), and every
 * script, style, template and embedded frame is removed before anything else reads the document.
 * Mozilla's Readability then picks the main content, dropping navigation and footers; when it finds
 * nothing or much less than the page holds (an index page, a table of data), the whole body is used.
 */

import { Readability } from '@mozilla/readability';
import { decodeText } from '../encoding';
import type { ParsedDocument, ParseOptions, Parser } from '../types';
import { TextBuilder } from './blocks';
import { domToBlocks, type DomNode, type HtmlDocument, parseHtml, textOf } from './dom';

/** Removed from the DOM before Readability or our walker sees it. */
const REMOVE_SELECTOR = 'script, style, noscript, template, iframe, object, embed, frame, frameset';

/** Readability's result is used when it keeps at least this share of the body's text... */
const MIN_SHARE = 0.5;
/** ...or at least this many characters (a long article on a page with heavy navigation). */
const MIN_CHARS = 1500;

const LEVEL_ATTR = 'data-ragscope-level';

function originalLevel(node: DomNode, level: number): number {
  return Number(node.getAttribute?.(LEVEL_ATTR)) || level;
}

function loadDocument(html: string): HtmlDocument {
  // A fragment (no <html>), or markup so broken that no root element comes out, gets a body this way.
  const wrap = (s: string): string => `<!doctype html><html><head></head><body>${s}</body></html>`;
  let document = parseHtml(/<html[\s>]/i.test(html) ? html : wrap(html));
  if (!document.documentElement) document = parseHtml(wrap(html));
  for (const el of Array.from(document.querySelectorAll(REMOVE_SELECTOR))) el.remove();
  return document;
}

/** Readability takes a DOM Document; linkedom's serves (its types come from the DOM library). */
type ReadabilityInput = ConstructorParameters<typeof Readability>[0];

function visibleLength(node: DomNode | null): number {
  return node ? textOf(node).replace(/\s+/g, ' ').trim().length : 0;
}

/** Parses an HTML string (also used for mammoth's HTML output and EPUB chapters in HTML mode). */
export function htmlToDocument(html: string, useReadability: boolean): { builder: TextBuilder; title?: string } {
  const document = loadDocument(html);
  const title = document.title?.replace(/\s+/g, ' ').trim() || undefined;
  const body: DomNode | null = document.body ?? document.documentElement;
  const builder = new TextBuilder();
  if (!body) return { builder, ...(title ? { title } : {}) };

  if (useReadability) {
    const bodyChars = visibleLength(body);
    let article: ReturnType<Readability<DomNode>['parse']>;
    try {
      // Readability rewrites the DOM it is given: hand it its own copy.
      const copy = loadDocument(html);
      // Readability renames <h1> to <h2>: remember each heading's own level on the element.
      for (const el of Array.from(copy.querySelectorAll('h1, h2, h3, h4, h5, h6'))) el.setAttribute(LEVEL_ATTR, el.tagName.slice(1));
      article = new Readability<DomNode>(copy as unknown as ReadabilityInput, { serializer: (n) => n as unknown as DomNode }).parse();
    } catch {
      // Readability gives up on some odd markup; the whole body is the right fallback then.
      article = null;
    }
    const content = article?.content ?? null;
    const chars = visibleLength(content);
    if (content && chars > 0 && (chars >= MIN_CHARS || chars >= bodyChars * MIN_SHARE)) {
      const articleTitle = article?.title?.replace(/\s+/g, ' ').trim() || title;
      const inner = new TextBuilder();
      domToBlocks(content, inner, originalLevel);
      // It also drops the page's own headline when it repeats the title: put the title back on top.
      if (articleTitle && !inner.headings.some((h) => h.text === articleTitle) && !inner.text.startsWith(articleTitle)) {
        builder.heading(1, articleTitle);
      }
      domToBlocks(content, builder, originalLevel);
      return { builder, ...(articleTitle ? { title: articleTitle } : {}) };
    }
  }
  domToBlocks(body, builder);
  return { builder, ...(title ? { title } : {}) };
}

export const htmlParser: Parser = {
  format: 'html',
  async parse(bytes: Uint8Array, _opts: ParseOptions): Promise<ParsedDocument> {
    const { text, encoding } = await decodeText(bytes);
    const { builder, title } = htmlToDocument(text, true);
    return builder.build('html', { encoding, ...(title ? { title } : {}) });
  },
};
