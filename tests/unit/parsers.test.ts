/**
 * Per-format parsing, through the registry as the app calls it, on fixtures generated in code
 * (tests/fixtures/docs): what a user would notice — the words, headings, pages, and the named
 * error with a sentence when a file can't be read.
 */

import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors';
import type { Progress } from '../../src/core/progress';
import { parseFile } from '../../src/ingest/registry';
import type { ParsedDocument } from '../../src/ingest/types';
import { makeDocx } from '../fixtures/docs/docx';
import { makeEpub } from '../fixtures/docs/epub';
import { makePdf, threePagePdf } from '../fixtures/docs/pdf-writer';
import { makeZip } from '../fixtures/docs/zip';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected the parse to fail');
}

/** Invariants every parser's output keeps (see ParsedDocument). */
function checkLayout(doc: ParsedDocument): void {
  expect(doc.text).not.toContain('\r');
  expect(doc.text).not.toMatch(/\n\n\n/);
  expect(doc.text).toBe(doc.text.trim());
  for (const h of doc.headings) expect(doc.text.slice(h.start, h.start + h.text.length)).toBe(h.text);
}

describe('PDF', () => {
  it('keeps each page’s text inside its page span, with page numbers, headings from the outline and the title', async () => {
    const progress: Progress[] = [];
    const doc = await parseFile(threePagePdf(), { name: 'notes.pdf', onProgress: (p) => progress.push(p) });
    checkLayout(doc);
    expect(doc.format).toBe('pdf');
    expect(doc.pageCount).toBe(3);
    expect(doc.title).toBe('Field Notes');
    expect(doc.pages?.map((p) => p.number)).toEqual([1, 2, 3]);
    const pageText = (n: number): string => {
      const span = doc.pages!.find((p) => p.number === n)!;
      return doc.text.slice(span.start, span.end);
    };
    expect(pageText(1)).toContain('The alpha page talks about apples\nand orchards in spring.');
    expect(pageText(1)).not.toContain('beta');
    expect(pageText(2)).toContain('The beta page is about bridges');
    expect(pageText(3)).toBe('Gamma chapter\n\nThe gamma page covers comets.');
    // Paragraphs are blocks.
    expect(pageText(1)).toContain('in spring.\n\nA second paragraph on page one.');
    expect(doc.headings.map((h) => h.text)).toEqual(['Alpha chapter', 'Beta chapter', 'Gamma chapter']);
    expect(doc.headings[1]!.start).toBe(doc.pages![1]!.start);
    // Progress: one report per page, rising, ending done with loaded === total.
    expect(progress.map((p) => p.loaded)).toEqual([1, 2, 3, 3]);
    expect(progress.at(-1)).toMatchObject({ stage: 'parse', unit: 'pages', loaded: 3, total: 3, done: true });
  });

  it('asks for the password of an encrypted PDF, says when it is wrong, and reads it with the right one', async () => {
    const pdf = threePagePdf({ userPassword: 'open sesame' });
    const none = await failure(parseFile(pdf, { name: 'locked.pdf' }));
    expect(none.name).toBe('PasswordProtectedPdf');
    expect(none.data).toEqual({ file: 'locked.pdf', reason: 'needed' });
    expect(none.message).toContain('“locked.pdf” is protected with a password');
    const wrong = await failure(parseFile(pdf, { name: 'locked.pdf', password: 'guess' }));
    expect(wrong.name).toBe('PasswordProtectedPdf');
    expect(wrong.data).toEqual({ file: 'locked.pdf', reason: 'incorrect' });
    const doc = await parseFile(pdf, { name: 'locked.pdf', password: 'open sesame' });
    expect(doc.text).toContain('The gamma page covers comets.');
    expect(doc.title).toBe('Field Notes');
  });

  it('refuses a PDF of images only with NoTextLayer, and warns about some textless pages', async () => {
    const scanned = await failure(parseFile(makePdf({ pages: [{ image: true }, { image: true }] }), { name: 'scan.pdf' }));
    expect(scanned.name).toBe('NoTextLayer');
    expect(scanned.message).toContain('“scan.pdf” has no text layer');
    expect(scanned.message).toContain('OCR');
    const mixed = await parseFile(makePdf({ pages: [{ paragraphs: ['Typed page.'] }, { image: true }] }), { name: 'mixed.pdf' });
    expect(mixed.text).toBe('Typed page.');
    expect(mixed.pages).toEqual([
      { number: 1, start: 0, end: 11 },
      { number: 2, start: 11, end: 11 },
    ]);
    expect(mixed.warnings.join(' ')).toContain('1 of 2 pages have no text layer');
  });

  it('reports a truncated or garbage PDF as CorruptFile', async () => {
    const pdf = threePagePdf();
    for (const bytes of [
      pdf.subarray(0, 40),
      pdf.subarray(0, pdf.length >> 1),
      Uint8Array.from([...utf8('%PDF-1.4\n'), ...Array.from({ length: 400 }, (_, i) => (i * 37) & 0xff)]),
    ]) {
      const e = await failure(parseFile(bytes, { name: 'broken.pdf' }));
      expect(e.name).toBe('CorruptFile');
      expect(e.data).toMatchObject({ file: 'broken.pdf' });
    }
  });

  it('reads structure from the layout: bold and large headings, running footers kept out of the text, the title from the cover', async () => {
    const footer = (n: number): string => `Quill Corp. | Q2 2023 Report | ${n}`;
    const pdf = makePdf({
      pages: [
        { heading: 'QUILL CORP.', paragraphs: ['Quarterly report for the period ended June 30, 2023.'], footer: footer(1) },
        {
          blocks: [
            { text: 'Note 3 - Revenue', bold: true },
            { text: 'Revenue grew in every region.\nIt grew most in the north, where\nthe new plant opened in May.' },
            { text: 'Product Revenue', bold: true },
            { text: '(in millions)', bold: true },
            { text: 'Widgets 1,200 1,100\nGadgets 800 700\nSprockets 150 140\nGizmos 90 80' },
            { text: 'Total revenue 2,240 2,020', bold: true },
            { text: 'Operating expenses:', bold: true },
            { text: 'Salaries 300 280\nRent 120 110\nTravel 40 30' },
          ],
          footer: footer(2),
        },
        {
          blocks: [
            { text: 'Note 4 - Debt', bold: true },
            { text: 'The company has no debt.\nIt has not borrowed since\nthe plant was paid for.' },
          ],
          footer: footer(3),
        },
      ],
    });
    const doc = await parseFile(pdf, { name: 'quill-q2.pdf' });
    checkLayout(doc);
    // No Title in the file: the cover's largest type is the title; the footer is the running title.
    expect(doc.title).toBe('QUILL CORP.');
    expect(doc.runningTitle).toBe('Quill Corp. | Q2 2023 Report');
    expect(doc.text).not.toContain('Q2 2023 Report');
    const level = (t: string): number | undefined => doc.headings.find((h) => h.text === t)?.level;
    // Not headings: a remark in parentheses, a bold total row, a label ending in ":".
    expect(doc.headings.map((h) => h.text)).toEqual(['QUILL CORP.', 'Note 3 - Revenue', 'Product Revenue', 'Note 4 - Debt']);
    // Numbered headings hold the plain ones of their style; the cover never holds the body.
    expect(level('Note 3 - Revenue')).toBe(level('Note 4 - Debt'));
    expect(level('Product Revenue')!).toBeGreaterThan(level('Note 3 - Revenue')!);
    expect(level('QUILL CORP.')).toBe(6);

    const { chunkDocument } = await import('../../src/ingest/chunker');
    const chunks = chunkDocument(doc, 'd', { chunkTokens: 64, overlapTokens: 0 });
    expect(chunks.find((c) => c.text.includes('Widgets 1,200'))!.headingPath).toEqual(['Note 3 - Revenue', 'Product Revenue']);
    expect(chunks.find((c) => c.text.includes('no debt'))!.headingPath).toEqual(['Note 4 - Debt']);
  });

  it('keeps a line that repeats on every page when it is all the document says', async () => {
    const doc = await parseFile(makePdf({ pages: [1, 2, 3].map(() => ({ paragraphs: ['Habibi, said the rotated sign.'] })) }), {
      name: 'sign.pdf',
    });
    expect(doc.text.split('Habibi').length - 1).toBe(3);
  });

  it('is found by content: a PDF named .txt is parsed as a PDF', async () => {
    const doc = await parseFile(threePagePdf(), { name: 'download.txt' });
    expect(doc.format).toBe('pdf');
    expect(doc.pageCount).toBe(3);
  });
});

