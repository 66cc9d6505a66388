import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

/** Where the browser tests leave their screenshots (ignored by git). */
export const SCREENSHOT_DIR = join(import.meta.dirname, '../../../test-output/screenshots');

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name}.png`);
}

/** A PNG's size and how many of its pixels differ from its top-left pixel (the background). */
export function inspectPng(path: string): { width: number; height: number; nonBackground: number } {
  const png = PNG.sync.read(readFileSync(path));
  const { width, height, data } = png;
  const [r, g, b] = [data[0], data[1], data[2]];
  let nonBackground = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] !== r || data[i + 1] !== g || data[i + 2] !== b) nonBackground++;
  }
  return { width, height, nonBackground };
}
