import mysql from 'mysql2/promise';
import { mysqlAuthFailure } from '../../database/mysql-auth.js';
import {
  DATABASE_SECRET_LAYOUT,
  isInvalidDatabaseSecret,
  parseDatabaseSecret,
} from '../../database/secret.js';
import type { Secret } from '../../secret/secret.js';
import { type AwsStage, CURRENT, PENDING, PREVIOUS } from '../../stages.js';
import type { PasswordOptions, RotationContext } from '../context.js';
import { RotationError } from '../errors.js';

/** TLS for the connections a rotator opens: mysql2's `ssl` option (TLS options, or a profile name such as `'Amazon RDS'`). */
export type MysqlSsl = string | mysql.SslOptions;

/** Options both MySQL rotators take. */
export interface MysqlRotatorOptions {
  /** New passwords, from GetRandomPassword. @default length 32, excluding the characters / @ " ' \ */
  password?: PasswordOptions;
  /**
   * TLS for every connection, passed to mysql2 as `ssl` (e.g. `{ ca: caBundle }` or `'Amazon RDS'`); `true` is
   * TLS with Node's default CAs, `false` is no TLS. Overrides the secret's own `ssl` field (`true`, `false`,
   * `"true"`, `"false"`, a profile name or TLS options). @default the secret's `ssl` field; without one, no TLS
   */
  ssl?: MysqlSsl | boolean;
  /** How long each connection attempt may take. @default 5000 */
  connectTimeoutMillis?: number;
  /** The query testSecret runs as the pending user, in the secret's database. @default 'SELECT 1' */
  testQuery?: string;
  /**
   * Send the new password in plain text (`IDENTIFIED BY '...'`, `PASSWORD('...')`) for accounts whose
   * authentication plugin takes no hash from the client, such as MySQL 8's caching_sha2_password. Off, such
   * accounts fail to rotate with an error that says so; mysql_native_password accounts always get a hash.
   * @default false
   */
  allowPlaintextPassword?: boolean;
}

/** A MySQL credential from a secret in AWS's layout: engine, host, port, username, password, dbname. */
export interface Credential {
  readonly host: string;
  readonly port: number;
  /** The secret's database, if it names one: testSecret uses it. */
  readonly dbname: string | undefined;
  readonly username: string;
  readonly password: Secret<string>;
  readonly ssl: MysqlSsl | undefined;
  /** The whole JSON object, for building the next version from it. */
  readonly fields: Secret<Readonly<Record<string, unknown>>>;
}

/** Which server: the two differ in how a password hash is given. */
export type Flavour = 'mariadb' | 'mysql';

const DEFAULT_CONNECT_TIMEOUT_MILLIS = 5_000;
export const DEFAULT_TEST_QUERY = 'SELECT 1';
const DEFAULT_PORT = 3306;

/** Engines in AWS's layout this rotator takes (RDS and Aurora name MySQL-compatible engines with these). */
const ENGINE = /mysql|mariadb|aurora/i;

const fail = (ctx: RotationContext, message: string, cause?: unknown): RotationError =>
  new RotationError(message, {
    secretId: ctx.secretId,
    step: ctx.step,
    ...(cause !== undefined && { cause }),
  });

export { fail as rotationError };

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

/** Reads and checks a credential from a JSON object; `label` names it in errors (never a value). */
function parseCredential(
  ctx: RotationContext,
  value: Readonly<Record<string, unknown>>,
  label: string,
  defaults: { host?: string; port?: number } = {},
): Credential {
  const parsed = parseDatabaseSecret(value);
  const missing = isInvalidDatabaseSecret(parsed) ? [...parsed.invalid] : [];
  const host = isInvalidDatabaseSecret(parsed) ? undefined : (parsed.host ?? defaults.host);
  if (!isInvalidDatabaseSecret(parsed)) {
    if (host === undefined) missing.push('host');
    if (parsed.password.reveal() === '') missing.push('password');
  }
  if (isInvalidDatabaseSecret(parsed) || host === undefined || missing.length > 0) {
    throw fail(
      ctx,
      `${label} is not a MySQL credential: ${missing.map((key) => `"${key}"`).join(', ')} missing or invalid (expected AWS's layout: ${DATABASE_SECRET_LAYOUT}).`,
    );
  }
  if (parsed.engine !== undefined && !ENGINE.test(parsed.engine)) {
    throw fail(
      ctx,
      `${label} is for engine ${JSON.stringify(parsed.engine)}: the MySQL rotators take "mysql" or "mariadb".`,
    );
  }
  return {
    host,
    port: parsed.port ?? defaults.port ?? DEFAULT_PORT,
    dbname: parsed.dbname,
    username: parsed.username,
    password: parsed.password,
    ssl: sslOf(parsed.ssl),
    fields: parsed.fields,
  };
}

/** The credential in a version of the rotated secret; undefined only for a missing AWSPREVIOUS. */
export async function credentialOf(
  ctx: RotationContext,
  stage: typeof PREVIOUS,
): Promise<Credential | undefined>;
export async function credentialOf(
  ctx: RotationContext,
  stage: typeof CURRENT | typeof PENDING,
): Promise<Credential>;
export async function credentialOf(ctx: RotationContext, stage: AwsStage): Promise<Credential | undefined> {
  const json = await ctx.readJson(stage);
  if (json === undefined) {
    if (stage === PREVIOUS) return undefined;
    throw fail(
      ctx,
      stage === PENDING
        ? `The pending version ${ctx.token} of secret ${ctx.secretId} has no value: run createSecret first.`
        : `Secret ${ctx.secretId} has no AWSCURRENT value to rotate from.`,
    );
  }
  return parseCredential(ctx, json.reveal(), `The ${stage} version of secret ${ctx.secretId}`);
}

