/**
 * Where a server's host sits, as browsers see it: this computer (loopback), the local network, or
 * the internet. One definition for the server engine's error messages (mixed content and Local
 * Network Access exempt loopback; src/generate/openai-engine.ts) and the pane plan (a server on
 * this computer shares its GPU; src/compare/panes.ts). The page's security policy is narrower on
 * purpose (src/platform/csp.ts: only localhost and 127.0.0.1 can be named in a policy). DOM-free.
 */

/** Where a host sits in Local Network Access' order (public → local → loopback); 'unknown' for a name only DNS can place. */
export type AddressSpace = 'loopback' | 'local' | 'public' | 'unknown';

/** This computer: localhost, *.localhost, 127.0.0.0/8, ::1 (what browsers exempt from mixed-content blocking). */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h) || h === '[::1]' || h === '::1';
}

export function addressSpace(hostname: string): AddressSpace {
  const h = hostname.toLowerCase();
  if (isLoopback(h)) return 'loopback';
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    const local = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
    return local ? 'local' : 'public';
  }
  if (h.startsWith('[')) return /^\[f[cd]|^\[fe[89ab]/.test(h) ? 'local' : 'public';
  if (h.endsWith('.local')) return 'local';
  return 'unknown';
}
