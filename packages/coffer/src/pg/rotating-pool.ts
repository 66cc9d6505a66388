import pg from 'pg';
import { postgresAuthFailure } from '../database/auth-failures.js';
import type { DatabaseCredentials } from '../database/credentials.js';
import type {
  PasswordSource,
  RotatingPoolSwitch,
  RotatingPoolSwitchReason,
} from '../database/pool-versions.js';
import { RotatingPoolBase, type RotatingPoolBaseOptions } from '../database/rotating-pool-base.js';

export type { RotatingPoolSwitchReason };

export interface RotatingPoolOptions
  extends RotatingPoolBaseOptions,
    Omit<pg.PoolConfig, 'user' | 'password' | 'connectionString'> {}

export interface RotatingPoolEvents {
  connect: [client: pg.PoolClient];
  acquire: [client: pg.PoolClient];
  release: [err: Error | undefined, client: pg.PoolClient];
  remove: [client: pg.PoolClient];
  /** An idle client lost its connection (as pg.Pool's `error`: without a listener, the process crashes). */
  error: [err: Error, client: pg.PoolClient];
  /** New connections now use another version of the secret; the previous pool drains. */
  rotated: [event: RotatingPoolSwitch];
}

type QueryCallback<R> = (err: Error | undefined, result: R) => void;
type ConnectCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

const NOOP = () => {};

/**
 * A pg.Pool whose credentials come from a Secrets Manager database secret and follow its rotation without
 * downtime. Each version of the secret gets its own inner pg.Pool (the alternating-users strategy changes the user
 * too): when the secret rotates, new checkouts go to a new pool while the old one drains, ending only after its
 * checked-out clients are released. A connection the database refuses (SQLSTATE 28P01 or 28000) is retried once
 * after a forced refresh of AWSCURRENT and then with AWSPENDING, which covers single-user rotation between
 * setSecret and finishSecret. Passwords are read through a password function per connection: no pool config
 * holds one, and no error or log shows one.
 *
 * During a switch, the old and the new pool together may hold up to twice `max` connections.
 *
 * @example
 * ```ts
 * const pool = createRotatingPool({ secretId: 'prod/db', cache, max: 20, maxLifetimeSeconds: 900 });
 * const { rows } = await pool.query('select now()');
 * ```
 */
export class RotatingPool extends RotatingPoolBase<
  RotatingPoolEvents,
  pg.PoolClient,
  pg.Pool,
  pg.PoolConfig