/** The user named by the secret's `masterarn`, read with GetSecretValue (AWSCURRENT), on the rotated user's server. */
export async function masterOf(ctx: RotationContext, current: Credential): Promise<Credential> {
  const arn = current.fields.reveal().masterarn;
  if (typeof arn !== 'string' || arn === '') {
    throw fail(
      ctx,
      `Secret ${ctx.secretId} has no "masterarn": alternatingUsers needs the ARN of a secret holding a user that can create users and grant privileges.`,
    );
  }
  const parsed = await ctx.readJson(CURRENT, { secretId: arn });
  if (parsed === undefined) {
    throw fail(
      ctx,
      `The master secret ${arn} has no AWSCURRENT value: check the "masterarn" of ${ctx.secretId}.`,
    );
  }
  const master = parseCredential(ctx, parsed.reveal(), `The master secret ${arn}`, {
    host: current.host,
    port: current.port,
  });
  // Accounts must change on the server the user connects to, whatever host the master's own secret names (an
  // RDS-managed master secret holds only a username and password).
  return { ...master, host: current.host, port: current.port, ssl: master.ssl ?? current.ssl };
}

/** `user "u" at host:port/db`, for messages. */
export const describeLogin = (
  username: string,
  at: { host: string; port: number; dbname?: string | undefined },
): string => `user ${JSON.stringify(username)} at ${at.host}:${at.port}${at.dbname ? `/${at.dbname}` : ''}`;

export interface LoginTarget {
  readonly host: string;
  readonly port: number;
  readonly dbname: string | undefined;
  readonly ssl: MysqlSsl | undefined;
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

/** The server's error as a cause: its codes and reason, without the statement mysql2 attaches. */
function causeOf(error: unknown): Error {
  const { code, errno, sqlState } = (error ?? {}) as { code?: unknown; errno?: unknown; sqlState?: unknown };
  const cause = new Error(reasonOf(error));
  cause.name = error instanceof Error ? error.name : 'Error';
  return Object.assign(cause, {
    ...(typeof code === 'string' && { code }),
    ...(typeof errno === 'number' && { errno }),
    ...(typeof sqlState === 'string' && { sqlState }),
  });
}

/**
 * Logs in: a connection, or undefined when the server refuses the credential (1045, 1698). Any other failure
 * (unreachable, TLS refused, the database missing) throws a RotationError: it says nothing about the password.
 * `database` connects to the target's database too (testSecret); otherwise none is selected.
 */
export async function login(
  ctx: RotationContext,
  options: MysqlRotatorOptions,
  target: LoginTarget,
  username: string,
  password: Secret<string>,
  database = false,
): Promise<mysql.Connection | undefined> {
  const ssl = sslFor(options, target);
  const dbname = database ? target.dbname : undefined;
  try {
    const connection = await mysql.createConnection({
      host: target.host,
      port: target.port,
      user: username,
      password: password.reveal(),
      connectTimeout: options.connectTimeoutMillis ?? DEFAULT_CONNECT_TIMEOUT_MILLIS,
      // One statement per query: a quoted name cannot smuggle in a second one.
      multipleStatements: false,
      ...(dbname !== undefined && { database: dbname }),
      // A copy: mysql2 fills in defaults on the object, and the secret's own is frozen.
      ...(ssl !== undefined && { ssl: typeof ssl === 'string' ? ssl : { ...ssl } }),
    });
    // Errors after connecting reach the pending query; without a listener they would crash the process.
    connection.on('error', () => {});
    return connection;
  } catch (error) {
    if (mysqlAuthFailure(error) !== undefined) return undefined;
    throw fail(
      ctx,
      `Could not connect to MySQL as ${describeLogin(username, { ...target, dbname })}: ${reasonOf(error)}`,
      causeOf(error),
    );
  }
}

/** Whether the credential logs in (the connection is closed again). */
export async function canLogin(
  ctx: RotationContext,
  options: MysqlRotatorOptions,
  target: LoginTarget,
  username: string,
  password: Secret<string>,
): Promise<boolean> {
  const connection = await login(ctx, options, target, username, password);
  if (connection === undefined) return false;
  await close(connection);
  return true;
}

export const close = (connection: mysql.Connection): Promise<void> =>
  connection.end().catch(() => connection.destroy());

/** The RotationError for a step's statement that the server refused. */
export const statementFailed = (
  ctx: RotationContext,
  what: string,
  asWhom: string,
  error: unknown,
): RotationError => fail(ctx, `Could not ${what} as ${asWhom}: ${reasonOf(error)}`, causeOf(error));

/** Runs one statement; a refusal becomes a RotationError that says what was being done, never the statement. */
export async function run(
  ctx: RotationContext,
  connection: mysql.Connection,
  sql: string,
  what: string,
  asWhom: string,
): Promise<void> {
  try {
    await connection.query(sql);
  } catch (error) {
    throw statementFailed(ctx, what, asWhom, error);
  }
}

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
    throw statementFailed(ctx, what, asWhom, error);
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
  await run(ctx, connection, "SET SESSION sql_mode = ''", 'set the session sql_mode', asWhom);
  const [[version]] = (await rows(ctx, connection, 'SELECT VERSION()', [], 'read the version', asWhom)) as [
    [unknown],
  ];
  return /mariadb/i.test(String(version)) ? 'mariadb' : 'mysql';
}
