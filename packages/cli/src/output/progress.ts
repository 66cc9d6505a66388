/**
 * A one-line progress bar on stderr, drawn only on a terminal.
 *
 * In-house rather than `cli-progress`: we need one bar that redraws a single line with `\r` and clears it
 * at the end, which is ~30 lines; a package would add a dependency (and its own TTY and colour handling that
 * we would have to line up with NO_COLOR and --no-color) to a tool that handles secrets, for no gain.
 */
export class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = stream.isTTY === true && total > 1;
  }

  tick(): void {
    this.done++;
    if (!this.enabled) return;
    const now = Date.now();
    // At most ~30 redraws a second, and always the last one.
    if (this.done < this.total && now - this.lastDraw < 33) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - this.label.length - 20));
    const filled = Math.round((this.done / this.total) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    this.stream.write(`\r${this.label} ${bar} ${this.done}/${this.total}`);
  }

  /** Clears the bar's line so the summary that follows starts clean. */
  stop(): void {
    if (this.enabled) this.stream.write('\r\x1b[2K');
  }
}
