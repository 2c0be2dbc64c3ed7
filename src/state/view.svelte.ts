/**
 * Which view the main area shows, and whether the page is in Present mode. The view lives in the
 * URL hash (`#/ask`, `#/search`, ...), so Back, Forward and a reload keep it; Present mode (large
 * type, no library side, for a projector) and whether single-key shortcuts are on are remembered in
 * localStorage.
 */

export type View = 'ask' | 'search' | 'evaluate' | 'machine' | 'settings';

export interface ViewInfo {
  id: View;
  label: string;
  /** The key that opens it (when focus is not in a text field). */
  key: string;
}

export const VIEWS: readonly ViewInfo[] = [
  { id: 'ask', label: 'Ask', key: '1' },
  { id: 'search', label: 'Search', key: '2' },
  { id: 'evaluate', label: 'Evaluate', key: '3' },
  { id: 'machine', label: 'This machine', key: '4' },
  { id: 'settings', label: 'Settings', key: '5' },
];

/** The key that turns Present mode on and off. */
export const PRESENT_KEY = 'p';

const PRESENT_STORAGE = 'ragscope.present';
const SHORTCUTS_STORAGE = 'ragscope.shortcuts';

export function viewOf(hash: string): View {
  const id = hash.replace(/^#\/?/, '');
  return VIEWS.find((v) => v.id === id)?.id ?? 'ask';
}

export class ViewState {
  current = $state<View>(viewOf(location.hash));
  present = $state(readFlag(PRESENT_STORAGE, false));
  /**
   * Single-key shortcuts (1–5, P) can be turned off (WCAG 2.1.4): for speech input, or anyone who
   * presses keys by accident. Remembered.
   */
  shortcuts = $state(readFlag(SHORTCUTS_STORAGE, true));

  constructor() {
    addEventListener('hashchange', () => (this.current = viewOf(location.hash)));
  }

  href(view: View): string {
    return `#/${view}`;
  }

  go(view: View): void {
    location.hash = this.href(view);
  }

  togglePresent(): void {
    this.present = !this.present;
    writeFlag(PRESENT_STORAGE, this.present);
  }

  setShortcuts(on: boolean): void {
    this.shortcuts = on;
    writeFlag(SHORTCUTS_STORAGE, on);
  }

  /**
   * Keyboard: 1–5 open the views, P toggles Present mode. Ignored while typing, and with a
   * modifier held, so they never take a key from a field or a browser shortcut.
   */
  onKey(e: KeyboardEvent): void {
    if (!this.shortcuts || e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
    const t = e.target as HTMLElement | null;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    const view = VIEWS.find((v) => v.key === e.key);
    if (view) this.go(view.id);
    else if (e.key.toLowerCase() === PRESENT_KEY) this.togglePresent();
    else return;
    e.preventDefault();
  }
}

function readFlag(key: string, fallback: boolean): boolean {
  try {
    const v = localStorage.getItem(key);
    return v === null ? fallback : v === '1';
  } catch {
    return fallback;
  }
}

function writeFlag(key: string, on: boolean): void {
  try {
    localStorage.setItem(key, on ? '1' : '0');
  } catch {
    // Storage refused (private mode): the choice still holds for this visit.
  }
}