describe('DOCX', () => {
  it('turns Word headings into HeadingMarks, keeps paragraphs and tables, and reads the title', async () => {
    const bytes = await makeDocx(
      [
        { heading: 'Introduction', level: 1 },
        { para: 'Retrieval grounds answers in your files & notes.' },
        { heading: 'Method', level: 2 },
        { para: 'We chunk, embed and index.' },
        {
          table: [
            ['Step', 'Tool'],
            ['Parse', 'mammoth'],
          ],
        },
      ],
      'Project Report',
    );
    const doc = await parseFile(bytes, { name: 'report.docx' });
    checkLayout(doc);
    expect(doc.format).toBe('docx');
    expect(doc.title).toBe('Project Report');
    expect(doc.headings).toEqual([
      { level: 1, text: 'Introduction', start: 0 },
      { level: 2, text: 'Method', start: doc.text.indexOf('Method') },
    ]);
    expect(doc.text).toContain('Introduction\n\nRetrieval grounds answers in your files & notes.\n\nMethod');
    expect(doc.text).toContain('Parse | mammoth');
  });

  it('reports a damaged Word file as CorruptFile', async () => {
    const bytes = await makeDocx([{ para: 'x' }]);
    const e = await failure(parseFile(bytes.subarray(0, bytes.length - 30), { name: 'cut.docx' }));
    expect(e.name).toBe('CorruptFile');
    const noBody = await makeZip([['[Content_Types].xml', '<Types/>']]);
    expect((await failure(parseFile(noBody, { name: 'empty.docx' }))).name).toBe('CorruptFile');
  });

  it('still reads the words of a Word file whose package parts mammoth cannot handle, with a warning', async () => {
    const zip = await JSZip.loadAsync(await makeDocx([{ heading: 'Kept', level: 1 }, { para: 'Body text survives.' }]));
    zip.file(
      '[Content_Types].xml',
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override ContentType="application/xml"/></Types>',
    );
    const doc = await parseFile(await zip.generateAsync({ type: 'uint8array' }), { name: 'odd.docx' });
    expect(doc.text).toBe('Kept\n\nBody text survives.');
    expect(doc.headings).toEqual([{ level: 1, text: 'Kept', start: 0 }]);
    expect(doc.warnings[0]).toContain('text was read directly');
  });
});

