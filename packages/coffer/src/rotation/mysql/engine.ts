import mysql from 'mysql2/promise';
import { mysqlAuthFailure } from '../../database/auth-failures.js';
import type { RotationContext } from '../context.js';
import type { Credential, DatabaseEngine, DatabaseRotatorOptions } from '../database/engine.js';
import { run, statementFailed } from '../database/sessions.js';

/** TLS for the connections a rotator opens: mysql2's `ssl` option (TLS options, or a profile name such as `'Amazon RDS'`). */
export type MysqlSsl = string | mysql.SslOptions;

/** Options both MySQL rotators take. */
export interface MysqlRotatorOptions extends DatabaseRotatorOptions {
  /**
   * TLS for every connection, passed to mysql2 as `ssl` (e.g. `{ ca: caBundle }` or `'Amazon RDS'`); `true` is
   * TLS with Node's default CAs, `false` is no TLS. Overrides the secret's own `ssl` field (`true`, `false`,
   * `"true"`, `"false"`, a profile name or TLS options). @default the secret's `ssl` field; without one, no TLS
   */
  ssl?: MysqlSsl | boolean;
  /** How long each connection attempt may take. @default 5000 */
  connectTimeoutMillis?: number;
  /**
   * Send the new password in plain text (`IDENTIFIED BY '...'`, `PASSWORD('...')`) for accounts whose
   * authentication plugin takes no hash from the client, such as MySQL 8's caching_sha2_password. Off, such
   * accounts fail to rotate with an error that says so; mysql_native_password accounts always get a hash.
   * @default false
   */
  allowPlaintextPassword?: boolean;
}

export type MysqlCredential = Credential<MysqlSsl>;

/** Which server: the two differ in how a password hash is given. */
export type Flavour = 'mariadb' | 'mysql';

const DEFAULT_CONNECT_TIMEOUT_MILLIS = 5_000;

function sslOf(value: unknown): MysqlSsl | undefined {
  if (value === true) return {};
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.toLowerCase() === 'true') return {};
    if (text.toLowerCase() === 'false' || text === '') return undefined;
    return text;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as mysql.SslOptions;
  return undefined;
}

/** The TLS a connection uses: the options', else the secret's. */
function sslFor(options: MysqlRotatorOptions, target: { ssl: MysqlSsl | undefined }): MysqlSsl | undefined {
  if (options.ssl === false) return undefined;
  if (options.ssl === true) return {};
  return options.ssl ?? target.ssl;
}

/**
 * A MySQL error's text with its code; never the statement (mysql2 keeps it in `sql`), and for a syntax error not
 * the server's message either, which quotes the statement near the error: a statement may hold a password hash.
 */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  const message = errno === 1064 ? 'SQL syntax error' : error.message;
  return typeof code === 'string'
    ? `${message} (${code}${typeof errno === 'number' ? ` ${errno}` : ''})`
    : message;
}

/**
 * MySQL and MariaDB through mysql2: a session is a mysql2 connection, in no database unless asked (accounts are
 * server-wide; testSecret selects the secret's database).
 */
export const mysqlEngine: DatabaseEngine<mysql.Connection, MysqlSsl, MysqlRotatorOptions> = {
  name: 'MySQL',
  defaultPort: 3306,
  defaultDatabase: undefined,
  // RDS and Aurora name MySQL-compatible engines with these.
  engines: { pattern: /mysql|mariadb|aurora/i, described: '"mysql" or "mariadb"' },
  masterCan: 'create users and grant privileges',
  masterUsesUsersDatabase: false,
  sslOf,
  databaseOf: (target, asked) => (asked ? target.dbname : undefined),

  async connect(options, target, username, password) {
    const ssl = sslFor(options, target);
    const connection = await mysql.createConnection({
      host: target.host,
      port: target.port,
      user: username,
      password: password.reveal(),
      connectTimeout: options.connectTimeoutMillis ?? DEFAULT_CONNECT_TIMEOUT_MILLIS,
      // One statement per query: a quoted name cannot smuggle in a second one.
      multipleStatements: false,
      ...(target.dbname !== undefined && { database: target.dbname }),
      // A copy: mysql2 fills in defaults on the object, and the secret's own is frozen.
      ...(ssl !== undefined && { ssl: typeof ssl === 'string' ? ssl : { ...ssl } }),
    });
    // Errors after connecting reach the pending query; without a listener they would crash the process.
    connection.on('error', () => {});
    return connection;
  },

  isAuthFailure: (error) => mysqlAuthFailure(error) !== undefined,
  query: (connection, sql) => connection.query(sql),
  close: (connection) => connection.end().catch(() => connection.destroy()),
  reasonOf,

  /** The server's error as a cause: its codes and reason, without the statement mysql2 attaches. */
  causeOf(error) {
    const { code, errno, sqlState } = (error ?? {}) as {
      code?: unknown;
      errno?: unknown;
      sqlState?: unknown;
    };
    const cause = new Error(reasonOf(error));
    cause.name = error instanceof Error ? error.name : 'Error';
    return Object.assign(cause, {
      ...(typeof code === 'string' && { code }),
      ...(typeof errno === 'number' && { errno }),
      ...(typeof sqlState === 'string' && { sqlState }),
    });
  },
};

/** Rows of a query whose text holds no secret, as arrays; a refusal becomes a RotationError. */
export async function rows(
  ctx: RotationContext,
  connection: mysql.Connection,
  sql: string,
  values: unknown[],
  what: string,
  asWhom: string,
): Promise<unknown[][]> {
  try {
    const [result] = await connection.query({ sql, values, rowsAsArray: true });
    return result as unknown[][];
  } catch (error) {
    throw statementFailed(ctx, mysqlEngine, what, asWhom, error);
  }
}

/**
 * Sets the session up for the statements the rotators build: sql_mode without ANSI_QUOTES (SHOW GRANTS then
 * quotes names with backticks) and without NO_BACKSLASH_ESCAPES (string literals escape with backslashes).
 * Returns which server it is.
 */
export async function prepareSession(
  ctx: RotationContext,
  connection: mysql.Connection,
  asWhom: string,
): Promise<Flavour> {
  await run(ctx, mysqlEngine, connection, "SET SESSION sql_mode = ''", 'set the session sql_mode', asWhom);
  const [[version]] = (await rows(ctx, connection, 'SELECT VERSION()', [], 'read the version', asWhom)) as [
    [unknown],
  ];
  return /mariadb/i.test(String(version)) ? 'mariadb' : 'mysql';
}
