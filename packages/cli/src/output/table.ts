import { stripVTControlCharacters } from 'node:util';

/** Width on screen: escape codes take none, and a code point counts once (good enough for names and dates). */
const displayWidth = (text: string): number => [...stripVTControlCharacters(text)].length;

const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));

/** Cuts text to `max` characters on screen, ending with an ellipsis when it had to cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * Renders rows under a header as aligned columns, two spaces apart; the last column is not padded so lines
 * carry no trailing blanks. `header` is styled with `headerStyle` (bold on a terminal).
 */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  headerStyle: (text: string) => string = (text) => text,
): string {
  const widths = header.map((title, i) =>
    Math.max(displayWidth(title), ...rows.map((row) => displayWidth(row[i] ?? ''))),
  );
  const line = (cells: readonly string[], style: (text: string) => string = (text) => text) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? style(cell) : pad(style(cell), widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header, headerStyle), ...rows.map((row) => line(row))].join('\n')}\n`;
}

/** `Key:   value` lines, the values aligned. */
export function renderFields(fields: readonly (readonly [string, string])[], keyStyle = (t: string) => t) {
  const width = Math.max(...fields.map(([key]) => displayWidth(key))) + 1;
  return fields.map(([key, value]) => `${pad(keyStyle(`${key}:`), width + 1)} ${value}`.trimEnd()).join('\n');
}
