/**
 * EPUB 2/3 books: META-INF/container.xml names the package (OPF) file, whose spine gives the
 * reading order of the XHTML chapters; each chapter goes through the shared DOM walker, so the
 * book's own headings become headings. Title from dc:title. Chapters are not pages (no spans).
 */

import JSZip from 'jszip';
import { DOMParser } from 'linkedom/worker';
import { AppError, errorText, throwIfCancelled } from '../../core/errors';
import { isMalformedFileError } from '../registry';
import type { ParsedDocument, ParseOptions, Parser } from '../types';
import { TextBuilder } from './blocks';
import { domToBlocks, type DomNode, parseHtml, tagOf } from './dom';

const CHAPTER_TYPES = new Set(['application/xhtml+xml', 'text/html', 'application/x-dtbook+xml']);

function corrupt(name: string, why: string, cause = why): AppError {
  return new AppError(
    'CorruptFile',
    `“${name}” could not be read as an EPUB book: ${why}. The file may be damaged or incomplete; try exporting it again.`,
    { file: name },
    cause,
  );
}

interface XmlElement extends DomNode {
  getAttribute(name: string): string | null;
}

/** Elements below `root` with this local name (namespace prefixes ignored), in document order. */
function elements(root: DomNode, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  const visit = (n: DomNode): void => {
    for (const c of Array.from(n.childNodes)) {
      if (c.nodeType !== 1) continue;
      if (tagOf(c) === local) out.push(c as XmlElement);
      visit(c);
    }
  };
  visit(root);
  return out;
}

function parseXml(xml: string): DomNode {
  return new DOMParser().parseFromString(xml, 'text/xml') as unknown as DomNode;
}

/** Resolves `href` (URL-encoded, relative to the OPF's folder) to a path inside the ZIP. */
function resolvePath(base: string, href: string): string {
  const clean = href.split('#')[0]!;
  let decoded = clean;
  try {
    decoded = decodeURIComponent(clean);
  } catch {
    // a literal '%' in a file name: use it as it is
  }
  const parts = (base ? `${base}/${decoded}` : decoded).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p !== '.' && p !== '') out.push(p);
  }
  return out.join('/');
}

async function readText(zip: JSZip, path: string): Promise<string | undefined> {
  return zip.file(path)?.async('string');
}

export const epubParser: Parser = {
  format: 'epub',
  async parse(bytes: Uint8Array, opts: ParseOptions): Promise<ParsedDocument> {
    let zip: JSZip;
    try {
      zip = await JSZip.loadAsync(bytes);
    } catch (e) {
      throw corrupt(opts.name, 'it is not a complete ZIP archive', errorText(e));
    }
    const container = await readText(zip, 'META-INF/container.xml');
    if (!container) throw corrupt(opts.name, 'META-INF/container.xml is missing');
    const rootfile = elements(parseXml(container), 'rootfile')[0]?.getAttribute('full-path');
    const opfXml = rootfile ? await readText(zip, rootfile) : undefined;
    if (!rootfile || !opfXml) throw corrupt(opts.name, 'the package file named in container.xml is missing');
    const opf = parseXml(opfXml);
    const base = rootfile.includes('/') ? rootfile.slice(0, rootfile.lastIndexOf('/')) : '';

    const manifest = new Map<string, { href: string; type: string }>();
    for (const item of elements(opf, 'item')) {
      const id = item.getAttribute('id');
      const href = item.getAttribute('href');
      if (id && href) manifest.set(id, { href: resolvePath(base, href), type: item.getAttribute('media-type') ?? '' });
    }
    const titleEl = elements(opf, 'title')[0];
    const title = titleEl ? elementText(titleEl) : '';

    const out = new TextBuilder();
    const warnings: string[] = [];
    let missing = 0;
    for (const ref of elements(opf, 'itemref')) {
      throwIfCancelled(opts.signal);
      const item = manifest.get(ref.getAttribute('idref') ?? '');
      if (!item || !CHAPTER_TYPES.has(item.type)) continue;
      let xhtml: string | undefined;
      try {
        xhtml = await readText(zip, item.href);
      } catch (e) {
        // A chapter whose compressed data is damaged: skip it, keep the rest of the book.
        if (!isMalformedFileError(e)) throw e;
      }
      if (xhtml === undefined) {
        missing++;
        continue;
      }
      const doc = parseChapter(xhtml);
      const body = elements(doc, 'body')[0] ?? doc;
      domToBlocks(body, out);
    }
    if (missing > 0 && out.length === 0) throw corrupt(opts.name, 'none of its chapters could be read');
    if (missing > 0) warnings.push(`${missing} chapter${missing === 1 ? ' is' : 's are'} missing or damaged and were skipped.`);
    return out.build('epub', { warnings, ...(title ? { title } : {}) });
  },
};

function elementText(el: DomNode): string {
  let s = '';
  for (const c of Array.from(el.childNodes)) s += c.nodeType === 3 || c.nodeType === 4 ? (c.nodeValue ?? '') : elementText(c);
  return s.replace(/\s+/g, ' ').trim();
}

/** XHTML as XML (self-closing tags are common); HTML mode when it is not well-formed. */
function parseChapter(xhtml: string): DomNode {
  const xml = new DOMParser().parseFromString(xhtml, 'text/xml') as unknown as DomNode;
  if (elements(xml, 'body').length > 0) return xml;
  return parseHtml(xhtml);
}
