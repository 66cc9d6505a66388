import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/** Reads the whole lines of `file` from `offset` on; returns the offset after the last whole line. */
function readLines(file: string, offset: number, onLine: (line: string) => void): number {
  const size = statSync(file).size;
  if (size <= offset) return offset;
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) return offset;
    for (const line of buffer.subarray(0, end).toString('utf8').split('\n'))
      if (line.trim() !== '') onLine(line);
    return offset + end + 1;
  } finally {
    closeSync(fd);
  }
}

/**
 * Follows a log file as `tail -F` does: each `read` passes on the whole lines appended since the last one (a
 * partial last line waits). When the server rotates the log (`audit.log` becomes `audit.log.1`, a new one
 * starts), the rest of the old file is read first, then the new one from its start; a file replaced by a
 * shorter one is read again from its start.
 */
export class LogTail {
  #offset = 0;
  #inode: number | undefined;

  /** `fromEnd`: only what is appended from now on. */
  constructor(
    private readonly file: string,
    options: { fromEnd?: boolean } = {},
  ) {
    if (options.fromEnd && existsSync(file)) {
      const stat = statSync(file);
      this.#offset = stat.size;
      this.#inode = stat.ino;
    }
  }

  read(onLine: (line: string) => void): void {
    if (!existsSync(this.file)) return;
    const inode = statSync(this.file).ino;
    if (this.#inode !== undefined && inode !== this.#inode) {
      this.#readRotated(this.#inode, onLine);
      this.#offset = 0;
    }
    this.#inode = inode;
    if (statSync(this.file).size < this.#offset) this.#offset = 0;
    this.#offset = readLines(this.file, this.#offset, onLine);
  }

  /**
   * The file we were reading has been rotated, maybe more than once since the last read: finish it where it now
   * lives (`.n`), then read the files rotated after it (`.n-1` ... `.1`) whole. Gone altogether (rotated out
   * of the kept set), there is nothing left to read from it.
   */
  #readRotated(inode: number, onLine: (line: string) => void): void {
    const rotated = (n: number) => `${this.file}.${n}`;
    let n = 1;
    while (existsSync(rotated(n)) && statSync(rotated(n)).ino !== inode) n++;
    if (!existsSync(rotated(n))) return;
    readLines(rotated(n), this.#offset, onLine);
    for (let newer = n - 1; newer >= 1; newer--) readLines(rotated(newer), 0, onLine);
  }
}
