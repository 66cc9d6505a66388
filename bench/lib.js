// Helpers shared by the bench/*.bench.js files.
import { fork, spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const SERVER_CHILD = fileURLToPath(new URL('./server-child.js', import.meta.url));

/** One line naming the machine: node version, platform, core count and CPU model. */
export function machineLine() {
  const cpus = os.cpus();
  return `machine: node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} cores, ${cpus[0]?.model.trim() ?? 'unknown CPU'}`;
}

/**
 * Prints a table with a header and a rule.
 * @param {{ title: string, width: number, align?: 'left' | 'right' }[]} columns
 * @param {unknown[][]} rows
 */
export function printTable(columns, rows) {
  const format = (cells) =>
    cells
      .map((cell, i) => {
        const { width, align } = columns[i] ?? { width: 8 };
        return align === 'left' ? String(cell).padEnd(width) : String(cell).padStart(width);
      })
      .join('  ')
      .trimEnd();
  console.log(format(columns.map((c) => c.title)));
  console.log(format(columns.map((c) => '-'.repeat(c.width))));
  for (const row of rows) console.log(format(row));
}

/** The median of a list of numbers (NaN when empty). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// --- child processes, always cleaned up -------------------------------------------------------------

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();

export function killChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}
let cleanupInstalled = false;
/** Kills the child processes on exit and on SIGINT/SIGTERM/SIGHUP; installed by the first startServer() or timeProcess(). */
function installCleanup() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping child processes`);
      killChildren();
      process.exit(128 + (os.constants.signals[signal] ?? 1));
    });
  }
}

/**
 * Forks `server-child.js <kind>` and waits for its address.
 * @param {'local' | 'local-disk' | 'noop' | 'agent'} kind
 * @param {string[]} [execArgv] node flags for the child
 * @param {Record<string, string>} [env] variables added to the child's environment
 */
export function startServer(kind, execArgv = [], env = {}) {
  installCleanup();
  const child = fork(SERVER_CHILD, [kind], {
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const onExit = (code, signal) =>
      reject(new Error(`${kind} server exited before it was ready (code ${code}, signal ${signal})`));
    child.once('error', reject);
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      child.off('error', reject);
      const exited = new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) done();
        else child.once('exit', () => done());
      });
      resolve({
        kind,
        ...message,
        /** The server process's CPU time so far (user + system), in microseconds. */
        cpuMicros: () =>
          new Promise((done, fail) => {
            const onMessage = (reply) => {
              if (reply?.type !== 'cpu') return;
              child.off('message', onMessage);
              done(reply.usage.user + reply.usage.system);
            };
            child.on('message', onMessage);
            if (!child.connected) fail(new Error(`${kind} server is gone`));
            else child.send('cpu');
          }),
        /** Asks the child to close and exit (so a CPU profile gets written); kills it after 5 s. */
        stop: async () => {
          if (child.connected) child.send('stop');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

/** The p-th percentile (0-100) of a list of numbers, nearest-rank (NaN when empty). */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * Runs a command to completion and resolves with its wall time in ms (spawn to exit, by performance.now()).
 * Rejects when it exits with a non-zero code or a signal, with the tail of its stderr.
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} [options]
 */
export function timeProcess(command, args, options = {}) {
  installCleanup();
  return new Promise((resolve, reject) => {
    let stderr = '';
    const started = performance.now();
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk.toString()).slice(-2_000);
    });
    child.once('error', (error) => {
      children.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      const ms = performance.now() - started;
      children.delete(child);
      if (code === 0) resolve(ms);
      else
        reject(
          new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}): ${stderr}`),
        );
    });
  });
}

/** The 1-minute load average, to show when other work on the machine may have disturbed a run. */
export function loadLine() {
  return `load average (1 min) at start: ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores`;
}
