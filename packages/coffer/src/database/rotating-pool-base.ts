import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import type { SecretCache } from '../cache/secret-cache.js';
import { type CofferLogger, silentLogger } from '../logger.js';
import type { AuthFailure } from './auth-failures.js';
import type { DatabaseCredentials } from './credentials.js';
import {
  checkRotatingPoolOptions,
  type InnerPool,
  type PasswordSource,
  PoolVersions,
  type RotatingPoolSwitch,
} from './pool-versions.js';

/** The options of every rotating pool, besides its driver's pool options. */
export interface RotatingPoolBaseOptions {
  /** The database secret (name or ARN), in AWS's layout: `{ engine, host, port, username, password, dbname }`. */
  secretId: string;
  /** Where credentials are read from; the pool follows its `rotated` events. */
  cache: SecretCache;
  /** Where version switches and authentication retries are reported (never a password). @default silent */
  logger?: CofferLogger;
}

/** What a rotating pool says about its driver. */
export interface PoolDriver {
  /** Starts every log line: `coffer/pg`. */
  readonly label: string;
  /** The engine and port of the sample secret that a format error shows. */
  readonly example: { engine: string; port: number };
  /** How createRotatingPool is called, for its TypeError: `{ secretId, cache, ...pg.PoolConfig }`. */
  readonly usage: string;
  /** The driver's pool options that the secret provides, so the pool options must not. */
  readonly fromTheSecret: readonly string[];
  /** The refused login a driver error reports, or undefined for any other error. */
  authFailure(error: unknown): AuthFailure | undefined;
}

/** Pool options that may override where the secret says to connect. */
interface ConnectionOverrides {
  host?: string | undefined;
  port?: number | undefined;
  database?: string | undefined;
}

/** Every rotating pool emits `rotated`; its driver's pool events come on top. */
interface SwitchEvents {
  rotated: [event: RotatingPoolSwitch];
}

/**
 * The face both rotating pools (coffer/pg, coffer/mysql) share over their version switching: construction from
 * the options, the secret version and user in use, end() and disposal, and an inspect/JSON view that shows no
 * credential beyond the user name. Each driver's pool adds its own way to query and check out connections.
 */
export abstract class RotatingPoolBase<
    Events extends Record<keyof Events, unknown[]> & SwitchEvents,
    Client,
    Inner extends InnerPool<Client>,
    Config extends ConnectionOverrides,
  >
  extends EventEmitter<Events>
  implements AsyncDisposable
{
  readonly #secretId: string;
  /** The driver's pool options, without secretId, cache and logger: private, as they may hold TLS keys. */
  readonly #config: Config;
  readonly #versions: PoolVersions<Client, Inner>;

  constructor(options: RotatingPoolBaseOptions & Config, driver: PoolDriver) {
    super();
    checkRotatingPoolOptions(options, driver.usage, driver.fromTheSecret);
    const { secretId, cache, logger, ...config } = options;
    this.#secretId = secretId;
    this.#config = config as unknown as Config;
    this.#versions = new PoolVersions({
      secretId,
      cache,
      logger: logger ?? silentLogger,
      label: driver.label,
      example: driver.example,
      createPool: (credentials, password) => this.createPool(credentials, password),
      authFailure: driver.authFailure,
      // Typed events cannot be emitted through a type parameter; every pool's Events has `rotated`.
      onSwitch: (event) => (this as EventEmitter).emit('rotated', event),
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

  /** Pools of earlier versions still waiting for their checked-out connections. */
  get drainingCount(): number {
    return this.#versions.drainingCount;
  }

  get ending(): boolean {
    return this.#versions.ending;
  }

  get ended(): boolean {
    return this.#versions.ended;
  }

  /** Ends every pool once its connections are released, and stops following the secret. */
  end(): Promise<void> {
    return this.#versions.end();
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
      ...this.counts(),
      draining: this.drainingCount,
      ending: this.ending,
    };
  }

  // ---------------------------------------------------------------------------------------------------------

  /** Checks a connection out of the current version's pool (see PoolVersions.acquire). */
  protected acquire(): Promise<Client> {
    return this.#versions.acquire();
  }

  /** Every driver pool not yet ended: the current one first, then those draining. */
  protected pools(): Inner[] {
    return this.#versions.pools();
  }

  /** The driver's connection counts, for toJSON. */
  protected counts(): Record<string, number> {
    return {};
  }

  /** The pool options for one version: host, port and database from the options over the secret's, its user. */
  protected connectTo(credentials: DatabaseCredentials): Config & { user: string } {
    const config = this.#config;
    const host = config.host ?? credentials.host;
    const port = config.port ?? credentials.port;
    const database = config.database ?? credentials.dbname;
    return {
      ...config,
      ...(host !== undefined && { host }),
      ...(port !== undefined && { port }),
      ...(database !== undefined && { database }),
      user: credentials.username,
    };
  }

  /** The driver's pool for one version of the secret; its connections take their password from `password`. */
  protected abstract createPool(credentials: DatabaseCredentials, password: PasswordSource): Inner;
}
