import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type CofferLogger, silentLogger } from '../logger.js';
import type { ReplicaFailover } from './route.js';

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
  /**
   * The regions the secrets are replicated to, made by `replicaFailover([clients])`: tried in order when the
   * primary region (the `client`'s) is unreachable or failing: a timeout, a connection error, a 5xx or
   * throttling. Never on an answer such as not found or access denied. A failing region is skipped for a
   * backoff period, then tried first again. Names work as they are; ARNs are rewritten to each replica's
   * region. @default none
   */
  replicas?: ReplicaFailover;
}

/** Every SecretCache default in one place; each option's TSDoc above says the same. */
export const SECRET_CACHE_DEFAULTS = Object.freeze({
  /** 15 minutes. */
  ttl: 15 * 60_000,
  jitter: 0.1,
  refreshAhead: 0.8,
  /** 1 hour. */
  maxStale: 60 * 60_000,
  backoff: Object.freeze({ initialMs: 1000, maxMs: 60_000 }),
  versionAware: false,
  /** 10 seconds. */
  requestTimeout: 10_000,
  maxEntries: 1024,
});

/** The options with every default applied and every value checked. */
export interface CachePolicy {
  readonly client: SecretsManagerClient | undefined;
  readonly replicas: ReplicaFailover | undefined;
  readonly ttl: number;
  readonly jitter: number;
  readonly refreshAhead: number;
  readonly maxStale: number;
  readonly backoffInitial: number;
  readonly backoffMax: number;
  readonly versionAware: boolean;
  readonly requestTimeout: number;
  readonly maxEntries: number;
  readonly logger: CofferLogger;
}

/** setTimeout's limit: a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A number option, when given: at least `floor` (`> 0` or `>= 0`) and at most `max`. */
function checkNumber(name: string, value: number | undefined, floor: '> 0' | '>= 0', max = Infinity): void {
  if (value === undefined) return;
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < 0 ||
    (floor === '> 0' && value === 0) ||
    value > max
  ) {
    throw new TypeError(
      `${name} must be a number ${floor}${max < Infinity ? ` and <= ${max}` : ''}, got ${String(value)}.`,
    );
  }
}

export function cachePolicy(options: SecretCacheOptions): CachePolicy {
  checkNumber('ttl', options.ttl, '> 0', MAX_TIMER_MS);
  checkNumber('requestTimeout', options.requestTimeout, '> 0', MAX_TIMER_MS);
  checkNumber('jitter', options.jitter, '>= 0', 0.5);
  checkNumber('refreshAhead', options.refreshAhead, '> 0', 1);
  checkNumber('maxStale', options.maxStale, '>= 0');
  checkNumber('backoff.initialMs', options.backoff?.initialMs, '> 0');
  checkNumber('backoff.maxMs', options.backoff?.maxMs, '> 0', MAX_TIMER_MS);
  checkNumber('maxEntries', options.maxEntries, '> 0');
  const replicas = options.replicas;
  if (replicas !== undefined && typeof (replicas as { route?: unknown } | null)?.route !== 'function') {
    throw new TypeError(
      'replicas takes replicaFailover([...clients]), one SecretsManagerClient per replica region.',
    );
  }
  const defaults = SECRET_CACHE_DEFAULTS;
  return {
    client: options.client,
    replicas,
    ttl: options.ttl ?? defaults.ttl,
    jitter: options.jitter ?? defaults.jitter,
    refreshAhead: options.refreshAhead ?? defaults.refreshAhead,
    maxStale: options.maxStale ?? defaults.maxStale,
    backoffInitial: options.backoff?.initialMs ?? defaults.backoff.initialMs,
    backoffMax: options.backoff?.maxMs ?? defaults.backoff.maxMs,
    versionAware: options.versionAware ?? defaults.versionAware,
    requestTimeout: options.requestTimeout ?? defaults.requestTimeout,
    maxEntries: Math.floor(options.maxEntries ?? defaults.maxEntries),
    logger: options.logger ?? silentLogger,
  };
}

/**
 * The wait before retry number `failures + 1`. Equal jitter: between half and all of the exponential ceiling,
 * so retries stay spaced out yet many processes don't retry in step.
 */
export function backoffDelay(policy: CachePolicy, failures: number): number {
  const ceiling = Math.min(policy.backoffMax, policy.backoffInitial * 2 ** (failures - 1));
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}
