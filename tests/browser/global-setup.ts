/**
 * Before the browser tests: check Chromium exists, build the app (plus the test-only harness page)
 * with the real Vite config, and serve it with generated models under /models/.
 */
import { build } from 'vite';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { chromiumPath } from './chromium';
import { serveStatic } from './static-server';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    chromiumPath: string;
  }
}

export const OUT_DIR = resolve('tests/.output/app');
export const MODELS_DIR = resolve('tests/fixtures/generated/models');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const chromium = chromiumPath();
  await build({
    configFile: resolve('vite.config.ts'),
    logLevel: 'warn',
    build: {
      outDir: OUT_DIR,
      emptyOutDir: true,
      manifest: true,
      rollupOptions: {
        input: {
          main: resolve('index.html'),
          harness: resolve('tests/browser/harness.html'),
          store: resolve('tests/browser/store-harness.html'),
        },
      },
    },
  });
  const server = await serveStatic([
    { prefix: '/', dir: OUT_DIR },
    { prefix: '/models/', dir: MODELS_DIR },
  ]);
  project.provide('baseUrl', server.url);
  project.provide('chromiumPath', chromium);
  return () => server.close();
}
