import type { SecretCacheEvents } from '../cache/events.js';
import type { SecretCache } from '../cache/secret-cache.js';
import { ClosedError, CofferError, SecretNotFoundError } from '../errors.js';
import type { CofferLogger } from '../logger.js';
import type { SecretResult } from '../read/decode.js';
import { checkSecretId } from '../read/options.js';
import { CURRENT, PENDING } from '../stages.js';
import type { AuthFailure } from './auth-failures.js';
import { credentialsOf, type DatabaseCredentials } from './credentials.js';
import { DatabaseAuthenticationError } from './errors.js';

/**
 * The idea both rotating pools (coffer/pg, coffer/mysql) share: one inner driver pool per version of a database
 * secret, new checkouts on the newest version while earlier pools drain, and recovery when the database refuses
 * a password. The drivers differ only in how an inner pool is made, checked out from and ended, and in which
 * errors mean "wrong password".
 */

/** What a driver's pool must offer. */
export interface InnerPool<Client> {
  /** Checks a client out (a new connection logs in with the pool's PasswordSource). */
  connect(): Promise<Client>;
  /** Ends the pool once every checked-out client is back; idle ones close now. */
  end(): Promise<void>;
}

/** Where an inner pool gets the password for each new connection: never from a config object. */
export interface PasswordSource {
  /** The password, reading the secret from the cache (or Secrets Manager) if the cache has none yet. */
  next(): Promise<string>;
  /** The same without waiting, for drivers that read the password synchronously: only what the cache holds. */
  now(): string;
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

/** The `rotated` event both pools emit: new connections now use another version; the previous pool drains. */
export interface RotatingPoolSwitch {
  previousVersionId: string | undefined;
  versionId: string;
  user: string;
  reason: RotatingPoolSwitchReason;
}

export interface PoolVersionsOptions<Inner> {
  secretId: string;
  cache: SecretCache;
  logger: CofferLogger;
  /** Starts every log line: `coffer/pg`. */
  label: string;
  /** The engine and port of the sample secret that a format error shows. */
  example: { engine: string; port: number };
  /** A driver pool for one version of the secret; its connections take their password from `password`. */
  createPool(credentials: DatabaseCredentials, password: PasswordSource): Inner;
  /** The refused login this error reports, or undefined for any other error. */
  authFailure(error: unknown): AuthFailure | undefined;
  /** Called on every switch, the first one included. */
  onSwitch(event: RotatingPoolSwitch): void;
}

/** One version of the secret and the pool that connects with it. */
interface Generation<Inner> {
  readonly credentials: DatabaseCredentials;
  readonly pool: Inner;
  /** connect() calls in flight: the pool is ended only once none waits in its queue (drivers drop waiters on end). */
  inflight: number;
  retiring: boolean;
  ended: Promise<void> | undefined;
  recovering: { current?: Promise<void> | undefined; pending?: Promise<void> | undefined };
}

/** Versions remembered so that a stale read of AWSCURRENT cannot take the pool back to one. */
const MAX_SEEN = 64;
const NOOP = () => {};

/**
 * Checks the options of createRotatingPool: an object, a secret id, a SecretCache, and none of `forbidden` (what
 * the secret provides).
 */
export function checkRotatingPoolOptions(
  options: unknown,
  usage: string,
  forbidden: readonly string[],
): asserts options is { secretId: string; cache: SecretCache } {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`createRotatingPool takes options: ${usage}.`);
  }
  const { secretId, cache } = options as { secretId?: unknown; cache?: unknown };
  checkSecretId(secretId);
  if (cache === null || typeof cache !== 'object' || typeof (cache as SecretCache).get !== 'function') {
    throw new TypeError('cache must be a SecretCache.');
  }
  for (const key of forbidden) {
    if (key in options) {
      throw new TypeError(
        `${key} comes from the secret "${secretId}": remove it from the pool options (host, port and database may be overridden).`,
      );
    }
  }
}

/**
 * The version switching of a rotating pool. Each version of the secret gets its own inner pool (the
 * alternating-users strategy changes the user too): when the secret rotates, new checkouts go to a new pool while
 * the old one drains, ending only after its checked-out clients are released. A connection the database refuses
 * is retried once after a forced refresh of AWSCURRENT and then with AWSPENDING, which covers single-user
 * rotation between setSecret and finishSecret.
 */
