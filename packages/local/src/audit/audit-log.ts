import { once } from 'node:events';
import { chmodSync, closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';

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
}

/**
 * Appends one JSON line per API call and keeps a bounded window in memory plus per-operation
 * counters, so tests and tools can count calls from the server's side.
 */
export class AuditLog {
  private readonly stream: WriteStream | undefined;
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
    const keep = options.keep ?? 10_000;
    if (!Number.isSafeInteger(keep) || keep < 0) {
      throw new TypeError(`keep must be a non-negative integer, got ${String(keep)}.`);
    }
    this.keep = keep;
    if (options.file !== undefined) {
      // `mode` only applies when the file is created; a log left readable by others is tightened too.
      closeSync(openSync(options.file, 'a', 0o600));
      chmodSync(options.file, 0o600);
      this.stream = createWriteStream(options.file, { flags: 'a' });
    }
  }

  record(entry: AuditEntry): void {
    if (this.stream) {
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

  /** Writes the lines recorded since the last flush. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.pending === '' || !this.stream || this.stream.writableEnded) return;
    const lines = this.pending;
    this.pending = '';
    this.stream.write(lines);
  };

  async close(): Promise<void> {
    this.listeners.clear();
    // Nothing recorded before close() may be lost to the pending setImmediate.
    this.flush();
    if (this.stream && !this.stream.closed) {
      this.stream.end();
      await once(this.stream, 'close');
    }
  }
}
