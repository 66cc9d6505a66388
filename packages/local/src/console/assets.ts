/**
 * The two files the browser downloads besides the pages: the stylesheet and the script (compiled
 * from client/console.ts). Named by content hash so a browser may keep them; gzipped once at start.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { STYLES } from './styles.js';

interface Asset {
  readonly url: string;
  readonly type: string;
  readonly body: Buffer;
  readonly gzipped: Buffer;
}

/** The compiled script: beside this module in dist/, or in dist/ when the server runs from its sources. */
function scriptPath(): string {
  const beside = fileURLToPath(new URL('./client/console.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/console/client/console.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`The console's script is not built (looked for ${beside}): run the build first.`);
}

function asset(name: string, extension: string, type: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  return {
    url: `/console/assets/${name}.${hash}.${extension}`,
    type,
    body,
    gzipped: gzipSync(body, { level: 9 }),
  };
}

/** A key, drawn in the page's own colours: browsers ask for an icon, and an answer is quieter than a 404. */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="5" cy="8" r="3.5" fill="none" stroke="#0969da" stroke-width="2"/><path d="M8.5 8h6.5M13 8v3M11 8v2" stroke="#0969da" stroke-width="2"/></svg>`;

export interface Assets {
  readonly style: Asset;
  readonly script: Asset;
  readonly icon: Asset;
  byUrl(url: string): Asset | undefined;
}

export function loadAssets(): Assets {
  // The compiled module ends with `export {};` (it is a module script); the browser needs nothing else.
  const script = asset('console', 'js', 'text/javascript; charset=utf-8', readFileSync(scriptPath()));
  const style = asset('console', 'css', 'text/css; charset=utf-8', Buffer.from(STYLES.trim(), 'utf8'));
  const icon = asset('icon', 'svg', 'image/svg+xml', Buffer.from(ICON, 'utf8'));
  return { style, script, icon, byUrl: (url) => [style, script, icon].find((a) => a.url === url) };
}
