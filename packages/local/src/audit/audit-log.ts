import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';

/** One API call. Never holds a secret value: only who did what to which secret, and how it ended. */
export interface AuditEntry {
  time: string;
  requestId: string;
  /** Principal ARN; absent when the caller could not be authenticated. */
  principal?: string;
  accessKeyId?: string;
  /** The region the request was signed for; absent when the caller could not be authenticated. */
  region?: string;
  operation: string;
  /** For `RotationStep` entries: the step of the rotation function (createSecret, setSecret, ...). */
  step?: string;
  secretArn?: string;
  /** The id the caller gave, when the call ended before a secret was found (access denied, not found). */
  secretId?: string;
  sourceIp: string;
  userAgent?: string;
  outcome: 'success' | 'error';
  errorCode?: string;
  /** For a failed `RotationStep`: the one-line error the rotation function reported. */
  errorMessage?: string;
  durationMs: number;
}

export interface AuditLogOptions {
  /** JSON-lines file to append to (created 0600). Omitted: entries are kept in memory only. */
  file?: string;
  /** How many recent entries to keep in memory for `recent()`. @default 10_000 */
  keep?: number;
  /**
   * When the file reaches this size it becomes `<file>.1` (the older ones `.2`, ...) and a new one starts.
   * @default 64 MiB
   */
  maxBytes?: number;
  /** Rotated files kept beside the current one; the oldest is removed. @default 4 */
  maxFiles?: number;
}

export const AUDIT_LOG_DEFAULTS = Object.freeze({ keep: 10_000, maxBytes: 64 * 1024 * 1024, maxFiles: 4 });

/**
 * Appends one JSON line per API call and keeps a bounded window in memory plus per-operation
 * counters, so tests and tools can count calls from the server's side. Lines are written in batches, one
 * write per event-loop turn, and `flush()` writes the batch at once: the HTTP adapter calls it before it
 * sends the turn's answers, so an acknowledged call always has its line in the file (a `kill -9` loses
 * none). The file rotates by size.
 */
export class AuditLog {
  private readonly file: string | undefined;
  private fd: number | undefined;
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  /** JSON lines recorded this event-loop turn, written together by `flush` (one write, not one per call). */
  private pending = '';
  private flushScheduled = false;
  /** Ring buffer of the last `keep` entries: O(1) per call, where shifting an array was O(keep). */
  private readonly window: AuditEntry[] = [];
  /** Where the next entry goes; once the ring is full, also the oldest entry. */
  private next = 0;
  private size = 0;
  private readonly keep: number;
  private readonly counts = new Map<string, number>();
  private readonly listeners = new Set<(entry: AuditEntry) => void>();

  constructor(options: AuditLogOptions = {}) {
    const { keep, maxBytes, maxFiles } = { ...AUDIT_LOG_DEFAULTS, ...options };
    for (const [name, value, min] of [
      ['keep', keep, 0],
      ['maxBytes', maxBytes, 1024],
      ['maxFiles', maxFiles, 1],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) {
        throw new TypeError(`${name} must be an integer of at least ${min}, got ${String(value)}.`);
      }
    }
    this.keep = keep;
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
    this.file = options.file;
    if (this.file !== undefined) this.openFile(this.file);
  }

  private openFile(file: string): void {
    // `mode` only applies when the file is created; a log left readable by others is tightened too.
    this.fd = openSync(file, 'a', 0o600);
    chmodSync(file, 0o600);
    this.bytes = fstatSync(this.fd).size;
  }

  /** The current file becomes `.1`, `.1` becomes `.2`, ...; the oldest beyond maxFiles is removed. */
  private rotate(file: string): void {
    if (this.fd !== undefined) closeSync(this.fd);
    rmSync(`${file}.${this.maxFiles}`, { force: true });
    for (let n = this.maxFiles - 1; n >= 1; n--) {
      if (existsSync(`${file}.${n}`)) renameSync(`${file}.${n}`, `${file}.${n + 1}`);
    }
    renameSync(file, `${file}.1`);
    this.openFile(file);
  }

  record(entry: AuditEntry): void {
    if (this.fd !== undefined) {
      // Appending to a string is a rope concat: cheaper than a stream write (and its bookkeeping) per call.
      this.pending += `${JSON.stringify(entry)}\n`;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Once per turn keeps the file prompt for `coffer audit --follow` and keeps the order of calls.
        setImmediate(this.flush);
      }
    }
    if (this.keep > 0) {
      this.window[this.next] = entry;
      this.next = this.next + 1 === this.keep ? 0 : this.next + 1;
      if (this.size < this.keep) this.size++;
    }
    this.counts.set(entry.operation, (this.counts.get(entry.operation) ?? 0) + 1);
    if (this.listeners.size > 0) for (const listener of this.listeners) listener(entry);
  }

  /** The most recent entries, oldest first. */
  recent(limit = this.keep): AuditEntry[] {
    const count = limit >= this.size ? this.size : limit > 0 ? Math.floor(limit) : 0;
    const out: AuditEntry[] = new Array(count);
    // The oldest of the newest `count` entries sits `count` slots behind `next`.
    let at = (this.next - count + this.keep) % this.keep;
    for (let i = 0; i < count; i++) {
      out[i] = this.window[at] as AuditEntry;
      at = at + 1 === this.keep ? 0 : at + 1;
    }
    return out;
  }

  /** Calls per operation since start (or since `resetCounts()`). */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  resetCounts(): void {
    this.counts.clear();
  }

  /** Calls `listener` for every new entry; returns the unsubscribe function. */
  subscribe(listener: (entry: AuditEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Writes the lines recorded since the last flush, now: one write to the file (a page-cache append, which a
   * crash of this process cannot undo), rotating the file first when it is full.
   */
  readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.pending === '' || this.fd === undefined || this.file === undefined) return;
    const lines = Buffer.from(this.pending);
    this.pending = '';
    if (this.bytes > 0 && this.bytes + lines.length > this.maxBytes) this.rotate(this.file);
    for (let written = 0; written < lines.length; ) {
      written += writeSync(this.fd, lines, written, lines.length - written);
    }
    this.bytes += lines.length;
  };

  async close(): Promise<void> {
    this.listeners.clear();
    // Nothing recorded before close() may be lost to the pending setImmediate.
    this.flush();
    if (this.fd !== undefined) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