export class PoolVersions<Client, Inner extends InnerPool<Client>> {
  readonly #options: PoolVersionsOptions<Inner>;
  readonly #secretId: string;
  readonly #cache: SecretCache;
  readonly #logger: CofferLogger;
  #current: Generation<Inner> | undefined;
  readonly #draining = new Set<Generation<Inner>>();
  readonly #seen = new Set<string>();
  #starting: Promise<Generation<Inner>> | undefined;
  readonly #unsubscribe: () => void;
  #ending: Promise<void> | undefined;
  #ended = false;

  constructor(options: PoolVersionsOptions<Inner>) {
    this.#options = options;
    this.#secretId = options.secretId;
    this.#cache = options.cache;
    this.#logger = options.logger;
    this.#unsubscribe = options.cache.on('rotated', (event) => this.#onRotated(event));
  }

  /** The credentials new connections use; undefined before the first connection. */
  get credentials(): DatabaseCredentials | undefined {
    return this.#current?.credentials;
  }

  /** Every inner pool not yet ended: the current one first, then those draining. */
  pools(): Inner[] {
    const pools = this.#current === undefined ? [] : [this.#current.pool];
    for (const generation of this.#draining) if (generation !== this.#current) pools.push(generation.pool);
    return pools;
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

  /** Throws ClosedError once end() was called. */
  checkOpen(): void {
    if (this.#ending !== undefined) {
      throw new ClosedError(
        `This RotatingPool for secret "${this.#secretId}" was ended: create a new one (end() is final).`,
        { secretId: this.#secretId },
      );
    }
  }

  /** Ends every pool once its clients are released, and stops following the secret. */
  end(): Promise<void> {
    this.#ending ??= this.#endAll();
    return this.#ending;
  }

  /**
   * Checks a client out of the current version's pool. A refused login is retried after re-reading AWSCURRENT,
   * then with AWSPENDING; after that it is a DatabaseAuthenticationError.
   */
  async acquire(): Promise<Client> {
    this.checkOpen();
    const { authFailure } = this.#options;
    const first = this.#current ?? (await this.#start());
    let failure: unknown;
    try {
      return await this.#connectTo(first);
    } catch (error) {
      if (authFailure(error) === undefined) throw error;
      failure = error;
    }
    // 1. AWSCURRENT may have moved since the cache last read it (or the pool last heard of it).
    if (this.#current === first) await this.#recover(first, 'current');
    const second = this.#current ?? first;
    if (second !== first) {
      try {
        return await this.#connectTo(second);
      } catch (error) {
        if (authFailure(error) === undefined) throw error;
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
        if (authFailure(error) === undefined) throw error;
        failure = error;
      }
    }
    const refused = authFailure(failure);
    this.#logger.warn?.(
      {
        secretId: this.#secretId,
        versionId: third.credentials.versionId,
        user: third.credentials.username,
        sqlState: refused?.sqlState,
        ...(refused?.errno !== undefined && { errno: refused.errno }),
      },
      `${this.#options.label}: the database refused the credentials of secret ${this.#secretId} (${refused?.text}), also after refreshing AWSCURRENT and trying AWSPENDING`,
    );
    throw new DatabaseAuthenticationError(
      `The database refused user "${third.credentials.username}" from secret "${this.#secretId}" (version ${third.credentials.versionId}, ${refused?.text}), also after re-reading AWSCURRENT and trying AWSPENDING: check that the secret matches the database.`,
      { secretId: this.#secretId, cause: failure, sqlState: refused?.sqlState, errno: refused?.errno },
    );
  }

  // ---------------------------------------------------------------------------------------------------------

  /** The generation for the first connection: the secret's AWSCURRENT, read once however many callers wait. */
  #start(): Promise<Generation<Inner>> {
    this.#starting ??= (async () => {
      const result = await this.#cache.get(this.#secretId, { as: 'json' });
      this.checkOpen();
      return this.#adopt(this.#credentialsOf(result), 'initial', true);
    })().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  #credentialsOf(result: SecretResult<unknown>): DatabaseCredentials {
    return credentialsOf(result, this.#secretId, this.#options.example);
  }

  async #connectTo(generation: Generation<Inner>): Promise<Client> {
    generation.inflight++;
    try {
      return await generation.pool.connect();
    } finally {
      generation.inflight--;
      if (generation.retiring) this.#endWhenIdle(generation);
    }
  }

  /**
   * After the database refused a generation's password: re-read AWSCURRENT (forced) or AWSPENDING and switch to
   * it if it is a version the pool has not used. Concurrent failures share one read.
   */
  #recover(generation: Generation<Inner>, stage: 'current' | 'pending'): Promise<void> {
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
        this.#adopt(this.#credentialsOf(result), stage === 'current' ? 'refreshed' : 'pending', true);
      } catch (error) {
        // No AWSPENDING: no rotation in progress, nothing else to try.
        if (stage === 'pending' && error instanceof SecretNotFoundError) return;
        this.#logger.warn?.(
          { secretId: this.#secretId, stage, code: codeOf(error) },
          `${this.#options.label}: reading ${stage === 'current' ? CURRENT : PENDING} of secret ${this.#secretId} after an authentication failure failed (${codeOf(error)})`,
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
  #adopt(
    credentials: DatabaseCredentials,
    reason: RotatingPoolSwitchReason,
    force: boolean,
  ): Generation<Inner> {
    const previous = this.#current;
    if (previous !== undefined) {
      if (previous.credentials.versionId === credentials.versionId) return previous;
      if (!force && this.#seen.has(credentials.versionId)) return previous;
    }
    this.checkOpen();
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
        `${this.#options.label}: new connections for secret ${this.#secretId} now use version ${credentials.versionId} (${reason}); the previous pool drains`,
      );
    }
    this.#options.onSwitch(event);
    return next;
  }