describe('EPUB', () => {
  it('reads chapters in spine order (not manifest order), with headings and the book title, never script text', async () => {
    const bytes = await makeEpub(
      'A Small Book',
      [
        { id: 'ch2', heading: 'Second Chapter', paragraphs: ['The river rose.'] },
        { id: 'ch1', heading: 'First Chapter', paragraphs: ['It began at dawn.', 'Birds sang.'] },
      ],
      ['ch1', 'ch2'],
    );
    const doc = await parseFile(bytes, { name: 'book.epub' });
    checkLayout(doc);
    expect(doc.format).toBe('epub');
    expect(doc.title).toBe('A Small Book');
    expect(doc.text).toBe('First Chapter\n\nIt began at dawn.\n\nBirds sang.\n\nSecond Chapter\n\nThe river rose.');
    expect(doc.headings.map((h) => [h.level, h.text])).toEqual([
      [1, 'First Chapter'],
      [1, 'Second Chapter'],
    ]);
    expect(doc.pages).toBeUndefined();
  });
});

describe('HTML', () => {
  it('never runs scripts or event handlers, and leaves their text out', async () => {
    const g = globalThis as { __ragscopeScriptRan?: boolean };
    delete g.__ragscopeScriptRan;
    const html = `<!doctype html><html><head><title>Safe page</title>
      <script>globalThis.__ragscopeScriptRan = true;</script></head>
      <body><h1>Safe page</h1><p>Visible words only.</p>
      <img src="missing.png" onerror="globalThis.__ragscopeScriptRan = true">
      <script>document.write('INJECTED TEXT')</script><noscript>Enable JavaScript</noscript>
      <style>p { color: red }</style></body></html>`;
    const doc = await parseFile(utf8(html), { name: 'page.html' });
    expect(g.__ragscopeScriptRan).toBeUndefined();
    expect(doc.text).toContain('Visible words only.');
    expect(doc.text).not.toMatch(/ragscopeScriptRan|INJECTED|Enable JavaScript|color: red/);
  });

  it('extracts the main content of a saved article (not the navigation or footer), with headings and title', async () => {
    const para = (n: number): string =>
      `<p>Paragraph ${n} of the article explains how retrieval augmented generation finds passages in local documents, ranks them and cites them, so that the answer can be checked against its sources.</p>`;
    const html = `<!doctype html><html><head><title>How RAG works | Example Blog</title></head><body>
      <nav><ul><li><a href="/">Home</a></li><li><a href="/archive">Archive</a></li><li><a href="/about">About us</a></li></ul></nav>
      <article><h1>How RAG works</h1>${[1, 2, 3].map(para).join('')}
      <h2>Chunking</h2>${[4, 5, 6].map(para).join('')}</article>
      <footer>Copyright Example Blog. All rights reserved.</footer></body></html>`;
    const doc = await parseFile(utf8(html), { name: 'rag.html' });
    checkLayout(doc);
    expect(doc.format).toBe('html');
    expect(doc.title).toBeTruthy();
    expect(doc.text).toContain('Paragraph 1 of the article');
    expect(doc.text).toContain('Paragraph 6 of the article');
    expect(doc.text).not.toContain('About us');
    expect(doc.text).not.toContain('All rights reserved');
    expect(doc.headings.map((h) => h.text)).toContain('Chunking');
  });

  it('falls back to the whole body for pages without an article (and renders tables with headers as column: value)', async () => {
    const html = `<html><body><h1>Prices</h1><table><tr><th>Item</th><th>Price</th></tr>
      <tr><td>Apple</td><td>1.20</td></tr><tr><td>Pear</td><td>0.90</td></tr></table></body></html>`;
    const doc = await parseFile(utf8(html), { name: 'prices.htm' });
    expect(doc.text).toContain('Item: Apple\nPrice: 1.20\n\nItem: Pear\nPrice: 0.90');
    expect(doc.headings[0]).toMatchObject({ level: 1, text: 'Prices' });
  });
});

