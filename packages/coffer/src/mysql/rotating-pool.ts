import type { PoolConnection as CorePoolConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import { mysqlAuthFailure } from '../database/auth-failures.js';
import type { DatabaseCredentials } from '../database/credentials.js';
import type { InnerPool, PasswordSource, RotatingPoolSwitch } from '../database/pool-versions.js';
import { RotatingPoolBase, type RotatingPoolBaseOptions } from '../database/rotating-pool-base.js';

/** What the secret provides, so the options must not. */
const FROM_THE_SECRET = [
  'user',
  'password',
  'password1',
  'password2',
  'password3',
  'passwordSha1',
  'uri',
] as const;

export interface RotatingPoolOptions
  extends RotatingPoolBaseOptions,
    Omit<mysql.PoolOptions, (typeof FROM_THE_SECRET)[number]> {}

/** mysql2's pool events (with its core connections, as mysql2 emits them), and `rotated`. */
export interface RotatingPoolEvents {
  connection: [connection: CorePoolConnection];
  acquire: [connection: CorePoolConnection];
  release: [connection: CorePoolConnection];
  enqueue: [];
  /** New connections now use another version of the secret; the previous pool drains. */
  rotated: [event: RotatingPoolSwitch];
}

/**
 * A mysql2 pool for one version of the secret that knows how many of its connections are checked out: mysql2's
 * own end() closes them even mid-transaction, so a retired pool ends only once they are all back.
 */
class CountedPool implements InnerPool<mysql.PoolConnection> {
  readonly pool: mysql.Pool;
  #checkedOut = 0;
  #whenIdle: (() => void) | undefined;

  constructor(pool: mysql.Pool) {
    this.pool = pool;
  }

  async connect(): Promise<mysql.PoolConnection> {
    const connection = await this.pool.getConnection();
    this.#checkedOut++;
    let back = false;
    const giveBack = () => {
      if (back) return;
      back = true;
      this.#checkedOut--;
      if (this.#checkedOut === 0) this.#whenIdle?.();
    };
    // Every way a pooled connection goes back (or away) counts it back, once.
    const { release, destroy, end } = connection;
    connection.release = () => {
      release.call(connection);
      giveBack();
    };
    connection.destroy = () => {
      destroy.call(connection);
      giveBack();
    };
    connection.end = () => end.call(connection).finally(giveBack);
    return connection;
  }

  async end(): Promise<void> {
    if (this.#checkedOut > 0) {
      await new Promise<void>((resolve) => {
        this.#whenIdle = resolve;
      });
    }
    await this.pool.end();
  }
}

/**
 * A mysql2 pool (`mysql2/promise`) whose credentials come from a Secrets Manager database secret and follow its
 * rotation without downtime, as coffer/pg's does for PostgreSQL (the same version switching). Each version of the
 * secret gets its own inner mysql2 pool (alternating users change the user too): when the secret rotates, new
 * checkouts go to a new pool while the old one drains, ending only after its checked-out connections are
 * released. A connection the database refuses (1045 access denied) is retried after a forced refresh of
 * AWSCURRENT and then with AWSPENDING, which covers single-user rotation between setSecret and finishSecret.
 *
 * The password is read for each new connection through a non-enumerable accessor on the pool's connection
 * config: no config object holds it as data, and inspecting a pool or a connection never shows it.
 *
 * During a switch, the old and the new pool together may hold up to twice `connectionLimit` connections.
 *
 * @example
 * ```ts
 * const pool = createRotatingPool({ secretId: 'prod/db', cache, connectionLimit: 20 });
 * const [rows] = await pool.query<RowDataPacket[]>('SELECT NOW() AS now');
 * ```
 */
export class RotatingPool extends RotatingPoolBase<
  RotatingPoolEvents,
  mysql.PoolConnection,
  CountedPool,
  Omit<mysql.PoolOptions, (typeof FROM_THE_SECRET)[number]>
> {
  /** How escape() and format() write objects and dates, as the pool's connections do. */
  readonly #stringifyObjects: boolean | undefined;
  readonly #timezone: mysql.Timezone | undefined;

  constructor(options: RotatingPoolOptions) {
    super(options, {
      label: 'coffer/mysql',
      example: { engine: 'mysql', port: 3306 },
      usage: '{ secretId, cache, ...mysql2 PoolOptions }',
      fromTheSecret: FROM_THE_SECRET,
      authFailure: mysqlAuthFailure,
    });
    this.#stringifyObjects = options.stringifyObjects;
    this.#timezone = options.timezone as mysql.Timezone | undefined;
  }

  /** Checks out a connection; call `connection.release()` when done (or `destroy()` to discard it). */
  getConnection(): Promise<mysql.PoolConnection> {
    return this.acquire();
  }

  /** Runs one query on a pooled connection, as mysql2's `pool.query` does. */
  query<T extends mysql.QueryResult>(
    sql: string,
    values?: mysql.QueryValues,
  ): Promise<[T, mysql.FieldPacket[]]>;
  query<T extends mysql.QueryResult>(
    options: mysql.QueryOptions,
    values?: mysql.QueryValues,
  ): Promise<[T, mysql.FieldPacket[]]>;
  query<T extends mysql.QueryResult>(
    sql: string | mysql.QueryOptions,
    values?: mysql.QueryValues,
  ): Promise<[T, mysql.FieldPacket[]]> {
    return this.#run((connection) => connection.query<T>(sql as string, values));
  }

  /** Prepares (once per connection) and runs a statement on a pooled connection, as mysql2's `pool.execute` does. */
  execute<T extends mysql.QueryResult>(
    sql: string,
    values?: mysql.ExecuteValues,
  ): Promise<[T, mysql.FieldPacket[]]>;
  execute<T extends mysql.QueryResult>(
    options: mysql.QueryOptions,
    values?: mysql.ExecuteValues,
  ): Promise<[T, mysql.FieldPacket[]]>;
  execute<T extends mysql.QueryResult>(
    sql: string | mysql.QueryOptions,
    values?: mysql.ExecuteValues,
  ): Promise<[T, mysql.FieldPacket[]]> {
    return this.#run((connection) => connection.execute<T>(sql as string, values));
  }

  /** A value as a SQL literal, with this pool's stringifyObjects and timezone. */
  escape(value: mysql.SqlValue): string {
    return mysql.escape(value, this.#stringifyObjects, this.#timezone);
  }

  /** An identifier (or `db.table`) quoted with backticks. */
  escapeId(value: string | string[]): string {
    return mysql.escapeId(value);
  }

  /** `sql` with its `?` and `??` placeholders filled in, as mysql2 would send it. */
  format(sql: string, values?: unknown): string {
    return mysql.format(sql, values as never, this.#stringifyObjects, this.#timezone);
  }

  // ---------------------------------------------------------------------------------------------------------

  /** One statement on a checked-out connection, given back after; a connection that broke is dropped, as mysql2 does. */
  async #run<R>(work: (connection: mysql.PoolConnection) => Promise<R>): Promise<R> {
    const connection = await this.acquire();
    let result: R;
    try {
      result = await work(connection);
    } catch (error) {
      if ((error as { fatal?: unknown } | null)?.fatal === true) connection.destroy();
      else connection.release();
      throw error;
    }
    connection.release();
    return result;
  }

  /** The mysql2 pool for one version of the secret. */
  protected override createPool(credentials: DatabaseCredentials, password: PasswordSource): CountedPool {
    const pool = mysql.createPool(this.connectTo(credentials));
    // mysql2 reads `password` from the connection config as each connection logs in, and copies the config's
    // property descriptors into every connection's own: an accessor asks the version switching each time, so no
    // object holds the password as data, and a non-enumerable one stays out of inspect and JSON.
    const { connectionConfig } = (pool.pool as unknown as { config: { connectionConfig: object } }).config;
    Object.defineProperty(connectionConfig, 'password', {
      get: () => password.now(),
      enumerable: false,
      configurable: true,
    });
    pool.on('connection', (connection) =>
      this.emit('connection', connection as unknown as CorePoolConnection),
    );
    pool.on('acquire', (connection) => this.emit('acquire', connection as unknown as CorePoolConnection));
    pool.on('release', (connection) => this.emit('release', connection as unknown as CorePoolConnection));
    pool.on('enqueue', () => this.emit('enqueue'));
    return new CountedPool(pool);
  }
}

/**
 * A mysql2 pool that reads its credentials from a Secrets Manager database secret through `cache` and follows
 * the secret's rotation without dropping a query. See {@link RotatingPool}.
 */
export function createRotatingPool(options: RotatingPoolOptions): RotatingPool {
  return new RotatingPool(options);
}
