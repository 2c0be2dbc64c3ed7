/**
 * Model answers as HTML: Markdown rendered with `marked`, citation markers turned into buttons,
 * then sanitised with DOMPurify against a short allow-list. Nothing a model writes (or copies from
 * a document) can run, style the page, or make the browser fetch anything: no scripts, no event
 * handlers, no images, media, frames, forms or styles; links only to http(s), opened in a new tab
 * without access to this page.
 */

import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { parseCitations } from '../../generate/citations';

/** Tags an answer may use. Anything else is removed (its text kept). */
const ALLOWED_TAGS = [
  'p', 'br', 'strong', 'b', 'em', 'i', 'del', 'code', 'pre', 'blockquote', 'hr',
  'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'button',
]; // prettier-ignore
const ALLOWED_ATTR = ['href', 'title', 'class', 'data-cite', 'data-unknown'];

const purifier = typeof window === 'undefined' ? null : DOMPurify(window);
purifier?.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    const href = node.getAttribute('href') ?? '';
    if (!/^https?:\/\//i.test(href)) node.removeAttribute('href');
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
  if (node.tagName === 'BUTTON') node.setAttribute('type', 'button');
});

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The answer as safe HTML. `passageCount` is how many passages the prompt numbered: a marker for a
 * passage that was not there is shown struck through (data-unknown), never hidden.
 */
export function renderAnswer(text: string, passageCount: number): string {
  if (!purifier) return escapeHtml(text);
  const withCites = parseCitations(text, passageCount)
    .map((p) =>
      p.kind === 'text'
        ? p.text
        : `<button class="cite" data-cite="${p.passages[0]}"${p.unknown.length > 0 ? ' data-unknown="true"' : ''} title="${
            p.unknown.length > 0 ? `No passage ${p.unknown.join(', ')} was given to the model` : `Show passage ${p.passages.join(', ')}`
          }">${escapeHtml(p.raw)}</button>`,
    )
    .join('');
  const html = marked.parse(withCites, { async: false, gfm: true, breaks: true });
  return purifier.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOW_DATA_ATTR: false });
}
