import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { postgresAuthFailure } from '../../database/postgres-auth.js';
import {
  DATABASE_SECRET_LAYOUT,
  isInvalidDatabaseSecret,
  parseDatabaseSecret,
} from '../../database/secret.js';
import type { Secret } from '../../secret/secret.js';
import { type AwsStage, CURRENT, PENDING, PREVIOUS } from '../../stages.js';
import type { PasswordOptions, RotationContext } from '../context.js';
import { RotationError } from '../errors.js';

/** TLS for the connections a rotator opens: pg's `ssl` option. */
export type PostgresSsl = boolean | ConnectionOptions;

/** Options both PostgreSQL rotators take. */
export interface PostgresRotatorOptions {
  /** New passwords, from GetRandomPassword. @default length 32, excluding the characters / @ " ' \ */
  password?: PasswordOptions;
  /**
   * TLS for every connection, passed to pg as `ssl` (e.g. `{ ca: rdsCaBundle }`). Overrides the secret's own
   * `ssl` field (`true`, `false`, `"true"`, `"false"` or pg's TLS options). @default the secret's `ssl`
   * field; without one, pg's default
   */
  ssl?: PostgresSsl;
  /** How long each connection attempt may take. @default 5000 */
  connectionTimeoutMillis?: number;
  /** The query testSecret runs as the pending user. @default 'SELECT 1' */
  testQuery?: string;
  /** PBKDF2 iterations of the SCRAM-SHA-256 verifiers sent to PostgreSQL. @default 4096 */
  scramIterations?: number;
}

/** A database credential from a secret in AWS's layout: engine, host, port, username, password, dbname. */
export interface Credential {
  readonly host: string;
  readonly port: number;
  readonly dbname: string;
  readonly username: string;
  readonly password: Secret<string>;
  readonly ssl: PostgresSsl | undefined;
  /** The whole JSON object, for building the next version from it. */
  readonly fields: Secret<Readonly<Record<string, unknown>>>;
}

const DEFAULT_CONNECTION_TIMEOUT_MILLIS = 5_000;
export const DEFAULT_TEST_QUERY = 'SELECT 1';
/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1 bytes). */
export const MAX_IDENTIFIER_BYTES = 63;

const fail = (ctx: RotationContext, message: string, cause?: unknown): RotationError =>
  new RotationError(message, {
    secretId: ctx.secretId,
    step: ctx.step,
    ...(cause !== undefined && { cause }),
  });

function sslOf(value: unknown): PostgresSsl | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
    return undefined;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as ConnectionOptions;
  return undefined;
}

/** Reads and checks a credential from a JSON object; `label` names it in errors (never a value). */
function parseCredential(
  ctx: RotationContext,
  value: Readonly<Record<string, unknown>>,
  label: string,
  defaults: { host?: string; port?: number; dbname?: string } = {},
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
      `${label} is not a PostgreSQL credential: ${missing.map((key) => `"${key}"`).join(', ')} missing or invalid (expected AWS's layout: ${DATABASE_SECRET_LAYOUT}).`,
    );
  }
  return {
    host,
    port: parsed.port ?? defaults.port ?? 5432,
    dbname: parsed.dbname ?? defaults.dbname ?? 'postgres',
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

/** The superuser credential named by the secret's `masterarn`, read with GetSecretValue (AWSCURRENT). */
export async function masterOf(ctx: RotationContext, current: Credential): Promise<Credential> {
  const arn = current.fields.reveal().masterarn;
  if (typeof arn !== 'string' || arn === '') {
    throw fail(
      ctx,
      `Secret ${ctx.secretId} has no "masterarn": alternatingUsers needs the ARN of a secret holding a user that can create roles.`,
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
  // The master logs in where the rotated user does, whatever host its own secret names (an RDS-managed master
  // secret holds only a username and password): roles must change on the server the user connects to, and
  // objects move in the user's database.
  return {
    ...master,
    host: current.host,
    port: current.port,
    dbname: current.dbname,
    ssl: master.ssl ?? current.ssl,
  };
}

/** `user "u" at host:port/db`, for messages. */
export const describeLogin = (username: string, at: { host: string; port: number; dbname: string }): string =>
  `user ${JSON.stringify(username)} at ${at.host}:${at.port}/${at.dbname}`;

export interface LoginTarget {
  host: string;
  port: number;
  dbname: string;
  ssl: PostgresSsl | undefined;
}

/**
 * Logs in: a connected client, or undefined when PostgreSQL refuses the credential. Any other failure (the
 * server is unreachable, the database does not exist) throws a RotationError: it says nothing about the password.
 */
export async function login(
  ctx: RotationContext,
  options: PostgresRotatorOptions,
  target: LoginTarget,
  username: string,
  password: Secret<string>,
): Promise<pg.Client | undefined> {
  const ssl = options.ssl ?? target.ssl;
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    database: target.dbname,
    user: username,
    password: password.reveal(),
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? DEFAULT_CONNECTION_TIMEOUT_MILLIS,
    application_name: 'coffer-rotation',
    ...(ssl !== undefined && { ssl }),
  });
  // Errors after connecting reach the pending query; without a listener they would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    if (postgresAuthFailure(error) !== undefined) return undefined;
    throw fail(
      ctx,
      `Could not connect to PostgreSQL as ${describeLogin(username, target)}: ${reasonOf(error)}`,
      error,
    );
  }
}

/** Whether the credential logs in (the client is closed again). */
export async function canLogin(
  ctx: RotationContext,
  options: PostgresRotatorOptions,
  target: LoginTarget,
  username: string,
  password: Secret<string>,
): Promise<boolean> {
  const client = await login(ctx, options, target, username, password);
  if (client === undefined) return false;
  await close(client);
  return true;
}

export const close = (client: pg.Client): Promise<void> => client.end().catch(() => {});

/** A PostgreSQL or network error's text, with its SQLSTATE; these never contain a password. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}

export { fail as rotationError };

/** The RotationError for a step's statement that PostgreSQL refused. */
export const statementFailed = (
  ctx: RotationContext,
  what: string,
  asWhom: string,
  error: unknown,
): RotationError => fail(ctx, `Could not ${what} as ${asWhom}: ${reasonOf(error)}`, error);
