/**
 * Before the browser tests: check Chromium exists, build the app (plus the test-only harness page)
 * with the real Vite config, and serve it with generated models under /models/.
 */
import { build } from 'vite';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { chromiumPath } from './chromium';
import { serveStatic } from './static-server';
import { contentSecurityPolicy, extraModelHosts, MODEL_HOSTS } from '../../src/platform/csp';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    chromiumPath: string;
  }
}

export const OUT_DIR = resolve('tests/.output/app');
export const MODELS_DIR = resolve('tests/fixtures/generated/models');

/**
 * Mirrors the tests serve (tests/fixtures/webllm-mirror.ts) run on 127.0.0.1 at another port than
 * the app: the build's policy names that host as a model host, as a workshop's build would name its
 * mirror (RAGSCOPE_MODEL_HOSTS).
 */
const TEST_MODEL_HOSTS = 'http://127.0.0.1:*';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const chromium = chromiumPath();
  process.env.RAGSCOPE_MODEL_HOSTS = TEST_MODEL_HOSTS;
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
  // Served with the policy as a header too, as a production host should: it is what binds the workers.
  const csp = contentSecurityPolicy({ modelHosts: [...MODEL_HOSTS, ...extraModelHosts(TEST_MODEL_HOSTS)], header: true });
  const server = await serveStatic(
    [
      { prefix: '/', dir: OUT_DIR },
      { prefix: '/models/', dir: MODELS_DIR },
    ],
    { headers: { 'content-security-policy': csp } },
  );
  project.provide('baseUrl', server.url);
  project.provide('chromiumPath', chromium);
  return () => server.close();
}
