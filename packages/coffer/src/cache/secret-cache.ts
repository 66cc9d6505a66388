import { inspect } from 'node:util';
import { abortable } from '../abortable.js';
import { ClosedError, CofferError } from '../errors.js';
import { decodeAs, decodeWithSchema, type SecretFormat, type SecretResult } from '../read/decode.js';
import {
  checkReadOptions,
  checkSecretId,
  formatOf,
  type ReadOptions,
  type ValueOf,
  type VersionSelector,
} from '../read/options.js';
import { defaultClient } from '../sdk/default-client.js';
import {
  type ApiOptions,
  describeSecret,
  getSecretValue,
  type RawSecret,
  versionWithStage,
} from '../sdk/secrets-manager.js';
import { CURRENT } from '../stages.js';
import type { StandardSchemaV1 } from '../standard-schema.js';
import { CacheEntry, isTransient, selectorOf, versionOf } from './entry.js';
import { EntryIndex, pendingKey } from './entry-index.js';
import { Emitter, type Listener, type SecretCacheEvent } from './events.js';
import { type CacheInternals, cacheInternals } from './internals.js';
import { backoffDelay, type CachePolicy, cachePolicy, type SecretCacheOptions } from './options.js';
import { primaryRoute, type RegionCall, type Route, regionOfError } from './route.js';

export interface SecretCacheStats {
  hits: number;
  misses: number;
  staleServes: number;
  refreshes: number;
  errors: number;
  evictions: number;
  /** Fetches a replica region answered because the regions before it were failing. */
  failovers: number;
  entries: number;
  /** Calls to Secrets Manager by operation. */
  apiCalls: Record<string, number>;
  /** Successful fetches by the region that answered them (the client's, or a replica's). */
  servedBy: Record<string, number>;
}

/**
 * An in-memory cache of secrets, one per process. Concurrent misses share one request; values are refreshed
 * in the background before they expire; when Secrets Manager fails, the last good value is served for up to
 * `maxStale` while refreshes back off; a secret is one entry whether it is named by name, full or partial ARN.
 * Batch reads (`getMany`), cached metadata (`getDescription`) and replica failover (`replicaFailover`) are
 * functions of their own, so a bundle carries only what it imports.
 *
 * @example
 * ```ts
 * const cache = new SecretCache({ client: new SecretsManagerClient({}) });
 * const { value } = await cache.get('prod/db', { as: 'json' });
 * cache.on('rotated', ({ name }) => console.log(`${name} rotated`));
 * ```
 */
