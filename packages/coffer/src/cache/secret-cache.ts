import { inspect } from 'node:util';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  type ApiCallObserver,
  batchGetSecretValues,
  currentVersionId,
  getSecretValue,
} from '../client/api.js';
import {
  decodeAs,
  decodeWithSchema,
  type RawSecret,
  type SecretFormat,
  type SecretResult,
} from '../client/decode.js';
import { defaultClient } from '../client/default-client.js';
import {
  checkReadOptions,
  checkSecretId,
  formatOf,
  type ReadOptions,
  type ValueOf,
  type VersionSelector,
} from '../client/get-secret.js';
import { mapSdkError } from '../client/map-error.js';
import {
  AccessDeniedError,
  ClosedError,
  CofferError,
  SecretsManagerUnavailableError,
  ThrottledError,
} from '../errors.js';
import { type CofferLogger, silentLogger } from '../logger.js';
import type { StandardSchemaV1 } from '../standard-schema.js';
import { Emitter, type Listener, type SecretCacheEvent } from './events.js';

/** @default 15 minutes */
export const DEFAULT_TTL_MS = 15 * 60_000;
/** @default 0.1 */
export const DEFAULT_JITTER = 0.1;
/** @default 0.8 */
export const DEFAULT_REFRESH_AHEAD = 0.8;
/** @default 1 hour */
export const DEFAULT_MAX_STALE_MS = 60 * 60_000;
/** @default 1024 */
export const DEFAULT_MAX_ENTRIES = 1024;
/** @default { initialMs: 1000, maxMs: 60000 } */
export const DEFAULT_BACKOFF = { initialMs: 1000, maxMs: 60_000 } as const;

/** @default 10 seconds */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** setTimeout's limit: a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const BATCH_SIZE = 20;
const CURRENT = 'AWSCURRENT';

export interface SecretCacheOptions {
  /** The SDK client to call. @default one created on first use from the SDK's default configuration */
  client?: SecretsManagerClient;
  /** How long a value is fresh, in ms. @default 900_000 (15 minutes) */
  ttl?: number;
  /** Each entry's TTL is shortened by up to this fraction at random, so entries don't expire in lockstep. @default 0.1 */
  jitter?: number;
  /**
   * Fraction of the TTL after which a read (or, for watched secrets, a timer) refreshes the value in the
   * background while callers keep getting the cached one. @default 0.8
   */
  refreshAhead?: number;
  /** How long past expiry the last good value is served while Secrets Manager fails, in ms. @default 3_600_000 */
  maxStale?: number;
  /** Exponential backoff with full jitter between failed refreshes of one secret. @default { initialMs: 1000, maxMs: 60000 } */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * Check with DescribeSecret whether AWSCURRENT moved and fetch the value only when it did. Same number of
   * calls, but no secret value crosses the network unless it changed. @default false
   */
  versionAware?: boolean;
  /**
   * Gives up on a call to Secrets Manager after this many ms (the SDK has no timeout of its own), so a server
   * that accepts connections but never answers cannot hang reads. @default 10_000
   */
  requestTimeout?: number;
  /** Most entries kept; the least recently used goes first. @default 1024 */
  maxEntries?: number;
  /** Where warnings (failed refreshes, stale serves) go; works with pino or console. @default silent */
  logger?: CofferLogger;
}

export interface SecretCacheStats {
  hits: number;
  misses: number;
  staleServes: number;
  refreshes: number;
  errors: number;
  evictions: number;
  entries: number;
  /** Calls to Secrets Manager by operation. */
  apiCalls: Record<string, number>;
}

/** Thrown by getMany when some secrets could not be read; the others are in `results`. */
export class SecretBatchError extends CofferError {
  override readonly name = 'SecretBatchError' as const;
  readonly code = 'BATCH_FAILED' as const;
  constructor(
    readonly errors: ReadonlyMap<string, CofferError>,
    readonly results: ReadonlyMap<string, SecretResult<unknown>>,
  ) {
    super(
      `Could not read ${errors.size} of ${errors.size + results.size} secrets: ${[...errors].map(([id, e]) => `${id} (${e.code})`).join(', ')}.`,
    );
  }
}

