import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import pg from 'pg';
import type { SecretCacheEvents } from '../cache/events.js';
import type { SecretCache } from '../cache/secret-cache.js';
import { postgresAuthFailure } from '../database/postgres-auth.js';
import { ClosedError, CofferError, SecretNotFoundError } from '../errors.js';
import { type CofferLogger, silentLogger } from '../logger.js';
import type { SecretResult } from '../read/decode.js';
import { checkSecretId } from '../read/options.js';
import { CURRENT, PENDING } from '../stages.js';
import { credentialsOf, type DatabaseCredentials } from './credentials.js';
import { DatabaseAuthenticationError } from './errors.js';

export interface RotatingPoolOptions extends Omit<pg.PoolConfig, 'user' | 'password' | 'connectionString'> {
  /** The database secret (name or ARN), in AWS's layout: `{ engine, host, port, username, password, dbname }`. */
  secretId: string;
  /** Where credentials are read from; the pool follows its `rotated` events. */
  cache: SecretCache;
  /** Where version switches and authentication retries are reported (never a password). @default silent */
  logger?: CofferLogger;
}

/** Why the pool moved to another version of the secret. */
export type RotatingPoolSwitchReason =
  /** The first read of the secret. */
  | 'initial'
  /** The cache reported that AWSCURRENT moved. */
  | 'rotated'
  /** A new connection found a newer AWSCURRENT in the cache. */
  | 'observed'
  /** The database refused a password; a forced refresh of AWSCURRENT found a new version. */
  | 'refreshed'
  /** The database refused AWSCURRENT's password but took AWSPENDING's (single-user rotation, before finishSecret). */
  | 'pending';

export interface RotatingPoolEvents {
  connect: [client: pg.PoolClient];
  acquire: [client: pg.PoolClient];
  release: [err: Error | undefined, client: pg.PoolClient];
  remove: [client: pg.PoolClient];
  /** An idle client lost its connection (as pg.Pool's `error`: without a listener, the process crashes). */
  error: [err: Error, client: pg.PoolClient];
  /** New connections now use another version of the secret; the previous pool drains. */
  rotated: [
    event: {
      previousVersionId: string | undefined;
      versionId: string;
      user: string;
      reason: RotatingPoolSwitchReason;
    },
  ];
}

/** One version of the secret and the pg.Pool that connects with it. */
interface Generation {
  readonly credentials: DatabaseCredentials;
  readonly pool: pg.Pool;
  /** connect() calls in flight: the pool is ended only once none waits in its queue (pg drops waiters on end). */
  inflight: number;
  retiring: boolean;
  ended: Promise<void> | undefined;
  recovering: { current?: Promise<void> | undefined; pending?: Promise<void> | undefined };
}

