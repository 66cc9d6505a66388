import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Reads the whole lines appended to a log file since `offset` and returns the new offset. A partial last line
 * waits for the next call; a file that shrank (replaced) is read again from its start.
 */
export function readNewLines(file: string, offset: number, onLine: (line: string) => void): number {
  if (!existsSync(file)) return offset;
  const size = statSync(file).size;
  if (size < offset) return 0;
  if (size === offset) return offset;
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return offset;
    for (const line of text.slice(0, end).split('\n')) if (line.trim() !== '') onLine(line);
    return offset + Buffer.byteLength(text.slice(0, end + 1));
  } finally {
    closeSync(fd);
  }
}
