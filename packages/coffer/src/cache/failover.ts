import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CofferError } from '../errors.js';
import type { RawSecret } from '../sdk/secrets-manager.js';
import { isTransient } from './entry.js';
import { backoffDelay, type CachePolicy } from './options.js';

/** One region the cache can read from: its client, and how its calls have been failing. */
interface Region {
  readonly client: SecretsManagerClient;
  /** The client's region, resolved once (the SDK keeps it behind a provider function). */
  name: Promise<string> | undefined;
  /** Consecutive transient failures, and when to try this region again first. */
  failures: number;
  downUntil: number;
}

/** What one call is given: the client to send with and the secret id as that region knows it. */
export interface RegionCall {
  readonly client: SecretsManagerClient;
  readonly region: string;
  /** A secret id for this region: an ARN of another region is rewritten to this one; names pass as they are. */
  readonly idFor: (secretId: string) => string;
  /** Whether this is a replica's region (the call is a failover). */
  readonly failover: boolean;
}

const ARN = /^(arn:[^:]+:secretsmanager:)([^:]*)(:.*)$/;

/** The ARN in `region` (a replica's ARN is its primary's with its own region); anything else unchanged. */
const inRegion = (secretId: string, region: string): string => {
  const match = ARN.exec(secretId);
  return match === null ? secretId : `${match[1]}${region}${match[3]}`;
};

const UNKNOWN_REGION = 'unknown';

/** The region each failed call's error came from. */
const errorRegions = new WeakMap<object, string>();

/** The region whose call failed with `error`, when it came through a RegionRoute. */
export const regionOfError = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null ? errorRegions.get(error) : undefined;

async function regionOf(client: SecretsManagerClient): Promise<string> {
  try {
    const region: unknown = (client.config as { region?: unknown }).region;
    const value = typeof region === 'function' ? await (region as () => Promise<unknown>)() : region;
    return typeof value === 'string' && value !== '' ? value : UNKNOWN_REGION;
  } catch {
    return UNKNOWN_REGION;
  }
}

/**
 * The regions a cache reads from, in order: the primary client's, then each replica's. A call goes to
 * the first region that is not known to be down; when it fails as an outage (unreachable, timed out,
 * 5xx, throttled) the next region answers instead, and the failed one is skipped for a backoff period
 * so later reads do not wait on it. A definite answer (not found, access denied) is never retried
 * elsewhere: every region would give it, and trying would only hide a mistake.
 */
export class RegionRoute {
  readonly #regions: Region[];
  readonly #primary: () => SecretsManagerClient;
  readonly #policy: CachePolicy;

  constructor(
    primary: () => SecretsManagerClient,
    replicas: readonly SecretsManagerClient[],
    policy: CachePolicy,
  ) {
    this.#primary = primary;
    this.#policy = policy;
    this.#regions = replicas.map((client) => ({ client, name: undefined, failures: 0, downUntil: 0 }));
  }

  get hasReplicas(): boolean {
    return this.#regions.length > 0;
  }

  /**
   * Runs `call` in the first healthy region, failing over on outages. Resolves with the answer, the
   * region that gave it and whether that is a replica's; rejects with the last region's error.
   */
  async run<T>(
    call: (target: RegionCall) => Promise<T>,
  ): Promise<{ result: T; region: string; failover: boolean }> {
    const primary = this.#primaryRegion();
    const all = [primary, ...this.#regions];
    const now = Date.now();
    // Regions that are up first, in order; regions still backing off after them, so a read is never refused
    // without trying every region once.
    const order = [...all.filter((r) => r.downUntil <= now), ...all.filter((r) => r.downUntil > now)];
    // The error to report when no region answers: the first outage (the primary's, when it was tried).
    let outage: unknown;
    for (const region of order) {
      const name = await this.#name(region);
      try {
        const result = await call({
          client: region.client,
          region: name,
          idFor: (secretId) => (region === primary ? secretId : inRegion(secretId, name)),
          failover: region !== primary,
        });
        region.failures = 0;
        region.downUntil = 0;
        return { result, region: name, failover: region !== primary };
      } catch (error) {
        if (typeof error === 'object' && error !== null) errorRegions.set(error, name);
        if (!isTransient(error)) {
          // The primary region's answer is the answer. A replica's "not found" or "access denied" during an
          // outage only means the secret is not replicated there (or not allowed there): try the next one.
          if (region === primary) throw error;
          continue;
        }
        if (!this.hasReplicas) throw error;
        region.failures++;
        region.downUntil = Date.now() + backoffDelay(this.#policy, region.failures);
        outage ??= error;
      }
    }
    throw outage as CofferError;
  }

  /** The primary client's region name (the region the cache's ARNs are in). */
  home(): Promise<string> {
    return this.#name(this.#primaryRegion());
  }

  #primaryRegionEntry: Region | undefined;

  #primaryRegion(): Region {
    const client = this.#primary();
    if (this.#primaryRegionEntry?.client !== client) {
      this.#primaryRegionEntry = { client, name: undefined, failures: 0, downUntil: 0 };
    }
    return this.#primaryRegionEntry;
  }

  #name(region: Region): Promise<string> {
    region.name ??= regionOf(region.client);
    return region.name;
  }
}

/** A secret read from a replica, renamed to the primary region's ARN: one cache entry per secret. */
export const asHome = (raw: RawSecret, home: string): RawSecret =>
  ARN.test(raw.arn) && home !== UNKNOWN_REGION
    ? Object.freeze({ ...raw, arn: inRegion(raw.arn, home) })
    : raw;
