import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { mysqlNativePasswordHash } from 'coffer/internal';
import { CliError } from '../errors.js';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** The Debian package that ships `mariadbd` and `mariadb-install-db`; no npm package ships them. */
export const MARIADB_PACKAGE = 'mariadb-server';

/** The two programs a throwaway MariaDB needs. */
export interface MariadbPrograms {
  readonly server: string;
  readonly installDb: string;
}

/** A throwaway MariaDB on a free port, in its own temp dir, run as its own process (not the system service). */
export interface DemoMariadb {
  readonly host: string;
  readonly port: number;
  /** Its Unix socket, in the temp dir. */
  readonly socket: string;
  /** `admin`@`%`, with every privilege and the grant option: the alternating-users rotator's master. */
  readonly adminUser: string;
  readonly adminPassword: string;
  /** An empty database, `coffer`. */
  readonly database: string;
  readonly dir: string;
  /** The server's version string, e.g. `10.11.19-MariaDB-0+deb12u1-log`. */
  readonly version: string;
  /** The self-signed certificate (PEM) to trust, when started with `tls`; it names 127.0.0.1 and localhost. */
  readonly tlsCa: string | undefined;
  /** The server's error log (start-up, warnings, refused logins) so far. */
  errorLog(): string;
  /** The general query log so far (every statement), when started with `generalLog`; else "". */
  generalLog(): string;
  /** Stops the server and removes its temp dir; safe to call twice, and after the server died on its own. */
  stop(): Promise<void>;
}

export interface MariadbOptions {
  /** Log every statement the server receives (MariaDB's general query log), read with `generalLog()`. @default false */
  generalLog?: boolean;
  /** Serve TLS with a self-signed certificate made for this run with `openssl`. @default false */
  tls?: boolean;
  /** @default 300 */
  maxConnections?: number;
  /** How long start-up may take. @default 60000 */
  startTimeoutMs?: number;
}

const SERVER_NAMES = ['mariadbd'];
const INSTALL_DB_NAMES = ['mariadb-install-db', 'mysql_install_db'];
/** Debian keeps daemons in sbin, which is not on every PATH. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/mysql/bin'];

function findProgram(names: readonly string[]): string | undefined {
  const only = process.env.COFFER_MARIADB_DIR;
  const dirs =
    only !== undefined && only !== ''
      ? [only]
      : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    for (const name of names) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * `mariadbd` and `mariadb-install-db` from the PATH or the usual places (only from the directory
 * COFFER_MARIADB_DIR names, when set); undefined when either is missing.
 */
export function findMariadb(): MariadbPrograms | undefined {
  const server = findProgram(SERVER_NAMES);
  const installDb = findProgram(INSTALL_DB_NAMES);
  return server === undefined || installDb === undefined ? undefined : { server, installDb };
}

/** What to tell someone whose machine has no MariaDB. */
export const MARIADB_MISSING = `MariaDB is not installed: install Debian's ${MARIADB_PACKAGE} package (apt-get install -y ${MARIADB_PACKAGE}); only its programs are used, not its system service.`;

const isRoot = (): boolean => {
  try {
    return userInfo().uid === 0;
  } catch {
    return false;
  }
};

const lastLines = (text: string, n: number): string => text.trimEnd().split('\n').slice(-n).join('\n');

/** A certificate for 127.0.0.1 and localhost, valid for two days, and its key, written to `dir`. */
async function makeCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'server-cert.pem');
  const key = join(dir, 'server-key.pem');
  try {
    await run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { timeout: 60_000 },
    );
  } catch (error) {
    throw new CliError(
      `MariaDB with TLS needs a certificate, which openssl could not make (install Debian's openssl package): ${error instanceof Error ? error.message.split('\n')[0] : 'failed'}`,
    );
  }
  return { cert, key };
}

/**
 * Starts a throwaway MariaDB from the machine's own programs (Debian's `mariadb-server`): `mariadb-install-db`
 * into a temp dir, then `mariadbd` on a free port of 127.0.0.1 with its own socket, never the system service.
 * An init file creates the database `coffer` and the user `admin`@`%` with a random password, sent as its
 * mysql_native_password hash. Also what Coffer's own tests and benchmarks start.
 */
