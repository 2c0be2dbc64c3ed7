/**
 * The defaults this build starts from: DEFAULT_SETTINGS, with whatever the build named in
 * RAGSCOPE_DEFAULTS (a JSON object of settings) laid over them. The workshop kit builds the app this
 * way so that a fresh browser already reads models from the kit's own folder; a user's saved
 * settings still win. The kit checks its value before building; a hand-made bad value is reported
 * by the app (`buildDefaults`), which then keeps the plain defaults.
 */

import { DEFAULT_SETTINGS, type Settings } from './defaults';
import { withOverrides, type DeepPartial } from './validate';

// Replaced by the build (vite.config.ts `define`); absent in Node, where the plain defaults apply.
declare const __RAGSCOPE_DEFAULTS__: string | undefined;

/** Parses and validates a RAGSCOPE_DEFAULTS value; throws `InvalidSettings` naming what is wrong. */
export function parseBuildDefaults(json: string | undefined): Settings {
  if (!json) return DEFAULT_SETTINGS;
  let overrides: unknown;
  try {
    overrides = JSON.parse(json);
  } catch (e) {
    throw new Error(`RAGSCOPE_DEFAULTS is not JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new Error('RAGSCOPE_DEFAULTS must be a JSON object of settings, e.g. {"modelSource":"/models/"}');
  }
  // Named by key: whoever wrote RAGSCOPE_DEFAULTS wrote keys, not the form's labels.
  return withOverrides(DEFAULT_SETTINGS, overrides as DeepPartial<Settings>, 'key');
}

/** This build's defaults, or the plain ones with the reason when the build's value is not valid. */
export function buildDefaults(): { settings: Settings; problem: string | null } {
  try {
    return {
      settings: parseBuildDefaults(typeof __RAGSCOPE_DEFAULTS__ === 'undefined' ? undefined : __RAGSCOPE_DEFAULTS__),
      problem: null,
    };
  } catch (e) {
    return { settings: DEFAULT_SETTINGS, problem: e instanceof Error ? e.message : String(e) };
  }
}
