/**
 * Vite builds the page and its workers; vitest runs two projects from the same config:
 * `unit` (Node, the real transformers.js runtime on generated models) and `browser` (builds the
 * app, serves it, drives Debian Chromium with a real WebGPU adapter through playwright-core).
 */
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { viteStaticCopy } from 'vite-plugin-static-copy';
import { VitePWA } from 'vite-plugin-pwa';
// With its extension: Vite's coming native config loader resolves no extension-less imports.
import { contentSecurityPolicy, extraModelHosts, extraServerHosts, LOOPBACK_SERVER_SOURCES, MODEL_HOSTS } from './src/platform/csp.ts';

// Settings this build starts from (src/settings/build-defaults.ts). Malformed JSON fails the build
// here; values are validated by the app, which reports a bad one and keeps the plain defaults.

/** Where the app serves text recognition's files, by the tesseract.js version (see viteStaticCopy below). */
const OCR_DIR = `ocr/${JSON.parse(readFileSync('node_modules/tesseract.js/package.json', 'utf8')).version as string}`;
const buildDefaults = process.env.RAGSCOPE_DEFAULTS ?? '';
if (buildDefaults && !/^\s*\{/.test(buildDefaults))
  throw new Error('RAGSCOPE_DEFAULTS must be a JSON object of settings, e.g. {"modelSource":"/models/"}');
if (buildDefaults) JSON.parse(buildDefaults);

// The Content-Security-Policy (src/platform/csp.ts): the default model hosts plus any mirror host
// named at build time in RAGSCOPE_MODEL_HOSTS; language-model servers on this computer plus any
// server on another named at build time in RAGSCOPE_LLM_SERVERS (the app also reads that list, to
// say in Settings which servers it can reach). A malformed host fails the build here.
const modelHosts = [...MODEL_HOSTS, ...extraModelHosts(process.env.RAGSCOPE_MODEL_HOSTS)];
const llmServers = extraServerHosts(process.env.RAGSCOPE_LLM_SERVERS);
const serverHosts = [...LOOPBACK_SERVER_SOURCES, ...llmServers];
const cspHeader = { 'content-security-policy': contentSecurityPolicy({ modelHosts, serverHosts, header: true }) };

/**
 * Largest file the service worker precaches. The ONNX Runtime .wasm is ~27 MB and web-llm's chunk
 * ~7 MB; without them cached, the app would open offline but could not embed or answer.
 */
const PRECACHE_MAX_BYTES = 64 * 1024 * 1024;

export default defineConfig({
  plugins: [
    svelte(),
    {
      name: 'ragscope-csp',
      // Builds only: the dev server injects styles inline for hot reloading, which the policy forbids.
      apply: 'build',
      // The page's policy as a <meta>: it holds wherever the built files are served from.
      transformIndexHtml: () => [
        {
          tag: 'meta',
          attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy({ modelHosts, serverHosts }) },
          injectTo: 'head-prepend',
        },
      ],
    },
    // pdf.js's data files, served by the app for the ingest worker: CMaps (CJK text in PDFs that
    // use predefined encodings is lost without them) and the 14 standard fonts (glyph mapping for
    // PDFs that don't embed them). ~2.5 MB, fetched only by PDFs that need them.
    viteStaticCopy({
      targets: [
        { src: 'node_modules/pdfjs-dist/cmaps/*', dest: 'pdfjs/cmaps', rename: { stripBase: 3 } },
        { src: 'node_modules/pdfjs-dist/standard_fonts/*', dest: 'pdfjs/standard_fonts', rename: { stripBase: 3 } },
        // Text recognition (src/ingest/ocr.ts): tesseract.js's worker, its LSTM-only cores (the
        // worker picks the relaxed-SIMD, SIMD or plain build the browser runs; each ~3.9 MB with
        // its .wasm inlined) and the English 'best_int' data (2.9 MB). Fetched only when a scan or
        // an image is dropped, then kept by the service worker's runtime cache (below).
        // Under the tesseract.js version (OCR_DIR): the files are cached for good on first use, and
        // an upgraded app must not talk to an older cached worker or core.
        { src: 'node_modules/tesseract.js/dist/worker.min.js', dest: OCR_DIR, rename: { stripBase: 3 } },
        { src: 'node_modules/tesseract.js-core/tesseract-core-*lstm.wasm.js', dest: `${OCR_DIR}/core`, rename: { stripBase: 2 } },
        { src: 'node_modules/@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz', dest: `${OCR_DIR}/lang`, rename: { stripBase: 4 } },
        // pdf.js's image decoders (JPEG 2000, JBIG2, colour profiles), for drawing scanned pages.
        { src: 'node_modules/pdfjs-dist/wasm/*', dest: 'pdfjs/wasm', rename: { stripBase: 3 } },
      ],
    }),
    // The offline app: a Workbox service worker precaches everything the build emits (page, workers,
    // runtime .wasm, pdf.js data, the samples), so after one visit ragscope opens and works with the
    // network off. Models are not precached: each engine caches the ones used. 'prompt': a new
    // version waits until the user accepts it (src/state/offline.svelte.ts), so an update never
    // swaps files under an open tab. Only in builds; `npm run dev` has no service worker.
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      manifest: {
        name: 'ragscope',
        short_name: 'ragscope',
        description: 'A private RAG workbench in one browser tab: the same local model answers with and without your documents.',
        theme_color: '#1f6feb',
        background_color: '#ffffff',
        display: 'standalone',
        icons: [{ src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
      },
      workbox: {
        globPatterns: ['**/*.{html,js,mjs,css,svg,wasm,json,md,txt,csv,bcmap,pfb,ttf,webmanifest}'],
        // Model folders copied into public/models/ are the user's, possibly gigabytes: the engines cache what they use.
        // OCR's files (~7 MB for the core a browser uses and English) are not precached: most visits
        // never drop a scan. They are cached on first use instead (runtimeCaching), so a scan read
        // once online is read offline afterwards.
        globIgnores: ['models/**', 'ocr/**'],
        runtimeCaching: [
          {
            urlPattern: ({ url }) => url.pathname.includes('/ocr/'),
            handler: 'CacheFirst',
            options: { cacheName: 'ragscope-ocr', expiration: { maxEntries: 16 } },
          },
        ],
        maximumFileSizeToCacheInBytes: PRECACHE_MAX_BYTES,
        cleanupOutdatedCaches: true,
        // The first visit's page is served by the worker as soon as it is ready (not only after a
        // reload), and an accepted update takes over the open tab, which then reloads into it.
        clientsClaim: true,
        // A multi-page build (index.html, test harness pages): '/' is index.html, nothing else is rewritten.
        navigateFallback: null,
      },
    }),
  ],
  // 'mpa' answers a missing file with a real 404 instead of index.html, so a missing model file is
  // reported as missing rather than as a JSON parse error.
  appType: 'mpa',
  define: {
    __RAGSCOPE_DEFAULTS__: JSON.stringify(buildDefaults),
    __RAGSCOPE_LLM_SERVERS__: JSON.stringify(llmServers),
    __RAGSCOPE_OCR_DIR__: JSON.stringify(`${OCR_DIR}/`),
  },
  // The same policy as a header, which also covers the workers (`npm run preview`; not the dev server, see above).
  preview: { headers: cspHeader },
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
