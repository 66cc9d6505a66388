import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { postgresAuthFailure } from '../../database/auth-failures.js';
import type { RotationContext } from '../context.js';
import { describeLogin } from '../database/credentials.js';
import type { Credential, DatabaseEngine, DatabaseRotatorOptions } from '../database/engine.js';
import { rotationError } from '../errors.js';
import { scramSha256Verifier } from './scram.js';

/** TLS for the connections a rotator opens: pg's `ssl` option. */
export type PostgresSsl = boolean | ConnectionOptions;

/** Options both PostgreSQL rotators take. */
export interface PostgresRotatorOptions extends DatabaseRotatorOptions {
  /**
   * TLS for every connection, passed to pg as `ssl` (e.g. `{ ca: rdsCaBundle }`). Overrides the secret's own
   * `ssl` field (`true`, `false`, `"true"`, `"false"` or pg's TLS options). @default the secret's `ssl`
   * field; without one, pg's default
   */
  ssl?: PostgresSsl;
  /** How long each connection attempt may take. @default 5000 */
  connectionTimeoutMillis?: number;
  /** PBKDF2 iterations of the SCRAM-SHA-256 verifiers sent to PostgreSQL. @default 4096 */
  scramIterations?: number;
}

export type PostgresCredential = Credential<PostgresSsl>;

const DEFAULT_CONNECTION_TIMEOUT_MILLIS = 5_000;
/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1 bytes). */
export const MAX_IDENTIFIER_BYTES = 63;

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

/** PostgreSQL through pg: a session is a connected pg.Client, always in the secret's database. */
export const postgresEngine: DatabaseEngine<pg.Client, PostgresSsl, PostgresRotatorOptions> = {
  name: 'PostgreSQL',
  defaultPort: 5432,
  defaultDatabase: 'postgres',
  engines: undefined,
  masterCan: 'create roles',
  // Roles must change where the user connects, and its objects move in its own database.
  masterUsesUsersDatabase: true,
  sslOf,
  databaseOf: (target) => target.dbname,

  async connect(options, target, username, password) {
    const ssl = options.ssl ?? target.ssl;
    const client = new pg.Client({
      host: target.host,
      port: target.port,
      ...(target.dbname !== undefined && { database: target.dbname }),
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
      throw error;
    }
  },

  isAuthFailure: (error) => postgresAuthFailure(error) !== undefined,
  query: (client, sql) => client.query(sql),
  close: (client) => client.end().catch(() => {}),

  /** A PostgreSQL or network error's text, with its SQLSTATE; these never contain a password. */
  reasonOf(error) {
    if (!(error instanceof Error)) return 'unknown error';
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  },
  causeOf: (error) => error,
};

/** The SCRAM-SHA-256 verifier PostgreSQL is given instead of the password. */
export function verifierFor(
  ctx: RotationContext,
  options: PostgresRotatorOptions,
  pending: PostgresCredential,
): string {
  try {
    return scramSha256Verifier(pending.password.reveal(), {
      ...(options.scramIterations !== undefined && { iterations: options.scramIterations }),
    });
  } catch (error) {
    throw rotationError(
      ctx,
      `The pending password of ${describeLogin(pending.username, pending)} cannot be sent as a SCRAM-SHA-256 verifier: ${error instanceof Error ? error.message : 'invalid'}`,
    );
  }
}