interface Entry {
  readonly selector: string;
  arn: string;
  raw: RawSecret;
  /** Shaped results by format, so a hot read returns a ready, frozen object. */
  views: Partial<Record<SecretFormat, SecretResult<unknown>>>;
  /** Created on the first schema read: most entries never see one. */
  schemaViews: WeakMap<object, Promise<SecretResult<unknown>>> | undefined;
  /**
   * True from a fetch until refresh-ahead time, cleared by the entry's timer: the hot path tests this flag
   * instead of reading the clock, which costs more than the whole map lookup on some machines.
   */
  fresh: boolean;
  refreshAt: number;
  expiresAt: number;
  used: number;
  readSinceRefresh: boolean;
  aliases: Set<string>;
  inflight: Promise<void> | undefined;
  forced: Promise<void> | undefined;
  failures: number;
  retryAt: number;
  lastError: CofferError | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Sequence number of the fetch whose answer the entry holds, so a slower, older fetch cannot undo a newer one. */
  fetched: number;
}

/** Errors worth backing off from; the others (not found, access denied) are answers, not outages. */
const isTransient = (error: unknown): boolean =>
  error instanceof SecretsManagerUnavailableError || error instanceof ThrottledError;

function selectorOf(version: VersionSelector | undefined): string {
  if (version?.versionId !== undefined) return `v:${version.versionId}`;
  if (version?.versionStage !== undefined && version.versionStage !== CURRENT)
    return `s:${version.versionStage}`;
  return '';
}

const versionOf = (selector: string): VersionSelector =>
  selector.startsWith('v:')
    ? { versionId: selector.slice(2) }
    : selector.startsWith('s:')
      ? { versionStage: selector.slice(2) }
      : {};

