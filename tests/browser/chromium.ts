/**
 * Finds and launches Debian's Chromium (never a downloaded browser) with a real, software WebGPU
 * adapter: `--enable-unsafe-webgpu` turns on SwiftShader's adapter; `--disable-software-rasterizer`
 * would remove it, so it is never passed.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `Browser tests need Chromium, and none was found at ${path}.\n` +
        '  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y chromium\n' +
        '  Elsewhere: set CHROMIUM_PATH to a Chrome or Chromium 113+ executable.',
    );
  }
  return path;
}

/** The flags every Chromium here is launched with (tests and the bench): WebGPU on, quiet, as root. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(path = chromiumPath()): Promise<Browser> {
  return chromium.launch({ executablePath: path, headless: true, args: [...CHROMIUM_ARGS] });
}
