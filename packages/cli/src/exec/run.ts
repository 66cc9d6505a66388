import { execFileSync, spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Redactor } from 'coffer/internal';
import { CliError } from '../errors.js';
import { SecretMasker } from './mask.js';

/** Signals a supervisor sends to us that the child must get too. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
/** On our terminal the child also needs to hear that the window changed; on its own pseudo-terminal, resize tells it. */
const FORWARDED_ON_OUR_TERMINAL: readonly NodeJS.Signals[] = [...FORWARDED, 'SIGWINCH'];

export interface ChildOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  /** The values to mask in the child's output; undefined or empty passes output through untouched. */
  readonly mask?: Redactor | undefined;
  /** Where a note about how masking runs goes (once per process). @default standard error */
  readonly note?: (line: string) => void;
}

export interface RunningChild {
  /** Sends a signal to the child. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code to pass on: the child's own, or 128 + n when signal n killed it. */
  readonly exited: Promise<number>;
}

const exitCodeOf = (code: number | null, signal: NodeJS.Signals | number | null): number =>
  code !== null && (signal === null || signal === 0)
    ? code
    : 128 + (typeof signal === 'number' ? signal : signal === null ? 0 : (constants.signals[signal] ?? 0));

/** Forwards a supervisor's signals (and a SIGINT sent to us alone, not through the terminal) to the child. */
function forwardSignals(
  kill: (signal: NodeJS.Signals) => void,
  signals: readonly NodeJS.Signals[],
  viaTerminal: boolean,
): () => void {
  const onInterrupt = () => {
    if (!viaTerminal) kill('SIGINT');
  };
  for (const signal of signals) process.on(signal, kill);
  process.on('SIGINT', onInterrupt);
  return () => {
    for (const signal of signals) process.off(signal, kill);
    process.off('SIGINT', onInterrupt);
  };
}

/** A command that could not start exits as a shell's would: 127 when not found, 126 when not executable. */
const commandError = (command: string, error: NodeJS.ErrnoException): CliError =>
  error.code === 'ENOENT'
    ? new CliError(`Command not found: ${command}`, 127)
    : error.code === 'EACCES'
      ? new CliError(`Command not executable: ${command} (check its permissions)`, 126)
      : new CliError(`Could not start ${command}: ${error.message}`);

/** Output goes straight to our own stdout and stderr: nothing to mask. */
function startInherited(options: ChildOptions): RunningChild {
  const child = spawn(options.command, [...options.args], { env: options.env, stdio: 'inherit' });
  return watchChild(child, options.command, () => Promise.resolve());
}

/**
 * The child writes to named pipes, read here through the masker. Real pipes, not the socket pairs Node makes
 * for `stdio: 'pipe'`: a program can open `/dev/stdout` or `/dev/stderr` by path only on a pipe or a file
 * (nginx's `access_log /dev/stdout`). Node has no pipe() call, hence `mkfifo`; the names are removed at once.
 */
function startPiped(options: ChildOptions, mask: Redactor): RunningChild {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-exec-'));
  const ends: { read: number; write: number }[] = [];
  try {
    for (const name of ['stdout', 'stderr']) {
      const path = join(dir, name);
      execFileSync('mkfifo', ['-m', '600', path]);
      // The read end first, non-blocking, so that opening the write end does not wait for a reader.
      const read = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
      ends.push({ read, write: openSync(path, fsConstants.O_WRONLY) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const [out, err] = ends as [{ read: number; write: number }, { read: number; write: number }];
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(options.command, [...options.args], {
      env: options.env,
      stdio: ['inherit', out.write, err.write],
    });
  } finally {
    closeSync(out.write);
    closeSync(err.write);
  }
  const drained = Promise.all(
    [
      [out.read, process.stdout],
      [err.read, process.stderr],
    ].map(
      ([fd, target]) =>
        new Promise<void>((resolve) => {
          const masker = new Socket({ fd: fd as number, readable: true, writable: false }).pipe(
            new SecretMasker(mask),
          );
          masker.pipe(target as NodeJS.WritableStream, { end: false });
          masker.once('end', resolve);
        }),
    ),
  ).then(() => {});
  return watchChild(child, options.command, () => drained);
}

/** Exit code, signal forwarding and cleanup for a child started with node:child_process. */
function watchChild(
  child: ReturnType<typeof spawn>,
  command: string,
  drained: () => Promise<void>,
): RunningChild {
  const kill = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  // Ctrl-C in a terminal already reaches the child through the terminal's process group: not sent twice.
  const stopForwarding = forwardSignals(kill, FORWARDED_ON_OUR_TERMINAL, process.stdin.isTTY === true);
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      stopForwarding();
      reject(commandError(command, error));
    });
    child.once('exit', (code, signal) => {
      stopForwarding();
      // Everything the child printed is passed on before its exit code.
      void drained().then(() => resolve(exitCodeOf(code, signal)));
    });
  });
  return { kill, exited };
}

