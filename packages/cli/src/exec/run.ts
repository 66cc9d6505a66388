import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { SecretMasker } from './mask.js';

/** Signals a supervisor sends to us that the child must get too. */
const FORWARDED: readonly NodeJS.Signals[] = [
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
];

export interface ChildOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  /** Secret values to mask in the child's stdout and stderr; empty or undefined passes output through untouched. */
  readonly mask?: readonly string[];
}

export interface RunningChild {
  readonly process: ChildProcess;
  /** Resolves with the exit code to pass on: the child's own, or 128 + n when signal n killed it. */
  readonly exited: Promise<number>;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
}

/**
 * Runs a command with stdin shared and stdout/stderr streamed (through the masker when asked). Signals are
 * forwarded, except that Ctrl-C in a terminal already reaches the child through the terminal's process group,
 * so it is not sent twice; a SIGINT sent to us alone (no terminal) is forwarded.
 */
export function startChild(options: ChildOptions): RunningChild {
  const masking = options.mask !== undefined && options.mask.length > 0;
  const env = { ...options.env };
  // Piped output makes many programs drop colour; tell them the terminal behind us can show it.
  if (masking && process.stdout.isTTY && env.NO_COLOR === undefined && env.FORCE_COLOR === undefined)
    env.FORCE_COLOR = '1';
  const child = spawn(options.command, [...options.args], {
    env,
    stdio: ['inherit', masking ? 'pipe' : 'inherit', masking ? 'pipe' : 'inherit'],
  });
  if (masking) {
    child.stdout?.pipe(new SecretMasker(options.mask ?? [])).pipe(process.stdout, { end: false });
    child.stderr?.pipe(new SecretMasker(options.mask ?? [])).pipe(process.stderr, { end: false });
  }
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const onInterrupt = () => {
    if (!process.stdin.isTTY) forward('SIGINT');
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  process.on('SIGINT', onInterrupt);
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      reject(
        new Error(
          error.code === 'ENOENT'
            ? `Command not found: ${options.command}`
            : `Could not start ${options.command}: ${error.message}`,
        ),
      );
    });
    // 'close' waits for the child's output streams to drain, so nothing it printed is lost.
    child.once('close', (code, signal) => {
      cleanup();
      resolve(exitCodeOf(code, signal));
    });
  });
  const cleanup = () => {
    for (const signal of FORWARDED) process.off(signal, forward);
    process.off('SIGINT', onInterrupt);
  };
  return { process: child, exited };
}