type QueryCallback<R> = (err: Error | undefined, result: R) => void;
type ConnectCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/** Versions remembered so that a stale read of AWSCURRENT cannot take the pool back to one. */
const MAX_SEEN = 64;
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
  readonly #cache: SecretCache;
  readonly #logger: CofferLogger;
  readonly #config: pg.PoolConfig;
  #current: Generation | undefined;
  readonly #draining = new Set<Generation>();
  readonly #seen = new Set<string>();
  #starting: Promise<Generation> | undefined;
  readonly #unsubscribe: () => void;
  #ending: Promise<void> | undefined;
  #ended = false;

  constructor(options: RotatingPoolOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError('createRotatingPool takes options: { secretId, cache, ...pg.PoolConfig }.');
    }
    const { secretId, cache, logger, ...config } = options;
    checkSecretId(secretId);
    if (cache === null || typeof cache !== 'object' || typeof cache.get !== 'function') {
      throw new TypeError('cache must be a SecretCache.');
    }
    for (const key of ['user', 'password', 'connectionString'] as const) {
      if (key in options) {
        throw new TypeError(
          `${key} comes from the secret "${secretId}": remove it from the pool options (host, port and database may be overridden).`,
        );
      }
    }
    this.#secretId = secretId;
    this.#cache = cache;
    this.#logger = logger ?? silentLogger;
    this.#config = config;
    this.#unsubscribe = cache.on('rotated', (event) => this.#onRotated(event));
  }

  /** The secret version new connections use; undefined before the first connection. */
  get versionId(): string | undefined {
    return this.#current?.credentials.versionId;
  }

  /** The database user new connections log in as; undefined before the first connection. */
  get user(): string | undefined {
    return this.#current?.credentials.username;
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
    return this.#draining.size;
  }

  get ending(): boolean {
    return this.#ending !== undefined;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Checks out a client; call `client.release()` when done (or `release(err)` to discard a broken one). */
  connect(): Promise<pg.PoolClient>;
  connect(callback: ConnectCallback): void;
  connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    const promise = this.#acquire();
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
    this.#ending ??= this.#endAll();
    if (callback === undefined) return this.#ending;
    this.#ending.then(callback, callback);
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
    let total = this.#current === undefined ? 0 : count(this.#current.pool);
    for (const generation of this.#draining)
      if (generation !== this.#current) total += count(generation.pool);
    return total;
  }

  #checkOpen(): void {
    if (this.#ending !== undefined) {
      throw new ClosedError(
        `This RotatingPool for secret "${this.#secretId}" was ended: create a new one (end() is final).`,
        { secretId: this.#secretId },
      );
    }
  }

  /** The generation for the first connection: the secret's AWSCURRENT, read once however many callers wait. */
  #start(): Promise<Generation> {
    this.#starting ??= (async () => {
      const result = await this.#cache.get(this.#secretId, { as: 'json' });
      this.#checkOpen();
      return this.#adopt(credentialsOf(result, this.#secretId), 'initial', true);
    })().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #acquire(): Promise<pg.PoolClient> {
    this.#checkOpen();
    const first = this.#current ?? (await this.#start());
    let failure: unknown;
    try {
      return await this.#connectTo(first);
    } catch (error) {
      if (postgresAuthFailure(error) === undefined) throw error;
      failure = error;
    }
    // 1. AWSCURRENT may have moved since the cache last read it (or the pool last heard of it).
    if (this.#current === first) await this.#recover(first, 'current');
    const second = this.#current ?? first;
    if (second !== first) {
      try {
        return await this.#connectTo(second);
      } catch (error) {
        if (postgresAuthFailure(error) === undefined) throw error;
        failure = error;
      }
    }
    // 2. Single-user rotation between setSecret and finishSecret: the database already has AWSPENDING's password.
    if (this.#current === second) await this.#recover(second, 'pending');
    const third = this.#current ?? second;
    if (third !== second) {
      try {
        return await this.#connectTo(third);
      } catch (error) {
        if (postgresAuthFailure(error) === undefined) throw error;
        failure = error;
      }
    }
    const sqlState = postgresAuthFailure(failure);
    this.#logger.warn?.(
      {
        secretId: this.#secretId,
        versionId: third.credentials.versionId,
        user: third.credentials.username,
        sqlState,
      },
      `coffer/pg: the database refused the credentials of secret ${this.#secretId} (SQLSTATE ${sqlState}), also after refreshing AWSCURRENT and trying AWSPENDING`,
    );
    throw new DatabaseAuthenticationError(
      `The database refused user "${third.credentials.username}" from secret "${this.#secretId}" (version ${third.credentials.versionId}, SQLSTATE ${sqlState}), also after re-reading AWSCURRENT and trying AWSPENDING: check that the secret matches the database.`,
      { secretId: this.#secretId, cause: failure, sqlState },
    );
  }

  async #connectTo(generation: Generation): Promise<pg.PoolClient> {
    generation.inflight++;
    try {
      return await generation.pool.connect();
    } finally {
      generation.inflight--;
      if (generation.retiring) this.#endWhenIdle(generation);
    }
  }

  async #run(text: string | pg.QueryConfig, values: unknown[] | undefined): Promise<pg.QueryResult> {
    const client = await this.#acquire();
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

  /**
   * After the database refused a generation's password: re-read AWSCURRENT (forced) or AWSPENDING and switch to
   * it if it is a version the pool has not used. Concurrent failures share one read.
   */
  #recover(generation: Generation, stage: 'current' | 'pending'): Promise<void> {
    const running = generation.recovering[stage];
    if (running !== undefined) return running;
    const recovery = (async () => {
      try {
        const result =
          stage === 'current'
            ? await this.#cache.refresh(this.#secretId, { as: 'json' })
            : await this.#cache.refresh(this.#secretId, { as: 'json', versionStage: PENDING });
        // Another caller's recovery (or the cache's rotated event) already moved the pool on: going back to
        // what this read found could undo a switch to AWSPENDING.
        if (this.#ending !== undefined || this.#current !== generation) return;
        // Forced: the database refused the generation in use, so any other version is worth one try, even one
        // the pool used before (after a failed rotation was rolled back, or a bad AWSPENDING was tried).
        this.#adopt(
          credentialsOf(result, this.#secretId),
          stage === 'current' ? 'refreshed' : 'pending',
          true,
        );
      } catch (error) {
        // No AWSPENDING: no rotation in progress, nothing else to try.
        if (stage === 'pending' && error instanceof SecretNotFoundError) return;
        this.#logger.warn?.(
          { secretId: this.#secretId, stage, code: codeOf(error) },
          `coffer/pg: reading ${stage === 'current' ? CURRENT : PENDING} of secret ${this.#secretId} after an authentication failure failed (${codeOf(error)})`,
        );
      }
    })().finally(() => {
      generation.recovering[stage] = undefined;
    });
    generation.recovering[stage] = recovery;
    return recovery;
  }

  /**
   * Makes `credentials` the version new connections use. Without `force` (a version merely observed in the
   * cache), a version the pool already used is not taken back: while the pool runs on AWSPENDING in the
   * single-user window, the cache's AWSCURRENT is the old version. The cache's `rotated` event and recovery
   * after an authentication failure force.
   */
  #adopt(credentials: DatabaseCredentials, reason: RotatingPoolSwitchReason, force: boolean): Generation {
    const previous = this.#current;
    if (previous !== undefined) {
      if (previous.credentials.versionId === credentials.versionId) return previous;
      if (!force && this.#seen.has(credentials.versionId)) return previous;
    }
    this.#checkOpen();
    const next = this.#createGeneration(credentials);
    this.#current = next;
    this.#seen.delete(credentials.versionId);
    this.#seen.add(credentials.versionId);
    if (this.#seen.size > MAX_SEEN) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    const event = {
      previousVersionId: previous?.credentials.versionId,
      versionId: credentials.versionId,
      user: credentials.username,
      reason,
    };
    if (previous !== undefined) {
      this.#retire(previous);
      this.#logger.info?.(
        { secretId: this.#secretId, ...event },
        `coffer/pg: new connections for secret ${this.#secretId} now use version ${credentials.versionId} (${reason}); the previous pool drains`,
      );
    }
    this.emit('rotated', event);
    return next;
  }

  #createGeneration(credentials: DatabaseCredentials): Generation {
    const config = this.#config;
    const host = config.host ?? credentials.host;
    const port = config.port ?? credentials.port;
    const database = config.database ?? credentials.dbname;
    const generation: Generation = {
      credentials,
      pool: new pg.Pool({
        ...config,
        ...(host !== undefined && { host }),
        ...(port !== undefined && { port }),
        ...(database !== undefined && { database }),
        user: credentials.username,
        // Asked for each new connection: the password is in no config object.
        password: () => this.#passwordFor(generation),
      }),
      inflight: 0,
      retiring: false,
      ended: undefined,
      recovering: {},
    };
    const { pool } = generation;
    pool.on('connect', (client) => this.emit('connect', client));
    pool.on('acquire', (client) => this.emit('acquire', client));
    pool.on('remove', (client) => this.emit('remove', client));
    pool.on('release', (error: Error | undefined, client) => this.emit('release', error, client));
    pool.on('error', (error, client) => this.emit('error', error, client));
    return generation;
  }

  /**
   * The password for a new connection of `generation`: the cache's AWSCURRENT when it is newer and for the same
   * user (single-user rotation), else the generation's own. A newer AWSCURRENT also moves later checkouts to it.
   */
  async #passwordFor(generation: Generation): Promise<string> {
    const own = generation.credentials;
    let latest: SecretResult<Record<string, unknown>> | undefined = this.#cache.peek(this.#secretId, {
      as: 'json',
    });
    if (latest === undefined) {
      try {
        latest = await this.#cache.get(this.#secretId, { as: 'json' });
      } catch {
        // Secrets Manager unreachable and nothing cached: the generation's own password is the best guess.
      }
    }
    if (latest === undefined || latest.versionId === own.versionId || this.#seen.has(latest.versionId)) {
      return own.password.reveal();
    }
    let credentials: DatabaseCredentials;
    try {
      credentials = credentialsOf(latest, this.#secretId);
    } catch {
      return own.password.reveal();
    }
    if (this.#ending === undefined) this.#adopt(credentials, 'observed', false);
    return (credentials.username === own.username ? credentials.password : own.password).reveal();
  }

  #onRotated(event: SecretCacheEvents['rotated']): void {
    const current = this.#current;
    if (current === undefined || this.#ending !== undefined) return;
    if (event.arn !== current.credentials.arn && event.name !== this.#secretId) return;
    if (event.versionId === current.credentials.versionId) return;
    const result = this.#cache.peek(event.arn, { as: 'json' });
    if (result?.versionId === event.versionId) {
      this.#adoptResult(result, 'rotated', true);
      return;
    }
    this.#cache.get(this.#secretId, { as: 'json' }).then(
      (fetched) => {
        if (this.#ending === undefined)
          this.#adoptResult(fetched, 'rotated', fetched.versionId === event.versionId);
      },
      (error: unknown) =>
        this.#logger.warn?.(
          { secretId: this.#secretId, code: codeOf(error) },
          `coffer/pg: reading rotated secret ${this.#secretId} failed (${codeOf(error)}); new connections keep the current credentials`,
        ),
    );
  }

  #adoptResult(result: SecretResult<unknown>, reason: RotatingPoolSwitchReason, force: boolean): void {
    try {
      this.#adopt(credentialsOf(result, this.#secretId), reason, force);
    } catch (error) {
      this.#logger.warn?.(
        { secretId: this.#secretId, versionId: result.versionId, code: codeOf(error) },
        `coffer/pg: version ${result.versionId} of secret ${this.#secretId} is unusable (${error instanceof CofferError ? error.message : codeOf(error)}); new connections keep the current credentials`,
      );
    }
  }

  #retire(generation: Generation): void {
    generation.retiring = true;
    this.#draining.add(generation);
    this.#endWhenIdle(generation);
  }

  /** Ends a retired pool once nobody waits in its queue; pg's end() then waits for checked-out clients. */
  #endWhenIdle(generation: Generation): void {
    if (generation.inflight > 0 || generation.ended !== undefined) return;
    generation.ended = generation.pool
      .end()
      .catch(NOOP)
      .finally(() => this.#draining.delete(generation));
  }

  async #endAll(): Promise<void> {
    this.#unsubscribe();
    await this.#starting?.catch(NOOP);
    const generations = new Set([...this.#draining]);
    if (this.#current !== undefined) generations.add(this.#current);
    await Promise.all(
      [...generations].map((generation) => {
        generation.retiring = true;
        generation.ended ??= generation.pool.end().catch(NOOP);
        return generation.ended;
      }),
    );
    this.#draining.clear();
    this.#ended = true;
  }
}

const codeOf = (error: unknown): string =>
  error instanceof CofferError
    ? error.code
    : typeof (error as { code?: unknown } | null)?.code === 'string'
      ? String((error as { code: string }).code)
      : error instanceof Error
        ? error.name
        : 'UNKNOWN';

/**
 * A pg.Pool that reads its credentials from a Secrets Manager database secret through `cache` and follows the
 * secret's rotation without dropping a query. See {@link RotatingPool}.
 */
export function createRotatingPool(options: RotatingPoolOptions): RotatingPool {
  return new RotatingPool(options);
}
