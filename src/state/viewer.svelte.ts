/**
 * The source viewer: a passage shown on its page, from the kept original (a PDF drawn by pdf.js,
 * or a dropped image), with the passage highlighted (ui/viewer/PageViewer.svelte draws it). Opened
 * from a citation in Ask, a hit in Search, a passage in Evaluate; offline like everything else.
 */

import { AppError, serializeError, type SerializedError } from '../core/errors';
import type { OriginalFile } from '../library/protocol';
import type { LibraryState } from './library.svelte';

/** What the viewer needs of a passage: whose, its text, and the pages it covers (PDFs). */
export interface ShownPassage {
  docId: string;
  docName: string;
  text: string;
  pages?: number[] | undefined;
}

export class SourceViewer {
  shown = $state.raw<{ passage: ShownPassage; original: OriginalFile } | null>(null);
  /** The page on screen (1-based). */
  page = $state(1);
  /** Pages of the document (1 for an image; set once the PDF is open). */
  pageCount = $state(1);
  loading = $state(false);
  error = $state.raw<SerializedError | null>(null);

  constructor(private readonly library: LibraryState) {}

  /** Whether a passage of this format can be shown on its page here (others open as the original file). */
  static shows(format: string): boolean {
    return format === 'pdf' || format === 'image';
  }

  async show(passage: ShownPassage): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const original = await (await this.library.ready()).original(passage.docId);
      if (!original)
        throw new AppError('InvalidRequest', `The original of “${passage.docName}” was not kept (or the document was deleted).`);
      if (!SourceViewer.shows(original.format)) {
        throw new AppError('InvalidRequest', `“${passage.docName}” is not a PDF or an image: open the original to see it.`);
      }
      this.page = passage.pages?.[0] ?? 1;
      this.pageCount = original.format === 'pdf' ? Math.max(this.page, passage.pages?.at(-1) ?? 1) : 1;
      this.shown = { passage, original };
    } catch (e) {
      this.error = serializeError(e);
    } finally {
      this.loading = false;
    }
  }

  /** Whether the page on screen holds part of the passage. */
  get onPassage(): boolean {
    const pages = this.shown?.passage.pages;
    return pages ? pages.includes(this.page) : true;
  }

  next(): void {
    if (this.page < this.pageCount) this.page++;
  }

  previous(): void {
    if (this.page > 1) this.page--;
  }

  close(): void {
    this.shown = null;
    this.error = null;
  }
}
