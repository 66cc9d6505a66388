import type { Secret } from '../../secret/secret.js';
import type { PasswordOptions } from '../context.js';

/**
 * What the database rotators (coffer/rotation/postgres, coffer/rotation/mysql) share: the four steps' flow,
 * reading credentials in AWS's layout, logging in with a fallback to AWSPREVIOUS, and errors that name user,
 * host, port and database but never a password. An engine supplies only what its driver and dialect decide:
 * how to connect, which errors mean a refused password, and how to describe an error without leaking.
 */

/** The options every database rotator takes, whatever the engine. */
export interface DatabaseRotatorOptions {
  /** New passwords, from GetRandomPassword. @default length 32, excluding the characters / @ " ' \ */
  password?: PasswordOptions;
  /** The query testSecret runs as the pending user, in the secret's database. @default 'SELECT 1' */
  testQuery?: string;
}

/** A database credential from a secret in AWS's layout: engine, host, port, username, password, dbname. */
export interface Credential<Ssl> {
  readonly host: string;
  readonly port: number;
  /** The secret's database (PostgreSQL: `postgres` if it names none; MySQL: none then). */
  readonly dbname: string | undefined;
  readonly username: string;
  readonly password: Secret<string>;
  readonly ssl: Ssl | undefined;
  /** The master secret's ARN (alternatingUsers), when the secret names one. */
  readonly masterarn: string | undefined;
  /** The whole JSON object, for building the next version from it. */
  readonly fields: Secret<Readonly<Record<string, unknown>>>;
}

/** Where a login goes. */
export type LoginTarget<Ssl> = Pick<Credential<Ssl>, 'host' | 'port' | 'dbname' | 'ssl'>;

/** One engine's driver and dialect, as the shared rotation steps use it. `Session` is a driver connection. */
export interface DatabaseEngine<Session, Ssl, Options extends DatabaseRotatorOptions> {
  /** For messages: `PostgreSQL`, `MySQL`. */
  readonly name: string;
  readonly defaultPort: number;
  /** The database of a secret that names none; undefined selects none. */
  readonly defaultDatabase: string | undefined;
  /** The `engine` values this engine takes (and how to say so), when it checks them. */
  readonly engines: { readonly pattern: RegExp; readonly described: string } | undefined;
  /** What alternatingUsers' master must be able to do, for the error when a secret has no `masterarn`. */
  readonly masterCan: string;
  /**
   * Whether the master logs in to the rotated user's database (PostgreSQL: objects move there) rather than to
   * the one its own secret names (MySQL: accounts are server-wide; the master selects no database).
   */
  readonly masterUsesUsersDatabase: boolean;
  /** The secret's `ssl` field as the driver takes it. */
  sslOf(value: unknown): Ssl | undefined;
  /** The database a login selects: the target's always, or only when `asked` (testSecret). */
  databaseOf(target: LoginTarget<Ssl>, asked: boolean): string | undefined;
  /** Logs in; rejects with the driver's error, leaving nothing open. */
  connect(
    options: Options,
    target: LoginTarget<Ssl>,
    username: string,
    password: Secret<string>,
  ): Promise<Session>;
  /** Whether a login failed because the server refused the credential. */
  isAuthFailure(error: unknown): boolean;
  /** Runs one statement. */
  query(session: Session, sql: string): Promise<unknown>;
  /** Closes a session; never fails. */
  close(session: Session): Promise<void>;
  /** A driver error's text with its code, for messages: never a password, nor a statement that may hold one. */
  reasonOf(error: unknown): string;
  /** What a RotationError keeps as `cause` for a driver error. */
  causeOf(error: unknown): unknown;
}