/**
 * Checks that the command can run before it is started on a pseudo-terminal, where a failed exec shows up only
 * as output and exit code 1: the same 127 / 126 a shell gives.
 */
function checkRunnable(command: string, env: Record<string, string>): void {
  const candidates = command.includes('/')
    ? [command]
    : (env.PATH ?? '').split(delimiter).map((dir) => join(dir || '.', command));
  let found = false;
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      found = true;
      accessSync(candidate, fsConstants.X_OK);
      return;
    } catch {
      // not here, or not executable: look further
    }
  }
  throw found
    ? new CliError(`Command not executable: ${command} (check its permissions)`, 126)
    : new CliError(`Command not found: ${command}`, 127);
}

type PtyModule = typeof import('node-pty');

/** node-pty is an optional peer with a native part (installed beside the CLI when wanted): loaded only here. */
async function loadPty(): Promise<PtyModule | undefined> {
  try {
    return await import('node-pty');
  } catch {
    return undefined;
  }
}

/**
 * The child runs on a pseudo-terminal of its own, so it sees a terminal (`isatty`, colours, full-screen
 * programs, the window size) while everything it prints passes through the masker. Our terminal is put in raw
 * mode so every key, Ctrl-C included, reaches the child's terminal as typed.
 */
function startOnTerminal(pty: PtyModule, options: ChildOptions, mask: Redactor): RunningChild {
  checkRunnable(options.command, options.env);
  const term = pty.spawn(options.command, [...options.args], {
    name: options.env.TERM ?? 'xterm-256color',
    cols: process.stdout.columns ?? 80,
    rows: process.stdout.rows ?? 24,
    cwd: process.cwd(),
    env: options.env,
    encoding: null,
  });
  const masker = new SecretMasker(mask);
  masker.pipe(process.stdout, { end: false });
  const output = term.onData((data) => masker.write(data));
  const input = (data: Buffer) => term.write(data);
  const resize = () => term.resize(process.stdout.columns ?? 80, process.stdout.rows ?? 24);
  process.stdin.setRawMode?.(true);
  process.stdin.on('data', input);
  process.stdin.resume();
  process.stdout.on('resize', resize);
  let ended = false;
  const kill = (signal: NodeJS.Signals) => {
    if (!ended) term.kill(signal);
  };
  const stopForwarding = forwardSignals(kill, FORWARDED, false);
  const exited = new Promise<number>((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      ended = true;
      output.dispose();
      stopForwarding();
      process.stdout.off('resize', resize);
      process.stdin.off('data', input);
      process.stdin.setRawMode?.(false);
      process.stdin.pause();
      masker.once('end', () => resolve(exitCodeOf(exitCode, signal ?? null)));
      masker.end();
    });
  });
  return { kill, exited };
}

let noted = false;

/**
 * Runs a command with the secrets' values masked in its output (unless there is nothing to mask): on a
 * pseudo-terminal when we run on one, through real pipes otherwise. Exit codes and signals pass through.
 */
export async function startChild(options: ChildOptions): Promise<RunningChild> {
  const mask = options.mask;
  if (mask === undefined || mask.empty) return startInherited(options);
  if (process.stdin.isTTY && process.stdout.isTTY) {
    const pty = await loadPty();
    if (pty !== undefined) return startOnTerminal(pty, options, mask);
    if (!noted) {
      noted = true;
      (options.note ?? ((line) => process.stderr.write(line)))(
        'coffer exec: masking without a terminal for the command (install node-pty beside the CLI to give it one; --no-mask runs it on yours)\n',
      );
    }
  }
  return startPiped(options, mask);
}
