import type { CofferError } from '../errors.js';
import type { SecretFormat, SecretResult } from '../read/decode.js';
import type { ReadOptions } from '../read/options.js';
import type { ApiOptions, RawSecret } from '../sdk/secrets-manager.js';
import type { StandardSchemaV1 } from '../standard-schema.js';
import type { CacheEntry } from './entry.js';
import type { CachePolicy } from './options.js';
import type { RegionCall } from './route.js';

/** Metadata a cache keeps beside its values (see getDescription): refreshed by version-aware refreshes too. */
export interface DescriptionStore {
  remember(names: readonly string[], output: object): unknown;
  forget(secretId?: string): void;
}

/**
 * The parts of a SecretCache that the features living in their own modules (getMany, getDescription) build on,
 * so a bundle that does not import those features does not carry them.
 */
export interface CacheInternals {
  readonly policy: CachePolicy;
  /** AWSCURRENT entries by every name they are known by. */
  readonly current: ReadonlyMap<string, CacheEntry>;
  /** Cold fetches in flight, by pending key. */
  readonly pending: Map<string, Promise<CacheEntry>>;
  /** Set by getDescription on first use. */
  descriptions: DescriptionStore | undefined;
  checkOpen(): void;
  read(
    secretId: string,
    options: ReadOptions<SecretFormat, StandardSchemaV1 | undefined>,
  ): Promise<SecretResult<unknown>>;
  /** Answers a read from an entry fetched for it (a miss). */
  serve(
    entry: CacheEntry,
    secretId: string,
    options: ReadOptions<SecretFormat, StandardSchemaV1 | undefined>,
  ): Promise<SecretResult<unknown>> | SecretResult<unknown>;
  /** A cold fetch's answer: installed, or counted (and backed off from when transient) and thrown. */
  settleCold(key: string, secretId: string, selector: string, result: RawSecret | CofferError): CacheEntry;
  /** Runs a call in the cache's route (the primary region, or its replicas), counting which region answered. */
  routed<T>(call: (target: RegionCall) => Promise<T>): Promise<T>;
  /** Each call's timeout and `apiCall` observation. */
  callOptions(target: RegionCall): ApiOptions;
}

/** Each cache's internals, set by its constructor. */
export const cacheInternals = /* @__PURE__ */ new WeakMap<object, CacheInternals>();

/** A cache's internals; a TypeError naming `caller` for anything that is not a SecretCache. */
export function internalsOf(cache: unknown, caller: string): CacheInternals {
  const internals = typeof cache === 'object' && cache !== null ? cacheInternals.get(cache) : undefined;
  if (internals === undefined)
    throw new TypeError(`${caller} takes a SecretCache as its first argument, e.g. ${caller}(cache, ...).`);
  return internals;
}
