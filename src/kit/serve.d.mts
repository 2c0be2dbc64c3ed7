// Types of serve.mjs's export, for the TypeScript that imports it (tests/browser/static-server.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Mount {
  /** URL prefix, starting and ending with '/'. */
  prefix: string;
  dir: string;
}

export interface StaticHandlerOptions {
  mounts: Mount[];
  /** Headers sent with every response, 404s included (the app's Content-Security-Policy). */
  headers?: Record<string, string>;
}

export function staticHandler(options: StaticHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void;
