/** Files for the drop tests, made by the project's own fixture generators (no third-party files). */

import { makeDocx } from '../fixtures/docs/docx';
import { makePdf, threePagePdf } from '../fixtures/docs/pdf-writer';

export interface DropFile {
  name: string;
  type: string;
  base64: string;
  /** 'parsed', or the error name the file must be refused with. */
  expect: 'parsed' | 'CorruptFile' | 'UnsupportedFile' | 'EmptyFile' | 'NoTextLayer' | 'PasswordProtectedPdf';
  /** For parsed PDFs: the page count the row must show. */
  pages?: number;
}

const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64');

export async function dropFixtures(): Promise<DropFile[]> {
  const docx = await makeDocx([{ heading: 'Quarterly report', level: 1 }, { para: 'Revenue grew in the third quarter.' }], 'Report');
  return [
    {
      name: 'notes.md',
      type: 'text/markdown',
      base64: b64('# Launch plan\n\nThe launch is in **March**.\n\n## Budget\n\nApproved by the board.\n'),
      expect: 'parsed',
    },
    {
      name: 'people.csv',
      type: 'text/csv',
      base64: b64('name,role,notes\n"Ada","Engineer","Likes\nnewlines, and commas"\nGrace,Admiral,"COBOL"\n'),
      expect: 'parsed',
    },
    {
      name: 'legacy.txt',
      type: 'text/plain',
      base64: b64(Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x96, 0x20, 0x6e, 0x61, 0xef, 0x76, 0x65, 0x20, 0x80, 0x35])),
      expect: 'parsed',
    },
    { name: 'field-notes.pdf', type: 'application/pdf', base64: b64(threePagePdf()), expect: 'parsed', pages: 3 },
    {
      name: 'report.docx',
      type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      base64: b64(docx),
      expect: 'parsed',
    },
    {
      name: 'page.html',
      type: 'text/html',
      base64: b64(
        '<html><head><title>Saved page</title><script>document.title = "ran"; fetch("/leak")</script></head><body><article><h1>Tides</h1><p>The moon pulls the oceans twice a day.</p></article></body></html>',
      ),
      expect: 'parsed',
    },
    {
      name: 'broken.pdf',
      type: 'application/pdf',
      base64: b64('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer garbage'),
      expect: 'CorruptFile',
    },
    { name: 'scan.pdf', type: 'application/pdf', base64: b64(makePdf({ pages: [{ image: true }] })), expect: 'NoTextLayer' },
    { name: 'empty.txt', type: 'text/plain', base64: '', expect: 'EmptyFile' },
    {
      name: 'picture.png',
      type: 'image/png',
      base64: b64(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])),
      // Images are read by OCR (on by default): this one is cut off after its signature.
      expect: 'CorruptFile',
    },
  ];
}

/** An encrypted PDF (RC4, user password `open sesame`) with the three known pages. */
export function lockedPdf(): DropFile {
  return {
    name: 'locked.pdf',
    type: 'application/pdf',
    base64: b64(threePagePdf({ userPassword: 'open sesame' })),
    expect: 'PasswordProtectedPdf',
  };
}