function checkPositive(
  name: string,
  value: number | undefined,
  { allowZero = false, max = Number.POSITIVE_INFINITY } = {},
): void {
  if (value === undefined) return;
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < 0 ||
    (!allowZero && value === 0) ||
    value > max
  ) {
    throw new TypeError(
      `${name} must be a number ${allowZero ? '>= 0' : '> 0'}${max < Number.POSITIVE_INFINITY ? ` and <= ${max}` : ''}, got ${String(value)}.`,
    );
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * An in-memory cache of secrets, one per process. Concurrent misses share one request; values are refreshed
 * in the background before they expire; when Secrets Manager fails, the last good value is served for up to
 * `maxStale` while refreshes back off; a secret is one entry whether it is named by name, full or partial ARN.
 *
 * @example
 * ```ts
 * const cache = new SecretCache({ client: new SecretsManagerClient({}) });
 * const { value } = await cache.get('prod/db', { as: 'json' });
 * cache.on('rotated', ({ name }) => console.log(`${name} rotated`));
 * ```
 */
export class SecretCache implements AsyncDisposable {
  private readonly client: SecretsManagerClient | undefined;
  private readonly ttl: number;
  private readonly jitter: number;
  private readonly refreshAhead: number;
  private readonly maxStale: number;
  private readonly backoffInitial: number;
  private readonly backoffMax: number;
  private readonly versionAware: boolean;
  private readonly maxEntries: number;
  private readonly requestTimeout: number;
  private readonly logger: CofferLogger;
  private readonly emitter = new Emitter();
  /** Entries for AWSCURRENT by every name they are known by; the hot path is one lookup here. */
  private readonly current = new Map<string, Entry>();
  /** Entries for explicit stages and versions, by `${selector}\n${id}`. */
  private readonly other = new Map<string, Entry>();
  private readonly entries = new Set<Entry>();
  /** Entries by `${selector}\n${arn}`: one entry per secret and version, however it was named. */
  private readonly byArn = new Map<string, Entry>();
  /** Cold fetches in flight, by lookup key, so concurrent misses share one request. */
  private readonly pending = new Map<string, Promise<Entry>>();
  /** Backoff for cold fetches that failed transiently, by lookup key. */
  private readonly coldFailures = new Map<
    string,
    { retryAt: number; failures: number; error: CofferError }
  >();
  private tick = 0;
  /** Counts fetches started, in order. */
  private fetches = 0;
  private closed = false;
  private readonly counters = { hits: 0, misses: 0, staleServes: 0, refreshes: 0, errors: 0, evictions: 0 };
  private readonly apiCalls: Record<string, number> = {};
  private readonly observe: ApiCallObserver;

  constructor(options: SecretCacheOptions = {}) {
    checkPositive('ttl', options.ttl, { max: MAX_TIMER_MS });
    checkPositive('requestTimeout', options.requestTimeout, { max: MAX_TIMER_MS });
    checkPositive('jitter', options.jitter, { allowZero: true, max: 0.5 });
    checkPositive('refreshAhead', options.refreshAhead, { max: 1 });
    checkPositive('maxStale', options.maxStale, { allowZero: true });
    checkPositive('backoff.initialMs', options.backoff?.initialMs);
    checkPositive('backoff.maxMs', options.backoff?.maxMs, { max: MAX_TIMER_MS });
    checkPositive('maxEntries', options.maxEntries);
    this.client = options.client;
    this.ttl = options.ttl ?? DEFAULT_TTL_MS;
    this.jitter = options.jitter ?? DEFAULT_JITTER;
    this.refreshAhead = options.refreshAhead ?? DEFAULT_REFRESH_AHEAD;
    this.maxStale = options.maxStale ?? DEFAULT_MAX_STALE_MS;
    this.backoffInitial = options.backoff?.initialMs ?? DEFAULT_BACKOFF.initialMs;
    this.backoffMax = options.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs;
    this.versionAware = options.versionAware ?? false;
    this.requestTimeout = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.maxEntries = Math.floor(options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.logger = options.logger ?? silentLogger;
    this.observe = (event) => {
      this.apiCalls[event.operation] = (this.apiCalls[event.operation] ?? 0) + 1;
      this.emit('apiCall', event);
    };
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
      const entry = this.current.get(secretId);
      if (entry?.fresh) {
        this.counters.hits++;
        entry.used = ++this.tick;
        entry.readSinceRefresh = true;
        return (entry.views.string ?? this.view(entry, secretId, 'string')) as SecretResult<ValueOf<F, S>>;
      }
    }
    return this.read(secretId, options ?? {}) as Promise<SecretResult<ValueOf<F, S>>>;
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
      options === undefined ? this.current.get(secretId) : this.lookup(secretId, selectorOf(options));
    if (entry === undefined) return undefined;
    if (!entry.fresh) {
      const now = Date.now();
      // Past expiry, only what get() would serve: a stale value while Secrets Manager is failing transiently.
      if (
        now >= entry.expiresAt &&
        (!isTransient(entry.lastError) || now >= entry.expiresAt + this.maxStale)
      ) {
        return undefined;
      }
    }
    entry.used = ++this.tick;
    entry.readSinceRefresh = true;
    const format = options?.as ?? 'string';
    try {
      return (entry.views[format] ?? this.view(entry, secretId, format)) as SecretResult<
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
    this.checkOpen();
    checkSecretId(secretId);
    checkReadOptions(options);
    const selector = selectorOf(options);
    const entry = this.lookup(secretId, selector);
    if (entry === undefined) {
      // Bypasses the backoff of a failed cold fetch too.
      this.coldFailures.delete(this.key(selector, secretId));
      return this.read(secretId, options) as Promise<SecretResult<ValueOf<F, S>>>;
    }
    // A forced refresh never joins a refresh that started before it: that one may carry the old value.
    entry.forced ??= this.fetchInto(entry, true).finally(() => {
      entry.forced = undefined;
    });
    await abortable(entry.forced, options.signal);
    return this.shape(entry, secretId, options) as Promise<SecretResult<ValueOf<F, S>>>;
  }

  /** Drops one secret (every stage, version and name it is cached under), or everything. */
  invalidate(secretId?: string): void {
    if (secretId === undefined) {
      for (const entry of [...this.entries]) this.evict(entry);
      this.coldFailures.clear();
      return;
    }
    const arn =
      this.current.get(secretId)?.arn ?? [...this.entries].find((e) => e.aliases.has(secretId))?.arn;
    for (const entry of [...this.entries]) {
      if (entry.arn === arn || entry.aliases.has(secretId)) this.evict(entry);
    }
    for (const key of [...this.coldFailures.keys()])
      if (key.endsWith(`\n${secretId}`)) this.coldFailures.delete(key);
  }

  /**
   * Several secrets' AWSCURRENT values at once: cold ones are fetched with BatchGetSecretValue, 20 per call.
   * Results come back in the order asked; if any secret fails, a SecretBatchError names each failure.
   */
  async getMany<F extends SecretFormat = 'string', S extends StandardSchemaV1 | undefined = undefined>(
    secretIds: readonly string[],
    options: Omit<ReadOptions<F, S>, keyof VersionSelector> = {},
  ): Promise<SecretResult<ValueOf<F, S>>[]> {
    this.checkOpen();
    if (!Array.isArray(secretIds)) throw new TypeError('getMany takes an array of secret names or ARNs.');
    for (const id of secretIds) checkSecretId(id);
    checkReadOptions(options);
    const now = Date.now();
    const cold = [
      ...new Set(
        secretIds.filter((id) => {
          const entry = this.current.get(id);
          return (entry === undefined || now >= entry.expiresAt) && !this.pending.has(this.key('', id));
        }),
      ),
    ];
    const batched = new Map<string, Promise<Entry>>();
    for (let i = 0; i < cold.length; i += BATCH_SIZE) {
      for (const [id, promise] of this.fetchBatch(cold.slice(i, i + BATCH_SIZE))) batched.set(id, promise);
    }
    // The batch's own answer for the secrets it fetched: a secret it could not read is not asked for again.
    const readOne = async (id: string): Promise<SecretResult<unknown>> => {
      const fetched = batched.get(id);
      if (fetched === undefined) return this.read(id, options);
      this.counters.misses++;
      const entry = await abortable(fetched, options.signal);
      entry.used = ++this.tick;
      entry.readSinceRefresh = true;
      return this.shape(entry, id, options);
    };
    const settled = await Promise.allSettled(secretIds.map(readOne));
    const errors = new Map<string, CofferError>();
    const results = new Map<string, SecretResult<unknown>>();
    settled.forEach((outcome, index) => {
      const id = secretIds[index] as string;
      if (outcome.status === 'fulfilled') results.set(id, outcome.value);
      else if (outcome.reason instanceof CofferError) errors.set(id, outcome.reason);
      else throw outcome.reason; // an abort, not a secret's failure
    });
    if (errors.size > 0) throw new SecretBatchError(errors, results);
    return settled.map((outcome) => (outcome as PromiseFulfilledResult<SecretResult<ValueOf<F, S>>>).value);
  }

  /** Subscribes to `rotated`, `refreshError` or `apiCall`; returns the unsubscribe function. */
  on<E extends SecretCacheEvent>(event: E, listener: Listener<E>): () => void {
    return this.emitter.on(event, listener);
  }

  off<E extends SecretCacheEvent>(event: E, listener: Listener<E>): void {
    this.emitter.off(event, listener);
  }

  stats(): SecretCacheStats {
    return { ...this.counters, entries: this.entries.size, apiCalls: { ...this.apiCalls } };
  }

  /** Stops every timer and forgets every value. Later calls throw ClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const inflight = [...this.entries].flatMap((e) => [e.inflight, e.forced]).filter((p) => p !== undefined);
    for (const entry of [...this.entries]) this.evict(entry);
    this.emitter.clear();
    await Promise.allSettled([...inflight, ...this.pending.values()]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Entries hold the raw values: logging the cache shows its statistics instead. */
  [inspect.custom](): string {
    return `SecretCache ${inspect(this.toJSON())}`;
  }

  /** What the cache is doing; never a value. */
  toJSON(): Record<string, unknown> {
    return { ...this.stats(), closed: this.closed };
  }

  // ---------------------------------------------------------------------------------------------------------

  /** Each call gets its own timeout; callers' abort signals only end their own wait, never a shared call. */
  private callOptions(): { observe: ApiCallObserver; signal: AbortSignal } {
    return { observe: this.observe, signal: AbortSignal.timeout(this.requestTimeout) };
  }

  private sdk(): SecretsManagerClient {
    return this.client ?? defaultClient();
  }

  private checkOpen(): void {
    if (this.closed)
      throw new ClosedError('This SecretCache is closed: create a new one (close() is final).');
  }

  private key(selector: string, secretId: string): string {
    return `${selector}\n${secretId}`;
  }

  private lookup(secretId: string, selector: string): Entry | undefined {
    return selector === '' ? this.current.get(secretId) : this.other.get(this.key(selector, secretId));
  }

  private async read(
    secretId: string,
    options: ReadOptions<SecretFormat, StandardSchemaV1 | undefined>,
  ): Promise<SecretResult<unknown>> {
    this.checkOpen();
    checkSecretId(secretId);
    checkReadOptions(options);
    const selector = selectorOf(options);
    let entry = this.lookup(secretId, selector);
    const now = Date.now();
    if (entry === undefined) {
      this.counters.misses++;
      entry = await abortable(this.fetchCold(secretId, selector), options.signal);
    } else if (now < entry.refreshAt) {
      this.counters.hits++;
    } else if (now < entry.expiresAt) {
      // Refresh-ahead: answer now from the cache, fetch the next value in the background.
      this.counters.hits++;
      if (now >= entry.retryAt) this.refreshInBackground(entry);
    } else {
      entry = await abortable(this.readExpired(entry, now), options.signal);
    }
    entry.used = ++this.tick;
    entry.readSinceRefresh = true;
    return this.shape(entry, secretId, options);
  }

  /** An expired entry: refresh and wait, or serve the last good value while Secrets Manager fails. */
  private async readExpired(entry: Entry, now: number): Promise<Entry> {
    this.counters.misses++;
    const staleUntil = entry.expiresAt + this.maxStale;
    if (entry.lastError !== undefined && isTransient(entry.lastError) && now < staleUntil) {
      // Secrets Manager is known to be failing: answer with the last good value now and retry in the
      // background (when the backoff allows), instead of making callers wait on a retry that may hang.
      if (now >= entry.retryAt) this.refreshInBackground(entry);
      return this.serveStale(entry);
    }
    // A definite answer (not found, access denied) or past maxStale: no stale value, and no retry before the backoff.
    if (now < entry.retryAt && entry.lastError !== undefined) throw entry.lastError;
    if (entry.inflight === undefined) entry.inflight = this.startRefresh(entry);
    try {
      await entry.inflight;
      return entry;
    } catch (error) {
      if (Date.now() < staleUntil && isTransient(error)) return this.serveStale(entry);
      throw error;
    }
  }

  private serveStale(entry: Entry): Entry {
    this.counters.staleServes++;
    return entry;
  }

  private shape(
    entry: Entry,
    secretId: string,
    options: ReadOptions<SecretFormat, StandardSchemaV1 | undefined>,
  ): Promise<SecretResult<unknown>> | SecretResult<unknown> {
    const schema = options.schema;
    if (schema === undefined) {
      const format = formatOf(options);
      return entry.views[format] ?? this.view(entry, secretId, format);
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

  private view(entry: Entry, secretId: string, format: SecretFormat): SecretResult<unknown> {
    const result = decodeAs(entry.raw, secretId, format);
    entry.views[format] = result;
    return result;
  }

  private fetchCold(secretId: string, selector: string): Promise<Entry> {
    const key = this.key(selector, secretId);
    const existing = this.pending.get(key);
    if (existing) return existing;
    const backoff = this.coldFailures.get(key);
    if (backoff !== undefined && Date.now() < backoff.retryAt) return Promise.reject(backoff.error);
    const promise = (async () => {
      try {
        const raw = await getSecretValue(this.sdk(), secretId, versionOf(selector), {
          ...this.callOptions(),
        });
        this.coldFailures.delete(key);
        return this.install(secretId, selector, raw);
      } catch (error) {
        const mapped = error as CofferError;
        this.counters.errors++;
        if (isTransient(mapped)) this.noteColdFailure(key, mapped);
        throw mapped;
      } finally {
        this.pending.delete(key);
      }
    })();
    this.pending.set(key, promise);
    return promise;
  }

  /**
   * One BatchGetSecretValue for up to 20 cold secrets; each lands in the cache as if fetched alone. Returns
   * each secret's outcome. No abort signal: concurrent get() calls share the request.
   */
  private fetchBatch(secretIds: string[]): Map<string, Promise<Entry>> {
    let resolveAll: (entries: Map<string, RawSecret | CofferError>) => void = () => {};
    let rejectAll: (error: unknown) => void = () => {};
    const batch = new Promise<Map<string, RawSecret | CofferError>>((resolve, reject) => {
      resolveAll = resolve;
      rejectAll = reject;
    });
    batch.catch(() => {});
    // Register every id as pending first, so concurrent get() calls wait for this batch instead of fetching.
    const outcomes = new Map<string, Promise<Entry>>();
    for (const id of secretIds) {
      const key = this.key('', id);
      const promise = batch
        .then((results) => {
          const result = results.get(id) as RawSecret | CofferError;
          if (result instanceof CofferError) {
            this.counters.errors++;
            if (isTransient(result)) this.noteColdFailure(key, result);
            throw result;
          }
          this.coldFailures.delete(key);
          return this.install(id, '', result);
        })
        .finally(() => this.pending.delete(key));
      promise.catch(() => {});
      this.pending.set(key, promise);
      outcomes.set(id, promise);
    }
    void (async () => {
      try {
        resolveAll(await batchGetSecretValues(this.sdk(), secretIds, this.callOptions()));
      } catch (error) {
        if (!(error instanceof AccessDeniedError)) {
          // An outage or throttling: the same answer for every secret, not 20 more calls into it.
          const mapped =
            error instanceof CofferError ? error : mapSdkError(error, undefined, 'BatchGetSecretValue');
          resolveAll(new Map(secretIds.map((id) => [id, mapped])));
          return;
        }
        // Without batch permission each secret is fetched on its own instead.
        const fallback = new Map<string, RawSecret | CofferError>();
        await Promise.all(
          secretIds.map(async (id) => {
            try {
              fallback.set(id, await getSecretValue(this.sdk(), id, {}, this.callOptions()));
            } catch (e) {
              fallback.set(id, e as CofferError);
            }
          }),
        );
        resolveAll(fallback);
      }
    })().catch(rejectAll);
    return outcomes;
  }

  private noteColdFailure(key: string, error: CofferError): void {
    const failures = (this.coldFailures.get(key)?.failures ?? 0) + 1;
    this.coldFailures.set(key, { failures, retryAt: Date.now() + this.backoffDelay(failures), error });
  }

  /** Stores a fetched value under every name it can be asked for: as given, name, full ARN, partial ARN. */
  private install(secretId: string, selector: string, raw: RawSecret): Entry {
    const existing = this.byArn.get(this.key(selector, raw.arn));
    if (existing) {
      existing.fetched = ++this.fetches;
      this.update(existing, raw);
      this.alias(existing, secretId);
      return existing;
    }
    const entry: Entry = {
      selector,
      arn: raw.arn,
      raw,
      views: {},
      schemaViews: undefined,
      fresh: false,
      refreshAt: 0,
      expiresAt: 0,
      used: ++this.tick,
      readSinceRefresh: false,
      aliases: new Set(),
      inflight: undefined,
      forced: undefined,
      failures: 0,
      retryAt: 0,
      lastError: undefined,
      timer: undefined,
      fetched: this.fetches,
    };
    // A fetch that ends after close() still answers its callers, but leaves nothing (and no timer) behind.
    if (this.closed) return entry;
    this.entries.add(entry);
    this.byArn.set(this.key(selector, raw.arn), entry);
    this.renew(entry);
    for (const name of [secretId, raw.name, raw.arn, raw.arn.slice(0, -7)]) this.alias(entry, name);
    if (this.entries.size > this.maxEntries) this.evictLeastRecentlyUsed();
    return entry;
  }

  private alias(entry: Entry, name: string): void {
    entry.aliases.add(name);
    if (entry.selector === '') this.current.set(name, entry);
    else this.other.set(this.key(entry.selector, name), entry);
  }

  /** Starts the next TTL period and schedules the background refresh. */
  private renew(entry: Entry): void {
    const now = Date.now();
    const ttl = this.ttl * (1 - this.jitter * Math.random());
    entry.expiresAt = now + ttl;
    entry.refreshAt = now + ttl * this.refreshAhead;
    entry.failures = 0;
    entry.retryAt = 0;
    entry.lastError = undefined;
    entry.readSinceRefresh = false;
    entry.fresh = true;
    this.schedule(entry, entry.refreshAt - now);
  }

  private schedule(entry: Entry, delay: number): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.onTimer(entry), Math.max(0, delay));
    // A cache must never keep a process alive.
    entry.timer.unref();
  }

  /** Timer refreshes only secrets someone still reads, or any secret when rotation is being watched. */
  private onTimer(entry: Entry): void {
    entry.timer = undefined;
    entry.fresh = false;
    if (this.closed || !this.entries.has(entry)) return;
    if (entry.readSinceRefresh || this.emitter.count('rotated') > 0) this.refreshInBackground(entry);
  }

  private refreshInBackground(entry: Entry): void {
    if (entry.inflight !== undefined) return;
    entry.inflight = this.startRefresh(entry);
    entry.inflight.catch(() => {});
  }

  private startRefresh(entry: Entry): Promise<void> {
    return this.fetchInto(entry, false).finally(() => {
      entry.inflight = undefined;
    });
  }

  private async fetchInto(entry: Entry, force: boolean): Promise<void> {
    const secretId = entry.raw.name;
    const sequence = ++this.fetches;
    // A fetch that ends after a later one was applied (a slow background refresh overtaken by a forced
    // refresh) holds an older answer: it must neither replace the newer value nor mark the entry failed.
    const overtaken = () => entry.fetched > sequence;
    this.counters.refreshes++;
    try {
      if (this.versionAware && !force && entry.selector === '') {
        const current = await currentVersionId(this.sdk(), entry.arn, this.callOptions());
        if (current === entry.raw.versionId) {
          if (!overtaken()) {
            entry.fetched = sequence;
            this.renew(entry);
          }
          return;
        }
      }
      const raw = await getSecretValue(this.sdk(), entry.arn, versionOf(entry.selector), {
        ...this.callOptions(),
      });
      if (overtaken()) return;
      entry.fetched = sequence;
      this.update(entry, raw);
    } catch (error) {
      const mapped = error as CofferError;
      if (overtaken()) throw mapped;
      this.counters.errors++;
      entry.failures++;
      const delay = this.backoffDelay(entry.failures);
      entry.retryAt = Date.now() + delay;
      entry.lastError = mapped;
      const servingStale = isTransient(mapped) && Date.now() < entry.expiresAt + this.maxStale;
      this.logger.warn?.(
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
      this.emit('refreshError', { secretId, arn: entry.arn, error: mapped, servingStale, retryInMs: delay });
      if (servingStale && this.entries.has(entry)) this.schedule(entry, delay);
      throw mapped;
    }
  }

  /** A new value for an entry; for AWSCURRENT, a new version id is a rotation. */
  private update(entry: Entry, raw: RawSecret): void {
    const previous = entry.raw;
    entry.raw = raw;
    entry.arn = raw.arn;
    entry.views = {};
    entry.schemaViews = undefined;
    this.renew(entry);
    if (entry.selector === '' && previous.versionId !== raw.versionId) {
      this.logger.info?.(
        { secretId: raw.name, arn: raw.arn, previousVersionId: previous.versionId, versionId: raw.versionId },
        `coffer: secret ${raw.name} rotated`,
      );
      this.emit('rotated', {
        secretId: raw.name,
        name: raw.name,
        arn: raw.arn,
        previousVersionId: previous.versionId,
        versionId: raw.versionId,
      });
    }
  }

  private backoffDelay(failures: number): number {
    // Equal jitter: between half and all of the exponential ceiling, so retries stay spaced out yet many
    // processes don't retry in step.
    const ceiling = Math.min(this.backoffMax, this.backoffInitial * 2 ** (failures - 1));
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }

  private evictLeastRecentlyUsed(): void {
    let oldest: Entry | undefined;
    for (const entry of this.entries) if (oldest === undefined || entry.used < oldest.used) oldest = entry;
    if (oldest !== undefined) {
      this.evict(oldest);
      this.counters.evictions++;
    }
  }

  private evict(entry: Entry): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.fresh = false;
    this.entries.delete(entry);
    if (this.byArn.get(this.key(entry.selector, entry.arn)) === entry)
      this.byArn.delete(this.key(entry.selector, entry.arn));
    for (const name of entry.aliases) {
      if (entry.selector === '') {
        if (this.current.get(name) === entry) this.current.delete(name);
      } else {
        const key = this.key(entry.selector, name);
        if (this.other.get(key) === entry) this.other.delete(key);
      }
    }
  }

  private emit<E extends SecretCacheEvent>(event: E, payload: Parameters<Listener<E>>[0]): void {
    this.emitter.emit(event, payload, (error) =>
      this.logger.error?.(
        { event, error: error instanceof Error ? error.message : String(error) },
        'coffer: a SecretCache listener threw',
      ),
    );
  }
}