export class SecretCache implements AsyncDisposable {
  readonly #policy: CachePolicy;
  readonly #emitter = new Emitter();
  readonly #index = new EntryIndex();
  /** The index's AWSCURRENT map, held directly: the hot path is one lookup here. */
  readonly #current: Map<string, CacheEntry>;
  /** Cold fetches in flight, by pending key, so concurrent misses share one request. */
  readonly #pending = new Map<string, Promise<CacheEntry>>();
  /** Backoff for cold fetches that failed transiently, by pending key. */
  readonly #coldFailures = new Map<string, { retryAt: number; failures: number; error: CofferError }>();
  #tick = 0;
  /** Counts fetches started, in order. */
  #fetches = 0;
  #closed = false;
  readonly #counters = {
    hits: 0,
    misses: 0,
    staleServes: 0,
    refreshes: 0,
    errors: 0,
    evictions: 0,
    failovers: 0,
  };
  readonly #apiCalls: Record<string, number> = {};
  readonly #servedBy: Record<string, number> = {};
  readonly #route: Route;
  /** What getMany and getDescription build on (see internals.ts). */
  readonly #internals: CacheInternals;

  constructor(options: SecretCacheOptions = {}) {
    const policy = cachePolicy(options);
    this.#policy = policy;
    this.#current = this.#index.current;
    const primary = () => policy.client ?? defaultClient();
    this.#route =
      policy.replicas?.route(primary, (failures) => backoffDelay(policy, failures)) ?? primaryRoute(primary);
    this.#internals = {
      policy,
      current: this.#current,
      pending: this.#pending,
      descriptions: undefined,
      checkOpen: () => this.#checkOpen(),
      read: (secretId, readOptions) => this.#read(secretId, readOptions),
      serve: (entry, secretId, readOptions) => {
        this.#counters.misses++;
        this.#touch(entry);
        return this.#shape(entry, secretId, readOptions);
      },
      settleCold: (key, secretId, selector, result) => this.#settleCold(key, secretId, selector, result),
      routed: (call) => this.#routed(call),
      callOptions: this.#callOptions,
    };
    cacheInternals.set(this, this.#internals);
  }

  /**
   * A secret's value, from the cache when fresh. Misses for the same secret share one request; a value near
   * expiry is refreshed in the background while this returns the cached one.
   */
  async get<F extends SecretFormat = 'string', S extends StandardSchemaV1 | undefined = undefined>(
    secretId: string,
    options?: ReadOptions<F, S>,
  ): Promise<SecretResult<ValueOf<F, S>>> {
    // Hot path: AWSCURRENT as a string, fresh. One map lookup and a flag.
    if (options === undefined) {
      const entry = this.#current.get(secretId);
      if (entry?.fresh) {
        this.#counters.hits++;
        this.#touch(entry);
        return (entry.views.string ?? this.#view(entry, secretId, 'string')) as SecretResult<ValueOf<F, S>>;
      }
    }
    return this.#read(secretId, options ?? {}) as Promise<SecretResult<ValueOf<F, S>>>;
  }

  /**
   * The cached value if there is one still servable, without waiting or calling Secrets Manager; for hot paths
   * that can fall back to `get()`. Schema-validated reads are returned only once `get()` has validated them.
   */
  peek<F extends SecretFormat = 'string'>(
    secretId: string,
    options?: VersionSelector & { as?: F },
  ): SecretResult<ValueOf<F, undefined>> | undefined {
    const entry =
      options === undefined ? this.#current.get(secretId) : this.#index.lookup(secretId, selectorOf(options));
    // Past expiry, only what get() would serve: a stale value while Secrets Manager is failing transiently.
    if (entry === undefined || !entry.servable(this.#policy)) return undefined;
    this.#touch(entry);
    const format = options?.as ?? 'string';
    try {
      return (entry.views[format] ?? this.#view(entry, secretId, format)) as SecretResult<
        ValueOf<F, undefined>
      >;
    } catch {
      return undefined;
    }
  }

  /** Fetches now, bypassing freshness and backoff (e.g. after the database refused the cached password). */
  async refresh<F extends SecretFormat = 'string', S extends StandardSchemaV1 | undefined = undefined>(
    secretId: string,
    options: ReadOptions<F, S> = {},
  ): Promise<SecretResult<ValueOf<F, S>>> {
    this.#checkOpen();
    checkSecretId(secretId);
    checkReadOptions(options);
    const selector = selectorOf(options);
    const entry = this.#index.lookup(secretId, selector);
    if (entry === undefined) {
      // Bypasses the backoff of a failed cold fetch too.
      this.#coldFailures.delete(pendingKey(selector, secretId));
      return this.#read(secretId, options) as Promise<SecretResult<ValueOf<F, S>>>;
    }
    // A forced refresh never joins a refresh that started before it: that one may carry the old value.
    entry.forced ??= this.#fetchInto(entry, true).finally(() => {
      entry.forced = undefined;
    });
    await abortable(entry.forced, options.signal);
    return this.#shape(entry, secretId, options) as Promise<SecretResult<ValueOf<F, S>>>;
  }

  /**
   * When the value a read of this secret would serve went stale (its TTL ran out while Secrets Manager was
   * failing), or undefined while it is fresh or not cached.
   */
  staleSince(secretId: string, options?: VersionSelector): Date | undefined {
    const entry = this.#index.lookup(secretId, selectorOf(options));
    if (entry === undefined || entry.fresh || Date.now() < entry.expiresAt) return undefined;
    return new Date(entry.expiresAt);
  }

  /** Drops one secret (every stage, version and name it is cached under), or everything. */
  invalidate(secretId?: string): void {
    this.#internals.descriptions?.forget(secretId);
    if (secretId === undefined) {
      for (const entry of [...this.#index.entries]) this.#evict(entry);
      this.#coldFailures.clear();
      return;
    }
    const arn = this.#index.arnOf(secretId);
    for (const entry of [...this.#index.entries]) {
      if (entry.arn === arn || entry.aliases.has(secretId)) this.#evict(entry);
    }
    for (const key of [...this.#coldFailures.keys()])
      if (key.endsWith(`\n${secretId}`)) this.#coldFailures.delete(key);
  }

  /** Subscribes to `rotated`, `refreshError` or `apiCall`; returns the unsubscribe function. */
  on<E extends SecretCacheEvent>(event: E, listener: Listener<E>): () => void {
    return this.#emitter.on(event, listener);
  }

  off<E extends SecretCacheEvent>(event: E, listener: Listener<E>): void {
    this.#emitter.off(event, listener);
  }

  stats(): SecretCacheStats {
    return {
      ...this.#counters,
      entries: this.#index.size,
      apiCalls: { ...this.#apiCalls },
      servedBy: { ...this.#servedBy },
    };
  }

  /** Stops every timer and forgets every value. Later calls throw ClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const entries = [...this.#index.entries];
    const inflight = entries.flatMap((e) => [e.inflight, e.forced]).filter((p) => p !== undefined);
    for (const entry of entries) this.#evict(entry);
    this.#emitter.clear();
    await Promise.allSettled([...inflight, ...this.#pending.values()]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Logging the cache shows its statistics, never a value. */
  [inspect.custom](): string {
    return `SecretCache ${inspect(this.toJSON())}`;
  }

  /** What the cache is doing; never a value. */
  toJSON(): Record<string, unknown> {
    return { ...this.stats(), closed: this.#closed };
  }

  // ---------------------------------------------------------------------------------------------------------

  /**
   * Each call gets its own timeout; callers' abort signals only end their own wait, never a shared call.
   * Its `apiCall` event names the region it went to.
   */
  #callOptions = (target: RegionCall): ApiOptions => ({
    observe: (event) => {
      this.#apiCalls[event.operation] = (this.#apiCalls[event.operation] ?? 0) + 1;
      this.#emit('apiCall', { ...event, region: target.region, ...(target.failover && { failover: true }) });
    },
    signal: AbortSignal.timeout(this.#policy.requestTimeout),
  });

  /** Runs a call in the cache's route (the primary region, or its replicas) and counts which region answered. */
  async #routed<T>(call: (target: RegionCall) => Promise<T>): Promise<T> {
    const { result, region, failover } = await this.#route.run(call);
    this.#servedBy[region] = (this.#servedBy[region] ?? 0) + 1;
    if (failover) this.#counters.failovers++;
    return result;
  }

  /** GetSecretValue through the route; a replica's answer carries the primary region's ARN. */
  #getValue(secretId: string, version: VersionSelector): Promise<RawSecret> {
    return this.#routed(async (target) =>
      target.toHome(
        await getSecretValue(target.client, target.idFor(secretId), version, this.#callOptions(target)),
      ),
    );
  }

  #touch(entry: CacheEntry): void {
    entry.used = ++this.#tick;
    entry.readSinceRefresh = true;
  }

  #checkOpen(): void {
    if (this.#closed)
      throw new ClosedError('This SecretCache is closed: create a new one (close() is final).');
  }

  async #read(
    secretId: string,
    options: ReadOptions<SecretFormat, StandardSchemaV1 | undefined>,
  ): Promise<SecretResult<unknown>> {
    this.#checkOpen();
    checkSecretId(secretId);
    checkReadOptions(options);
    const selector = selectorOf(options);
    let entry = this.#index.lookup(secretId, selector);
    const now = Date.now();
    if (entry === undefined) {
      this.#counters.misses++;
      entry = await abortable(this.#fetchCold(secretId, selector), options.signal);
    } else if (now < entry.refreshAt) {
      this.#counters.hits++;
    } else if (now < entry.expiresAt) {
      // Refresh-ahead: answer now from the cache, fetch the next value in the background.
      this.#counters.hits++;
      if (now >= entry.retryAt) this.#refreshInBackground(entry);
    } else {
      entry = await abortable(this.#readExpired(entry, now), options.signal);
    }
    this.#touch(entry);
    return this.#shape(entry, secretId, options);
  }

  /** An expired entry: refresh and wait, or serve the last good value while Secrets Manager fails. */
  async #readExpired(entry: CacheEntry, now: number): Promise<CacheEntry> {
    this.#counters.misses++;
    if (entry.lastError !== undefined && entry.canServeStale(entry.lastError, this.#policy, now)) {
      // Secrets Manager is known to be failing: answer with the last good value now and retry in the
      // background (when the backoff allows), instead of making callers wait on a retry that may hang.
      if (now >= entry.retryAt) this.#refreshInBackground(entry);
      return this.#serveStale(entry);
    }
    // A definite answer (not found, access denied) or past maxStale: no stale value, and no retry before the backoff.
    if (now < entry.retryAt && entry.lastError !== undefined) throw entry.lastError;
    if (entry.inflight === undefined) entry.inflight = this.#startRefresh(entry);
    try {
      await entry.inflight;
      return entry;
    } catch (error) {
      if (entry.canServeStale(error, this.#policy)) return this.#serveStale(entry);
      throw error;
    }
  }

  #serveStale(entry: CacheEntry): CacheEntry {
    this.#counters.staleServes++;
    return entry;
  }

  #shape(
    entry: CacheEntry,
    secretId: string,
    options: ReadOptions<SecretFormat, StandardSchemaV1 | undefined>,
  ): Promise<SecretResult<unknown>> | SecretResult<unknown> {
    const schema = options.schema;
    if (schema === undefined) {
      const format = formatOf(options);
      return entry.views[format] ?? this.#view(entry, secretId, format);
    }
    entry.schemaViews ??= new WeakMap();
    const views = entry.schemaViews;
    let validated = views.get(schema);
    if (validated === undefined) {
      validated = decodeWithSchema(entry.raw, secretId, schema);
      views.set(schema, validated);
      // A value that fails its schema is not remembered as failed: the next read validates again.
      validated.catch(() => views.delete(schema));
    }
    return validated;
  }

  #view(entry: CacheEntry, secretId: string, format: SecretFormat): SecretResult<unknown> {
    const result = decodeAs(entry.raw, secretId, format);
    entry.views[format] = result;
    return result;
  }

  #fetchCold(secretId: string, selector: string): Promise<CacheEntry> {
    const key = pendingKey(selector, secretId);
    const existing = this.#pending.get(key);
    if (existing) return existing;
    const backoff = this.#coldFailures.get(key);
    if (backoff !== undefined && Date.now() < backoff.retryAt) return Promise.reject(backoff.error);
    const promise = (async () => {
      let result: RawSecret | CofferError;
      try {
        result = await this.#getValue(secretId, versionOf(selector));
      } catch (error) {
        result = error as CofferError;
      } finally {
        this.#pending.delete(key);
      }
      return this.#settleCold(key, secretId, selector, result);
    })();
    this.#pending.set(key, promise);
    return promise;
  }

  /** A cold fetch's answer: installed, or counted (and backed off from when transient) and thrown. */
  #settleCold(key: string, secretId: string, selector: string, result: RawSecret | CofferError): CacheEntry {
    if (result instanceof CofferError) {
      this.#counters.errors++;
      if (isTransient(result)) {
        const failures = (this.#coldFailures.get(key)?.failures ?? 0) + 1;
        const retryAt = Date.now() + backoffDelay(this.#policy, failures);
        this.#coldFailures.set(key, { failures, retryAt, error: result });
      }
      throw result;
    }
    this.#coldFailures.delete(key);
    return this.#install(secretId, selector, result);
  }

  /** Stores a fetched value under every name it can be asked for: as given, name, full ARN, partial ARN. */
  #install(secretId: string, selector: string, raw: RawSecret): CacheEntry {
    const existing = this.#index.withArn(selector, raw.arn);
    if (existing) {
      existing.fetched = ++this.#fetches;
      this.#update(existing, raw);
      this.#index.alias(existing, secretId);
      return existing;
    }
    const entry = new CacheEntry(selector, raw, ++this.#tick, this.#fetches);
    // A fetch that ends after close() still answers its callers, but leaves nothing (and no timer) behind.
    if (this.#closed) return entry;
    this.#index.add(entry, secretId);
    this.#renew(entry);
    if (this.#index.size > this.#policy.maxEntries) this.#evictLeastRecentlyUsed();
    return entry;
  }

  /** Starts the next TTL period and schedules the background refresh. */
  #renew(entry: CacheEntry): void {
    this.#schedule(entry, entry.renew(this.#policy));
  }

  #schedule(entry: CacheEntry, delay: number): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.#onTimer(entry), Math.max(0, delay));
    // A cache must never keep a process alive.
    entry.timer.unref();
  }

  /** Timer refreshes only secrets someone still reads, or any secret when rotation is being watched. */
  #onTimer(entry: CacheEntry): void {
    entry.timer = undefined;
    entry.fresh = false;
    if (this.#closed || !this.#index.entries.has(entry)) return;
    if (entry.readSinceRefresh || this.#emitter.count('rotated') > 0) this.#refreshInBackground(entry);
  }

  #refreshInBackground(entry: CacheEntry): void {
    if (entry.inflight !== undefined) return;
    entry.inflight = this.#startRefresh(entry);
    entry.inflight.catch(() => {});
  }

  #startRefresh(entry: CacheEntry): Promise<void> {
    return this.#fetchInto(entry, false).finally(() => {
      entry.inflight = undefined;
    });
  }

  async #fetchInto(entry: CacheEntry, force: boolean): Promise<void> {
    const secretId = entry.raw.name;
    const sequence = ++this.#fetches;
    // A fetch that ends after a later one was applied (a slow background refresh overtaken by a forced
    // refresh) holds an older answer: it must neither replace the newer value nor mark the entry failed.
    const overtaken = () => entry.fetched > sequence;
    this.#counters.refreshes++;
    try {
      if (this.#policy.versionAware && !force && entry.selector === '') {
        const described = await this.#routed((target) =>
          describeSecret(target.client, target.idFor(entry.arn), this.#callOptions(target)),
        );
        this.#internals.descriptions?.remember([entry.arn, ...entry.aliases], described);
        if (versionWithStage(described.VersionIdsToStages, CURRENT) === entry.raw.versionId) {
          if (!overtaken()) {
            entry.fetched = sequence;
            this.#renew(entry);
          }
          return;
        }
      }
      const raw = await this.#getValue(entry.arn, versionOf(entry.selector));
      if (overtaken()) return;
      entry.fetched = sequence;
      this.#update(entry, raw);
    } catch (error) {
      const mapped = error as CofferError;
      if (overtaken()) throw mapped;
      this.#counters.errors++;
      const delay = entry.recordFailure(mapped, this.#policy);
      const servingStale = entry.canServeStale(mapped, this.#policy);
      this.#policy.logger.warn?.(
        {
          secretId,
          arn: entry.arn,
          code: mapped.code,
          failures: entry.failures,
          retryInMs: Math.round(delay),
          servingStale,
        },
        `coffer: refreshing secret ${secretId} failed (${mapped.code}); ${servingStale ? 'serving the last good value' : 'no value to serve'}, retrying in ${Math.round(delay)} ms`,
      );
      const region = regionOfError(mapped);
      this.#emit('refreshError', {
        secretId,
        arn: entry.arn,
        error: mapped,
        servingStale,
        retryInMs: delay,
        ...(region !== undefined && { region }),
      });
      if (servingStale && this.#index.entries.has(entry)) this.#schedule(entry, delay);
      throw mapped;
    }
  }

  /** A new value for an entry; for AWSCURRENT, a new version id is a rotation. */
  #update(entry: CacheEntry, raw: RawSecret): void {
    const previous = entry.replace(raw);
    this.#renew(entry);
    if (entry.selector === '' && previous.versionId !== raw.versionId) {
      this.#policy.logger.info?.(
        { secretId: raw.name, arn: raw.arn, previousVersionId: previous.versionId, versionId: raw.versionId },
        `coffer: secret ${raw.name} rotated`,
      );
      this.#emit('rotated', {
        secretId: raw.name,
        name: raw.name,
        arn: raw.arn,
        previousVersionId: previous.versionId,
        versionId: raw.versionId,
      });
    }
  }

  #evictLeastRecentlyUsed(): void {
    const oldest = this.#index.leastRecentlyUsed();
    if (oldest !== undefined) {
      this.#evict(oldest);
      this.#counters.evictions++;
    }
  }

  #evict(entry: CacheEntry): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.fresh = false;
    this.#index.remove(entry);
  }

  #emit<E extends SecretCacheEvent>(event: E, payload: Parameters<Listener<E>>[0]): void {
    this.#emitter.emit(event, payload, (error) =>
      this.#policy.logger.error?.(
        { event, error: error instanceof Error ? error.message : String(error) },
        'coffer: a SecretCache listener threw',
      ),
    );
  }
}
