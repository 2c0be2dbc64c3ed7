/**
 * Turns the `modelSource` setting into what each model library needs.
 *
 * One setting drives both engines so an offline room needs one change: '' = public hubs, a path
 * = this app's own origin, a URL = a hub-shaped mirror (`<base>/<model>/resolve/main/<file>`).
 */

export type ModelSource = { kind: 'hub' } | { kind: 'local'; path: string } | { kind: 'mirror'; baseUrl: string };

export const HF_HUB = 'https://huggingface.co/';

export function parseModelSource(setting: string, pageOrigin?: string): ModelSource {
  if (setting === '') return { kind: 'hub' };
  if (setting.startsWith('/')) return { kind: 'local', path: setting };
  const url = new URL(setting);
  // A mirror on our own origin is the same as a local path, and keeps transformers.js' local-file
  // rules (which need a path, not a URL).
  if (pageOrigin && url.origin === pageOrigin)
    return { kind: 'local', path: url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/` };
  return { kind: 'mirror', baseUrl: setting.endsWith('/') ? setting : `${setting}/` };
}

/** Human text for status lines and error messages. */
export function describeModelSource(source: ModelSource): string {
  switch (source.kind) {
    case 'hub':
      return 'the Hugging Face hub';
    case 'local':
      return `this app's folder ${source.path}`;
    case 'mirror':
      return `the mirror ${source.baseUrl}`;
  }
}

/** Absolute base URL under which `<model>/resolve/main/<file>` (mirror, hub) or `<model>/<file>` (local) lives. */
export function modelBaseUrl(source: ModelSource, pageOrigin: string): string {
  switch (source.kind) {
    case 'hub':
      return HF_HUB;
    case 'local':
      return new URL(source.path, pageOrigin).href;
    case 'mirror':
      return source.baseUrl;
  }
}
