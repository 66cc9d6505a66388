/** What the demo reports while it runs, and at the end. */
export interface Snapshot {
  elapsedMs: number;
  ok: number;
  failed: number;
  rotations: number;
  rotationsPlanned: number;
  smCalls: number;
  hitRate: number | undefined;
}

export interface DemoSummary {
  outcome: 'success' | 'failure';
  strategy: string;
  /** `postgres` or `mariadb`. */
  engine: string;
  durationSeconds: number;
  requests: { ok: number; failed: number; perSecond: number; failures: Record<string, number> };
  rotations: { planned: number; done: number; errors: string[] };
  databaseUsers: string[];
  latencyMs: { p50: number; p99: number };
  secretsManagerCalls: { total: number; byOperation: Record<string, number> };
  serviceCache: { hits: number; misses: number; hitRate: number; calls: Record<string, number> };
  environment: { secretsManager: string; databasePort: number; tempDirs: string[] };
}

const percent = (rate: number | undefined) => (rate === undefined ? '–' : `${(rate * 100).toFixed(1)}%`);
const count = (n: number) => n.toLocaleString('en-US');

function statusText(s: Snapshot): string {
  return [
    `${(s.elapsedMs / 1000).toFixed(1).padStart(5)} s`,
    `requests ${count(s.ok)} ok, ${count(s.failed)} failed`,
    `rotations ${s.rotations}/${s.rotationsPlanned}`,
    `SM calls ${count(s.smCalls)}`,
    `cache hits ${percent(s.hitRate)}`,
  ].join(' │ ');
}

/**
 * Live progress on stderr: one status line redrawn in place on a terminal; plain lines every few seconds
 * otherwise (CI logs, pipes). Event lines (a rotation finished) go above the status line.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    /** Terminal width when stderr is a terminal; undefined for plain lines. */
    private readonly columns: number | undefined,
    private readonly snapshot: () => Snapshot,
    private readonly plainEveryMs = 2_000,
  ) {}

  private get tty(): boolean {
    return this.columns !== undefined;
  }

  /** The status line, cut to the terminal's width so that redrawing it in place never wraps. */
  private status(): string {
    const text = statusText(this.snapshot());
    const width = Math.max(20, (this.columns ?? 0) - 1);
    return this.tty && text.length > width ? `${text.slice(0, width - 1)}…` : text;
  }

  start(): void {
    this.lastPlain = Date.now();
    this.timer = setInterval(() => this.tick(), this.tty ? 100 : 250);
    this.timer.unref();
  }

  /** A line that stays (e.g. "rotation 2/5 done"), printed above the live status. */
  event(line: string): void {
    if (this.tty && this.drawn) this.write(`\r\x1b[2K${line}\n${this.status()}`);
    else this.write(`${line}\n`);
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.tty && this.drawn) this.write(`\r\x1b[2K${this.status()}\n`);
    this.drawn = false;
  }

  private tick(): void {
    if (this.tty) {
      this.write(`\r\x1b[2K${this.status()}`);
      this.drawn = true;
    } else if (Date.now() - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = Date.now();
      this.write(`${statusText(this.snapshot()).trim()}\n`);
    }
  }
}

export function formatSummary(s: DemoSummary): string {
  const ops = Object.entries(s.secretsManagerCalls.byOperation)
    .sort(([, a], [, b]) => b - a)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  const cacheCalls = Object.entries(s.serviceCache.calls)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  const lines = [
    '',
    s.outcome === 'success'
      ? `✓ Zero downtime: ${count(s.requests.ok)} requests, none failed, through ${s.rotations.done} rotations (${s.strategy}${s.engine === 'postgres' ? '' : `, ${s.engine}`}).`
      : `✗ ${count(s.requests.failed)} of ${count(s.requests.ok + s.requests.failed)} requests failed; ${s.rotations.done}/${s.rotations.planned} rotations done.`,
    '',
    `  Requests          ${count(s.requests.ok)} ok, ${count(s.requests.failed)} failed in ${s.durationSeconds.toFixed(1)} s (${count(Math.round(s.requests.perSecond))}/s)`,
    `  Latency           p50 ${s.latencyMs.p50.toFixed(1)} ms, p99 ${s.latencyMs.p99.toFixed(1)} ms`,
    `  Rotations         ${s.rotations.done}/${s.rotations.planned} (${s.strategy}, ${s.engine})${s.databaseUsers.length > 0 ? `; served as ${s.databaseUsers.join(', ')}` : ''}`,
    `  Secrets Manager   ${count(s.secretsManagerCalls.total)} calls: ${ops}`,
    `  Service's cache   ${percent(s.serviceCache.hitRate)} hit rate (${count(s.serviceCache.hits)} hits, ${count(s.serviceCache.misses)} misses); its calls: ${cacheCalls || 'none'}`,
  ];
  for (const [reason, n] of Object.entries(s.requests.failures))
    lines.push(`  Failure           ${n}× ${reason}`);
  for (const error of s.rotations.errors) lines.push(`  Rotation error    ${error}`);
  return `${lines.join('\n')}\n`;
}