export async function startMariadb(options: MariadbOptions = {}): Promise<DemoMariadb> {
  const programs = findMariadb();
  if (programs === undefined) throw new CliError(MARIADB_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'coffer-mariadb-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  const errorLogFile = join(dir, 'error.log');
  const generalLogFile = join(dir, 'general.log');
  const adminPassword = randomBytes(24).toString('base64url');
  const database = 'coffer';
  const root = isRoot();
  const asUser = root ? ['--user=root'] : [];
  // Small and fast for a throwaway server: durability is not wanted here.
  const tuning = [
    '--innodb-buffer-pool-size=32M',
    '--innodb-log-file-size=16M',
    '--innodb-flush-log-at-trx-commit=0',
    '--innodb-doublewrite=0',
    '--skip-name-resolve',
  ];
  let child: ChildProcess | undefined;
  const alive = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;
  // If the process exits without stopping MariaDB (a second Ctrl-C), stop it anyway and remove its files.
  const onExit = () => {
    if (alive()) child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const proc = child;
      if (proc !== undefined && alive()) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGTERM');
        const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
      process.off('exit', onExit);
    })();
    return stopping;
  };
  const errorLog = () => (existsSync(errorLogFile) ? readFileSync(errorLogFile, 'utf8') : '');

  try {
    try {
      await run(
        programs.installDb,
        [
          '--no-defaults',
          `--datadir=${data}`,
          '--skip-test-db',
          '--auth-root-authentication-method=socket',
          ...asUser,
          ...tuning,
        ],
        { timeout: 120_000 },
      );
    } catch (error) {
      const output = error as { stdout?: string; stderr?: string; message?: string };
      throw new CliError(
        `mariadb-install-db failed: ${lastLines(`${output.stdout ?? ''}\n${output.stderr ?? output.message ?? ''}`, 5)}`,
      );
    }
    const initFile = join(dir, 'init.sql');
    // One statement per line: the server runs the init file at start-up, with the grant tables loaded.
    writeFileSync(
      initFile,
      [
        `CREATE DATABASE IF NOT EXISTS \`${database}\`;`,
        `CREATE USER IF NOT EXISTS 'admin'@'%' IDENTIFIED BY PASSWORD '${mysqlNativePasswordHash(adminPassword)}';`,
        "GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;",
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const tls = options.tls ? await makeCertificate(dir) : undefined;
    const port = await freePort();
    const args = [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      `--tmpdir=${dir}`,
      `--log-error=${errorLogFile}`,
      `--init-file=${initFile}`,
      `--max-connections=${options.maxConnections ?? 300}`,
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_general_ci',
      ...(options.generalLog ? ['--general-log=1', `--general-log-file=${generalLogFile}`] : []),
      ...(tls === undefined
        ? []
        : [`--ssl-cert=${tls.cert}`, `--ssl-key=${tls.key}`, `--ssl-ca=${tls.cert}`]),
      ...asUser,
      ...tuning,
    ];
    const proc = spawn(programs.server, args, { stdio: 'ignore' });
    child = proc;
    const started = await new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
      const onExitEarly = () => {
        clearInterval(timer);
        reject(new CliError(`mariadbd exited during start-up:\n${lastLines(errorLog(), 8)}`));
      };
      proc.once('exit', onExitEarly);
      proc.once('error', (error) => {
        clearInterval(timer);
        reject(new CliError(`mariadbd could not be started: ${error.message}`));
      });
      const timer = setInterval(() => {
        const log = errorLog();
        if (log.includes('ready for connections')) {
          clearInterval(timer);
          proc.off('exit', onExitEarly);
          resolve(/Version: '([^']+)'/.exec(log)?.[1] ?? 'unknown');
        } else if (Date.now() > deadline) {
          clearInterval(timer);
          proc.off('exit', onExitEarly);
          reject(new CliError(`mariadbd did not start within the time allowed:\n${lastLines(log, 8)}`));
        }
      }, 50);
    });
    return {
      host: '127.0.0.1',
      port,
      socket,
      adminUser: 'admin',
      adminPassword,
      database,
      dir,
      version: started,
      tlsCa: tls === undefined ? undefined : readFileSync(tls.cert, 'utf8'),
      errorLog,
      generalLog: () =>
        options.generalLog && existsSync(generalLogFile) ? readFileSync(generalLogFile, 'utf8') : '',
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