  #createGeneration(credentials: DatabaseCredentials): Generation<Inner> {
    const generation: Generation<Inner> = {
      credentials,
      // Set right below: the pool's password source needs the generation.
      pool: undefined as unknown as Inner,
      inflight: 0,
      retiring: false,
      ended: undefined,
      recovering: {},
    };
    (generation as { pool: Inner }).pool = this.#options.createPool(credentials, {
      next: () => this.#passwordFor(generation),
      now: () => this.#passwordNow(generation),
    });
    return generation;
  }

  /**
   * The password for a new connection of `generation`: the cache's AWSCURRENT when it is newer and for the same
   * user (single-user rotation), else the generation's own. A newer AWSCURRENT also moves later checkouts to it.
   */
  async #passwordFor(generation: Generation<Inner>): Promise<string> {
    let latest = this.#cache.peek(this.#secretId, { as: 'json' });
    if (latest === undefined) {
      try {
        latest = await this.#cache.get(this.#secretId, { as: 'json' });
      } catch {
        // Secrets Manager unreachable and nothing cached: the generation's own password is the best guess.
      }
    }
    return this.#passwordFrom(generation, latest);
  }

  /** #passwordFor with what the cache holds now, for drivers that cannot wait. */
  #passwordNow(generation: Generation<Inner>): string {
    return this.#passwordFrom(generation, this.#cache.peek(this.#secretId, { as: 'json' }));
  }

  #passwordFrom(
    generation: Generation<Inner>,
    latest: SecretResult<Record<string, unknown>> | undefined,
  ): string {
    const own = generation.credentials;
    if (latest === undefined || latest.versionId === own.versionId || this.#seen.has(latest.versionId)) {
      return own.password.reveal();
    }
    let credentials: DatabaseCredentials;
    try {
      credentials = this.#credentialsOf(latest);
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
          `${this.#options.label}: reading rotated secret ${this.#secretId} failed (${codeOf(error)}); new connections keep the current credentials`,
        ),
    );
  }

  #adoptResult(result: SecretResult<unknown>, reason: RotatingPoolSwitchReason, force: boolean): void {
    try {
      this.#adopt(this.#credentialsOf(result), reason, force);
    } catch (error) {
      this.#logger.warn?.(
        { secretId: this.#secretId, versionId: result.versionId, code: codeOf(error) },
        `${this.#options.label}: version ${result.versionId} of secret ${this.#secretId} is unusable (${error instanceof CofferError ? error.message : codeOf(error)}); new connections keep the current credentials`,
      );
    }
  }

  #retire(generation: Generation<Inner>): void {
    generation.retiring = true;
    this.#draining.add(generation);
    this.#endWhenIdle(generation);
  }

  /** Ends a retired pool once nobody waits in its queue; the pool's end() then waits for checked-out clients. */
  #endWhenIdle(generation: Generation<Inner>): void {
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

/** An error's stable code for logs: Coffer's code, the driver's code, or the class name; never its message. */
const codeOf = (error: unknown): string =>
  error instanceof CofferError
    ? error.code
    : typeof (error as { code?: unknown } | null)?.code === 'string'
      ? String((error as { code: string }).code)
      : error instanceof Error
        ? error.name
        : 'UNKNOWN';
