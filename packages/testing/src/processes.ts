import { spawn } from 'node:child_process';

export interface Finished {
  /** The exit code; null when a signal ended the process. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** The whole environment (nothing is inherited unless passed). */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed (as in a pipe); without it stdin is closed at once. */
  input?: string | Buffer;
  cwd?: string;
  /** Called with everything printed so far, for tests that act while the process runs. */
  onStdout?: (text: string, pid: number) => void;
}

/** Runs a Node script (the built CLI, an example) to its end and collects what it printed. */
export function runNode(
  script: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Finished> {
  const child = spawn(process.execPath, [script, ...args], {
    env: options.env ?? {},
    cwd: options.cwd,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout, child.pid as number);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin?.end(options.input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