describe('Markdown', () => {
  it('keeps ATX and Setext headings, link text without URLs, plain text without markup', async () => {
    const md = [
      'Project Notes',
      '=============',
      '',
      'Some *emphasis*, **bold** and a [link to docs](https://example.com/docs) with `code`.',
      '',
      '## Setup',
      '',
      '- install the app',
      '- drop files',
      '  - nested item',
      '',
      '```sh',
      'npm run corpus',
      '```',
      '',
      '| Name | Value |',
      '| ---- | ----- |',
      '| size | 256   |',
      '',
      'Usage',
      '-----',
      'Ask questions &amp; compare.',
    ].join('\r\n');
    const doc = await parseFile(utf8(md), { name: 'notes.md' });
    checkLayout(doc);
    expect(doc.format).toBe('markdown');
    expect(doc.title).toBe('Project Notes');
    expect(doc.headings.map((h) => [h.level, h.text])).toEqual([
      [1, 'Project Notes'],
      [2, 'Setup'],
      [2, 'Usage'],
    ]);
    expect(doc.text).toContain('Some emphasis, bold and a link to docs with code.');
    expect(doc.text).not.toContain('https://example.com');
    expect(doc.text).toContain('- install the app\n- drop files\n  - nested item');
    expect(doc.text).toContain('npm run corpus');
    expect(doc.text).toContain('Name: size\nValue: 256');
    expect(doc.text).toContain('Ask questions & compare.');
  });
});

describe('CSV', () => {
  it('renders each row as "column: value" lines, with quoted commas and newlines kept inside their cell', async () => {
    const csv = 'name,notes,city\r\n"Smith, Ann","first line\nsecond line",Paris\r\nBob,,"Rome"\r\n';
    const doc = await parseFile(utf8(csv), { name: 'people.csv' });
    checkLayout(doc);
    expect(doc.format).toBe('csv');
    expect(doc.text).toBe('name: Smith, Ann\nnotes: first line\nsecond line\ncity: Paris\n\nname: Bob\ncity: Rome');
  });

  it('detects semicolons and tabs, and names columns of a header-less file "Column N"', async () => {
    const semi = await parseFile(utf8('product;price\nTea;3,50\nCoffee;4,20\n'), { name: 'prices.csv' });
    expect(semi.text).toBe('product: Tea\nprice: 3,50\n\nproduct: Coffee\nprice: 4,20');
    const tsv = await parseFile(utf8('a\tb\n1\t2\n'), { name: 'data.tsv' });
    expect(tsv.text).toBe('a: 1\nb: 2');
    const bare = await parseFile(utf8('2024-01-01,12.5,ok\n2024-01-02,13.1,ok\n'), { name: 'log.csv' });
    expect(bare.text).toBe('Column 1: 2024-01-01\nColumn 2: 12.5\nColumn 3: ok\n\nColumn 1: 2024-01-02\nColumn 2: 13.1\nColumn 3: ok');
  });

  it('decodes legacy encodings (a windows-1252 export)', async () => {
    const bytes = Uint8Array.from([...utf8('name,price\nCaf'), 0xe9, ...utf8(' cr'), 0xe8, ...utf8('me,5 '), 0x80, 0x0a]);
    const doc = await parseFile(bytes, { name: 'menu.csv' });
    expect(doc.text).toBe('name: Café crème\nprice: 5 €');
    expect(doc.encoding).toBe('windows-1252');
  });
});

