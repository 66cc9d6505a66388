import { type CofferError, SecretsManagerUnavailableError, ThrottledError } from '../errors.js';
import type { SecretFormat, SecretResult } from '../read/decode.js';
import type { VersionSelector } from '../read/options.js';
import type { RawSecret } from '../sdk/secrets-manager.js';
import { CURRENT } from '../stages.js';
import { backoffDelay, type CachePolicy } from './options.js';

/** Errors worth backing off from; the others (not found, access denied) are answers, not outages. */
export const isTransient = (error: unknown): boolean =>
  error instanceof SecretsManagerUnavailableError || error instanceof ThrottledError;

/**
 * Which version an entry holds, as a short key: `''` for AWSCURRENT (the hot path), `s:<stage>` or
 * `v:<versionId>`.
 */
export function selectorOf(version: VersionSelector | undefined): string {
  if (version?.versionId !== undefined) return `v:${version.versionId}`;
  if (version?.versionStage !== undefined && version.versionStage !== CURRENT)
    return `s:${version.versionStage}`;
  return '';
}

export const versionOf = (selector: string): VersionSelector =>
  selector.startsWith('v:')
    ? { versionId: selector.slice(2) }
    : selector.startsWith('s:')
      ? { versionStage: selector.slice(2) }
      : {};

/** One secret version in the cache: its value, when it goes stale, and how its refreshes are failing. */
export class CacheEntry {
  arn: string;
  /** Shaped results by format, so a hot read returns a ready, frozen object. */
  views: Partial<Record<SecretFormat, SecretResult<unknown>>> = {};
  /** Created on the first schema read: most entries never see one. */
  schemaViews: WeakMap<object, Promise<SecretResult<unknown>>> | undefined = undefined;
  /**
   * True from a fetch until refresh-ahead time, cleared by the entry's timer: the hot path tests this flag
   * instead of reading the clock, which costs more than the whole map lookup on some machines.
   */
  fresh = false;
  refreshAt = 0;
  expiresAt = 0;
  readSinceRefresh = false;
  /** Every name the entry is known by in the index. */
  readonly aliases = new Set<string>();
  inflight: Promise<void> | undefined = undefined;
  forced: Promise<void> | undefined = undefined;
  failures = 0;
  retryAt = 0;
  lastError: CofferError | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly selector: string,
    public raw: RawSecret,
    /** The cache's use counter when last read, for least-recently-used eviction. */
    public used: number,
    /** Sequence number of the fetch whose answer the entry holds, so a slower, older fetch cannot undo a newer one. */
    public fetched: number,
  ) {
    this.arn = raw.arn;
  }

  /** Starts the next TTL period; returns the delay until the refresh-ahead time. */
  renew(policy: CachePolicy): number {
    const now = Date.now();
    const ttl = policy.ttl * (1 - policy.jitter * Math.random());
    this.expiresAt = now + ttl;
    this.refreshAt = now + ttl * policy.refreshAhead;
    this.failures = 0;
    this.retryAt = 0;
    this.lastError = undefined;
    this.readSinceRefresh = false;
    this.fresh = true;
    return this.refreshAt - now;
  }

  /** Takes a newly fetched value, dropping the shaped views of the old one. */
  replace(raw: RawSecret): RawSecret {
    const previous = this.raw;
    this.raw = raw;
    this.arn = raw.arn;
    this.views = {};
    this.schemaViews = undefined;
    return previous;
  }

  /** Records a failed refresh; returns how long to back off before the next one. */
  recordFailure(error: CofferError, policy: CachePolicy): number {
    this.failures++;
    const delay = backoffDelay(policy, this.failures);
    this.retryAt = Date.now() + delay;
    this.lastError = error;
    return delay;
  }

  /** Whether the last good value may be served while Secrets Manager fails with `error`. */
  canServeStale(error: unknown, policy: CachePolicy, now = Date.now()): boolean {
    return isTransient(error) && now < this.expiresAt + policy.maxStale;
  }

  /** Whether a read may answer from this entry without waiting: fresh, or stale while Secrets Manager fails. */
  servable(policy: CachePolicy): boolean {
    if (this.fresh) return true;
    const now = Date.now();
    return now < this.expiresAt || this.canServeStale(this.lastError, policy, now);
  }
}
