import { findMariadb, MARIADB_MISSING, startMariadb } from '@coffer/cli/internal/mariadb';
import mysql from 'mysql2/promise';

export interface TestMariadb {
  readonly host: string;
  readonly port: number;
  /** `admin`@`%`, with every privilege and the grant option: the alternating-users rotator's master. */
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly database: string;
  readonly version: string;
  /** Its temp dir (data, socket, logs), removed by stop(). */
  readonly dir: string;
  /** The certificate to trust (PEM), when started with `tls`. */
  readonly tlsCa: string | undefined;
  /** The general query log so far: every statement the server received. */
  generalLog(): string;
  /** The error log so far (start-up, warnings, refused logins when `log_warnings` allows). */
  errorLog(): string;
  /** A connection as admin; end it yourself. */
  admin(): Promise<mysql.Connection>;
  /** A secret value in AWS's layout for this database; without arguments, admin's (a `masterarn` target). */
  secretJson(username?: string, password?: string, extra?: Record<string, unknown>): string;
  /**
   * Whether a credential logs in (and runs a query); access denied (1045) is false, any other failure throws.
   * `ssl` as mysql2 takes it; `true` trusts this server's certificate.
   */
  logsIn(credential: {
    username: string;
    password: string;
    ssl?: boolean | mysql.SslOptions;
  }): Promise<boolean>;
  stop(): Promise<void>;
}

/** MySQL's "access denied" errors for a refused login. */
const ACCESS_DENIED = new Set([1045, 1698]);

let announced = false;

/**
 * Whether this machine can run the MariaDB suites. Without MariaDB's programs it prints one line naming the
 * package (once per test file) and returns false, so the suite is counted as skipped, never silently. CI sets
 * COFFER_REQUIRE_MARIADB=1 after installing the package, which turns a missing MariaDB into a failure.
 */
export function mariadbAvailable(suite: string): boolean {
  if (findMariadb() !== undefined) return true;
  if (process.env.COFFER_REQUIRE_MARIADB === '1') {
    throw new Error(`${suite}: ${MARIADB_MISSING} (COFFER_REQUIRE_MARIADB=1 requires it)`);
  }
  if (!announced) {
    announced = true;
    console.warn(`[skipped] ${suite}: ${MARIADB_MISSING}`);
  }
  return false;
}

/**
 * A real MariaDB for one test file, on a free port, with the general query log on so tests can prove that no
 * password reaches it. The demo's own launcher.
 */
export async function startTestMariadb(options: { tls?: boolean } = {}): Promise<TestMariadb> {
  const server = await startMariadb({ generalLog: true, tls: options.tls ?? false });
  const { host, port, adminUser, adminPassword, database, version, tlsCa, dir } = server;
  const sslOf = (ssl: boolean | mysql.SslOptions | undefined): mysql.SslOptions | undefined =>
    ssl === true ? { ca: tlsCa ?? '' } : ssl === false ? undefined : ssl;
  return {
    host,
    port,
    adminUser,
    adminPassword,
    database,
    version,
    dir,
    tlsCa,
    generalLog: server.generalLog,
    errorLog: server.errorLog,
    admin: () => mysql.createConnection({ host, port, user: adminUser, password: adminPassword, database }),
    secretJson: (username = adminUser, password = adminPassword, extra = {}) =>
      JSON.stringify({ engine: 'mariadb', host, port, username, password, dbname: database, ...extra }),
    logsIn: async ({ username, password, ssl }) => {
      const tls = sslOf(ssl);
      let connection: mysql.Connection | undefined;
      try {
        connection = await mysql.createConnection({
          host,
          port,
          user: username,
          password,
          ...(tls !== undefined && { ssl: tls }),
        });
        await connection.query('SELECT 1');
        return true;
      } catch (error) {
        if (ACCESS_DENIED.has((error as { errno?: number }).errno ?? 0)) return false;
        throw error;
      } finally {
        await connection?.end().catch(() => {});
      }
    },
    stop: server.stop,
  };
}
