import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import pg from 'pg';
import type { SecretCache } from '../cache/secret-cache.js';
import { postgresAuthFailure } from '../database/auth-failures.js';
import type { DatabaseCredentials } from '../database/credentials.js';
import {
  checkRotatingPoolOptions,
  type PasswordSource,
  PoolVersions,
  type RotatingPoolSwitch,
  type RotatingPoolSwitchReason,
} from '../database/pool-versions.js';
import { type CofferLogger, silentLogger } from '../logger.js';

export type { RotatingPoolSwitchReason };

export interface RotatingPoolOptions extends Omit<pg.PoolConfig, 'user' | 'password' | 'connectionString'> {
  /** The database secret (name or ARN), in AWS's layout: `{ engine, host, port, username, password, dbname }`. */
  secretId: string;
  /** Where credentials are read from; the pool follows its `rotated` events. */
  cache: SecretCache;
  /** Where version switches and authentication retries are reported (never a password). @default silent */
  logger?: CofferLogger;
}

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
export class RotatingPool extends EventEmitter<RotatingPoolEvents> implements AsyncDisposable {
  readonly #secretId: string;
  readonly #config: pg.PoolConfig;
  readonly #versions: PoolVersions<pg.PoolClient, pg.Pool>;

  constructor(options: RotatingPoolOptions) {
    super();
    checkRotatingPoolOptions(options, '{ secretId, cache, ...pg.PoolConfig }', [
      'user',
      'password',
      'connectionString',
    ]);
    const { secretId, cache, logger, ...config } = options;
    this.#secretId = secretId;
    this.#config = config;
    this.#versions = new PoolVersions({
      secretId,
      cache,
      logger: logger ?? silentLogger,
      label: 'coffer/pg',
      example: { engine: 'postgres', port: 5432 },
      createPool: (credentials, password) => this.#createPool(credentials, password),
      authFailure: postgresAuthFailure,
      onSwitch: (event) => this.emit('rotated', event),
    });
  }

  /** The secret version new connections use; undefined before the first connection. */
  get versionId(): string | undefined {
    return this.#versions.credentials?.versionId;
  }

  /** The database user new connections log in as; undefined before the first connection. */
  get user(): string | undefined {
    return this.#versions.credentials?.username;
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

  /** Pools of earlier versions still waiting for their checked-out clients. */
  get drainingCount(): number {
    return this.#versions.drainingCount;
  }

  get ending(): boolean {
    return this.#versions.ending;
  }

  get ended(): boolean {
    return this.#versions.ended;
  }

  /** Checks out a client; call `client.release()` when done (or `release(err)` to discard a broken one). */
  connect(): Promise<pg.PoolClient>;
  connect(callback: ConnectCallback): void;
  connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    const promise = this.#versions.acquire();
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
  end(): Promise<void>;
  end(callback: () => void): void;
  end(callback?: () => void): Promise<void> | undefined {
    const ending = this.#versions.end();
    if (callback === undefined) return ending;
    ending.then(callback, callback);
    return undefined;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.end();
  }

  [inspect.custom](): string {
    return `RotatingPool ${inspect(this.toJSON())}`;
  }

  /** What the pool is doing; never a credential beyond the user name. */
  toJSON(): Record<string, unknown> {
    return {
      secretId: this.#secretId,
      versionId: this.versionId,
      user: this.user,
      totalCount: this.totalCount,
      idleCount: this.idleCount,
      waitingCount: this.waitingCount,
      draining: this.drainingCount,
      ending: this.ending,
    };
  }

  // ---------------------------------------------------------------------------------------------------------

  #sum(count: (pool: pg.Pool) => number): number {
    let total = 0;
    for (const pool of this.#versions.pools()) total += count(pool);
    return total;
  }

  async #run(text: string | pg.QueryConfig, values: unknown[] | undefined): Promise<pg.QueryResult> {
    const client = await this.#versions.acquire();
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
  #createPool(credentials: DatabaseCredentials, password: PasswordSource): pg.Pool {
    const config = this.#config;
    const host = config.host ?? credentials.host;
    const port = config.port ?? credentials.port;
    const database = config.database ?? credentials.dbname;
    const pool = new pg.Pool({
      ...config,
      ...(host !== undefined && { host }),
      ...(port !== undefined && { port }),
      ...(database !== undefined && { database }),
      user: credentials.username,
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
