/**
 * The user's saved settings. Stored in localStorage for now (the IndexedDB store arrives with the
 * document index); restored key by key, so a stale or hand-edited blob never breaks the app.
 */

import { DEFAULT_SETTINGS, type Settings } from '../settings/defaults';
import { buildDefaults } from '../settings/build-defaults';
import { restoreSettings, validateSettings, type SettingsProblem } from '../settings/validate';

export const SETTINGS_KEY = 'ragscope.settings.v1';

export class SettingsState {
  /** This build's defaults (a workshop kit's build points them at its own models). */
  readonly defaults: Settings;
  current = $state.raw<Settings>(DEFAULT_SETTINGS);
  /** Values found invalid on load and replaced by defaults, shown once to the user. */
  problems = $state.raw<SettingsProblem[]>([]);

  constructor(private readonly storage: Storage | null = typeof localStorage === 'undefined' ? null : localStorage) {
    const built = buildDefaults();
    this.defaults = built.settings;
    if (built.problem)
      this.problems = [
        {
          key: 'RAGSCOPE_DEFAULTS',
          label: 'This build’s default settings (RAGSCOPE_DEFAULTS)',
          message: `are not valid and were ignored: ${built.problem}`,
        },
      ];
    let saved: unknown = undefined;
    try {
      const raw = this.storage?.getItem(SETTINGS_KEY);
      saved = raw ? JSON.parse(raw) : undefined;
    } catch {
      this.problems = [
        ...this.problems,
        { key: 'settings', label: 'The saved settings', message: 'could not be read and were reset to defaults' },
      ];
    }
    const restored = restoreSettings(saved, this.defaults);
    this.current = restored.settings;
    this.problems = [...this.problems, ...restored.problems];
  }

  /** Validates, then saves; throws `InvalidSettings` and keeps the old values if anything is wrong. */
  save(candidate: unknown): void {
    const next = validateSettings(candidate);
    this.storage?.setItem(SETTINGS_KEY, JSON.stringify(next));
    this.current = next;
    this.problems = [];
  }

  reset(): void {
    this.storage?.removeItem(SETTINGS_KEY);
    this.current = this.defaults;
    this.problems = [];
  }
}