describe('JSON', () => {
  it('flattens to path: value lines, one block per object of an array', async () => {
    const json = JSON.stringify({
      library: { name: 'Main', open: true },
      books: [
        { title: 'Dune', tags: ['sf', 'classic'] },
        { title: 'Emma', year: 1815 },
      ],
    });
    const doc = await parseFile(utf8(json), { name: 'library.json' });
    checkLayout(doc);
    expect(doc.text).toBe(
      'library.name: Main\nlibrary.open: true\n\nbooks[0].title: Dune\nbooks[0].tags: sf, classic\n\nbooks[1].title: Emma\nbooks[1].year: 1815',
    );
    const records = await parseFile(utf8('[{"id":1,"q":"why?"},{"id":2,"q":"how?"}]'), { name: 'faq.json' });
    expect(records.text).toBe('id: 1\nq: why?\n\nid: 2\nq: how?');
    const lines = await parseFile(utf8('{"a":1}\n{"a":2}\n'), { name: 'events.json' });
    expect(lines.text).toBe('a: 1\n\na: 2');
  });

  it('reports invalid JSON as CorruptFile', async () => {
    const e = await failure(parseFile(utf8('{"a": 1,'), { name: 'bad.json' }));
    expect(e.name).toBe('CorruptFile');
    expect(e.message).toContain('“bad.json” is not valid JSON');
  });
});

describe('plain text', () => {
  it('splits paragraphs into blocks and normalises line ends', async () => {
    const doc = await parseFile(utf8('First paragraph,\r\nsecond line.\r\n\r\n\r\nNext paragraph.   \r\n'), { name: 'a.txt' });
    expect(doc.text).toBe('First paragraph,\nsecond line.\n\nNext paragraph.');
    expect(doc.encoding).toBe('utf-8');
  });

  it('decodes UTF-16 and windows-1252 files', async () => {
    const s = 'Naïve café – 10 €';
    const le = Uint8Array.from([0xff, 0xfe, ...Array.from(s, (c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]).flat()]);
    expect((await parseFile(le, { name: 'u16.txt' })).text).toBe(s);
    const cp1252 = Uint8Array.from([...utf8('Na'), 0xef, ...utf8('ve caf'), 0xe9, ...utf8(' '), 0x96, ...utf8(' 10 '), 0x80]);
    const doc = await parseFile(cp1252, { name: 'old.txt' });
    expect(doc.text).toBe(s);
    expect(doc.encoding).toBe('windows-1252');
  });
});

describe('registry', () => {
  it('refuses empty files and files with only whitespace', async () => {
    expect((await failure(parseFile(new Uint8Array(), { name: 'zero.txt' }))).name).toBe('EmptyFile');
    expect((await failure(parseFile(utf8('  \n\t\n '), { name: 'blank.md' }))).name).toBe('EmptyFile');
    expect((await failure(parseFile(utf8('[]'), { name: 'none.json' }))).name).toBe('EmptyFile');
  });

  it('refuses files over the size limit before parsing, with the limit in the message', async () => {
    const e = await failure(parseFile(new Uint8Array(3 * 1024 * 1024), { name: 'big.pdf', maxBytes: 1024 * 1024 }));
    expect(e.name).toBe('FileTooLarge');
    expect(e.message).toContain('1.0 MB limit');
    expect(e.data).toMatchObject({ file: 'big.pdf', limit: 1024 * 1024 });
  });

  it('refuses a PNG named .md as UnsupportedFile, naming what it is and what is supported', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const e = await failure(parseFile(png, { name: 'diagram.md' }));
    expect(e.name).toBe('UnsupportedFile');
    expect(e.message).toContain('“diagram.md” looks like a PNG image');
    expect(e.message).toContain('PDF, Word (.docx)');
    expect(e.data).toEqual({ file: 'diagram.md', kind: 'a PNG image' });
  });

  it('stops before parsing when cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    expect((await failure(parseFile(utf8('text'), { name: 'a.txt', signal: ac.signal }))).name).toBe('Cancelled');
  });
});
