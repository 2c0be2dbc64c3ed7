/**
 * Vite builds the page and its workers; vitest runs two projects from the same config:
 * `unit` (Node, the real transformers.js runtime on generated models) and `browser` (builds the
 * app, serves it, drives Debian Chromium with a real WebGPU adapter through playwright-core).
 */
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { viteStaticCopy } from 'vite-plugin-static-copy';

export default defineConfig({
  plugins: [
    svelte(),
    // pdf.js's data files, served by the app for the ingest worker: CMaps (CJK text in PDFs that
    // use predefined encodings is lost without them) and the 14 standard fonts (glyph mapping for
    // PDFs that don't embed them). ~2.5 MB, fetched only by PDFs that need them.
    viteStaticCopy({
      targets: [
        { src: 'node_modules/pdfjs-dist/cmaps/*', dest: 'pdfjs/cmaps', rename: { stripBase: 3 } },
        { src: 'node_modules/pdfjs-dist/standard_fonts/*', dest: 'pdfjs/standard_fonts', rename: { stripBase: 3 } },
      ],
    }),
  ],
  // 'mpa' answers a missing file with a real 404 instead of index.html, so a missing model file is
  // reported as missing rather than as a JSON parse error.
  appType: 'mpa',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // The ONNX Runtime .wasm (~27 MB) and web-llm are worker-only assets; don't warn about them.
    chunkSizeWarningLimit: 8000,
  },
  test: {
    reporters: ['default', './tests/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/browser/global-setup.ts'],
          // One Chromium at a time: the 2-core machines can't run two software-WebGPU pages fast.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
