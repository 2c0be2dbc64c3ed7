/// <reference lib="webworker" />
// Ingest worker entry: parses and chunks one dropped file at a time (see src/ingest/). pdf.js runs
// inside this worker; its CMaps and standard fonts are served by the app (vite.config.ts copies
// them to /pdfjs/), never fetched from a CDN.
import { serve } from '../src/core/rpc';
import { reportRequests } from '../src/platform/netlog';
import { ingestHandlers } from '../src/ingest/handler';
import { configurePdf } from '../src/ingest/parsers/pdf-assets';

const base = new URL(`${import.meta.env.BASE_URL}pdfjs/`, self.location.origin);
configurePdf({ cMapUrl: new URL('cmaps/', base).href, standardFontDataUrl: new URL('standard_fonts/', base).href });
serve(self, ingestHandlers());
reportRequests(self);