> {
  constructor(options: RotatingPoolOptions) {
    super(options, {
      label: 'coffer/pg',
      example: { engine: 'postgres', port: 5432 },
      usage: '{ secretId, cache, ...pg.PoolConfig }',
      fromTheSecret: ['user', 'password', 'connectionString'],
      authFailure: postgresAuthFailure,
    });
  }

  get totalCount(): number {
    return this.#sum((pool) => pool.totalCount);
  }

  get idleCount(): number {
    return this.#sum((pool) => pool.idleCount);
  }

  get waitingCount(): number {
    return this.#sum((pool) => pool.waitingCount);
  }

  get expiredCount(): number {
    return this.#sum((pool) => pool.expiredCount);
  }

  /** Checks out a client; call `client.release()` when done (or `release(err)` to discard a broken one). */
  connect(): Promise<pg.PoolClient>;
  connect(callback: ConnectCallback): void;
  connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    const promise = this.acquire();
    if (callback === undefined) return promise;
    promise.then(
      (client) => callback(undefined, client, (release?: unknown) => client.release(release as Error)),
      (error: Error) => callback(error, undefined, NOOP),
    );
    return undefined;
  }

  /** Runs one query on a pooled client, as pg.Pool's `query` does. */
  query<R extends unknown[] = unknown[], I = unknown[]>(
    queryConfig: pg.QueryArrayConfig<I>,
    values?: pg.QueryConfigValues<I>,
  ): Promise<pg.QueryArrayResult<R>>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow, I = unknown[]>(
    queryConfig: pg.QueryConfig<I>,
  ): Promise<pg.QueryResult<R>>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow, I = unknown[]>(
    queryTextOrConfig: string | pg.QueryConfig<I>,
    values?: pg.QueryConfigValues<I>,
  ): Promise<pg.QueryResult<R>>;
  query<R extends unknown[] = unknown[], I = unknown[]>(
    queryConfig: pg.QueryArrayConfig<I>,
    callback: QueryCallback<pg.QueryArrayResult<R>>,
  ): void;
  query<R extends pg.QueryResultRow = pg.QueryResultRow, I = unknown[]>(
    queryTextOrConfig: string | pg.QueryConfig<I>,
    callback: QueryCallback<pg.QueryResult<R>>,
  ): void;
  query<R extends pg.QueryResultRow = pg.QueryResultRow, I = unknown[]>(
    queryText: string,
    values: pg.QueryConfigValues<I>,
    callback: QueryCallback<pg.QueryResult<R>>,
  ): void;
  query(...args: unknown[]): Promise<unknown> | undefined {
    const last = args[args.length - 1];
    const callback = typeof last === 'function' ? (args.pop() as QueryCallback<unknown>) : undefined;
    const [text, values] = args;
    const promise =
      text === null || text === undefined
        ? Promise.reject(new TypeError('RotatingPool.query takes query text or a QueryConfig, got nothing.'))
        : typeof text === 'function' || (typeof text === 'object' && 'submit' in text)
          ? Promise.reject(
              new TypeError(
                'RotatingPool.query takes query text or a QueryConfig; for a cursor or stream, check out a client with connect().',
              ),
            )
          : this.#run(text as string | pg.QueryConfig, values as unknown[] | undefined);
    if (callback === undefined) return promise;
    promise.then(
      (result) => callback(undefined, result),
      (error: Error) => callback(error, undefined),
    );
    return undefined;
  }

  /** Ends every pool once its clients are released, and stops following the secret. */
  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | undefined {
    const ending = super.end();
    if (callback === undefined) return ending;
    ending.then(callback, callback);
    return undefined;
  }

  protected override counts(): Record<string, number> {
    return { totalCount: this.totalCount, idleCount: this.idleCount, waitingCount: this.waitingCount };
  }

  // ---------------------------------------------------------------------------------------------------------

  #sum(count: (pool: pg.Pool) => number): number {
    let total = 0;
    for (const pool of this.pools()) total += count(pool);
    return total;
  }

  async #run(text: string | pg.QueryConfig, values: unknown[] | undefined): Promise<pg.QueryResult> {
    const client = await this.acquire();
    return new Promise((resolve, reject) => {
      // As pg.Pool does: a connection error during the query releases the client as broken.
      let released = false;
      const onError = (error: Error) => {
        if (released) return;
        released = true;
        client.release(error);
        reject(error);
      };
      client.once('error', onError);
      let running: Promise<pg.QueryResult>;
      try {
        running = client.query(text as pg.QueryConfig, values);
      } catch (error) {
        // pg refuses some arguments synchronously (no query text): the connection is fine, give it back.
        client.removeListener('error', onError);
        released = true;
        client.release();
        reject(error);
        return;
      }
      running.then(
        (result) => {
          client.removeListener('error', onError);
          if (released) return;
          released = true;
          client.release();
          resolve(result);
        },
        (error: Error) => {
          client.removeListener('error', onError);
          if (released) return;
          released = true;
          client.release(error);
          reject(error);
        },
      );
    });
  }

  /** The pg.Pool for one version of the secret. */
  protected override createPool(credentials: DatabaseCredentials, password: PasswordSource): pg.Pool {
    const pool = new pg.Pool({
      ...this.connectTo(credentials),
      // Asked for each new connection: the password is in no config object.
      password: () => password.next(),
    });
    pool.on('connect', (client) => this.emit('connect', client));
    pool.on('acquire', (client) => this.emit('acquire', client));
    pool.on('remove', (client) => this.emit('remove', client));
    pool.on('release', (error: Error | undefined, client) => this.emit('release', error, client));
    pool.on('error', (error, client) => this.emit('error', error, client));
    return pool;
  }
}

/**
 * A pg.Pool that reads its credentials from a Secrets Manager database secret through `cache` and follows the
 * secret's rotation without dropping a query. See {@link RotatingPool}.
 */
export function createRotatingPool(options: RotatingPoolOptions): RotatingPool {
  return new RotatingPool(options);
}
