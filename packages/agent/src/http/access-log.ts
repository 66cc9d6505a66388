/** One request as the access log records it: what was asked and how it was answered, never a value or a token. */
export interface AccessLogEntry {
  readonly time: string;
  readonly method: string;
  /** The route, e.g. `/secretsmanager/get`, `/v1/` for path-style reads, or `other`. */
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
  readonly secretId?: string | undefined;
  readonly roleArn?: string | undefined;
  /** `hit`, `miss`, `stale` or `refresh` for reads. */
  readonly cache?: 'hit' | 'miss' | 'stale' | 'refresh' | undefined;
  /** The error's `__type` when the answer is an error. */
  readonly error?: string | undefined;
}

/**
 * Writes access-log entries as JSON lines, gathered per event-loop turn into one write: a busy agent makes one
 * write call per turn instead of one per request.
 */
export function jsonLinesWriter(write: (text: string) => void): (entry: AccessLogEntry) => void {
  let lines: string[] = [];
  const flush = () => {
    const text = lines.join('');
    lines = [];
    write(text);
  };
  return (entry) => {
    if (lines.length === 0) setImmediate(flush);
    lines.push(`${JSON.stringify({ level: 'info', msg: 'request', ...entry })}\n`);
  };
}
