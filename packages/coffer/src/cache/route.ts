import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RawSecret } from '../sdk/secrets-manager.js';

/** What one call is given: the client to send with and the secret id as that region knows it. */
export interface RegionCall {
  readonly client: SecretsManagerClient;
  readonly region: string;
  /** A secret id for this region: an ARN of another region is rewritten to this one; names pass as they are. */
  readonly idFor: (secretId: string) => string;
  /** A secret read in this region as the primary region names it (a replica's ARN becomes the primary's). */
  readonly toHome: (raw: RawSecret) => RawSecret | Promise<RawSecret>;
  /** Whether this is a replica's region (the call is a failover). */
  readonly failover: boolean;
}

/** Where a cache's calls go: the primary region only, or with `replicaFailover`, its replicas too. */
export interface Route {
  /** Runs `call` in a region; resolves with the answer, the region that gave it and whether it is a replica's. */
  run<T>(call: (target: RegionCall) => Promise<T>): Promise<{ result: T; region: string; failover: boolean }>;
}

/** Replica failover for a SecretCache's `replicas` option; made by `replicaFailover`. */
export interface ReplicaFailover {
  /** The route a cache's calls take, given its primary client and its backoff (ms before retry `failures + 1`). */
  readonly route: (primary: () => SecretsManagerClient, backoff: (failures: number) => number) => Route;
}

export const UNKNOWN_REGION = 'unknown';

/** The region each failed call's error came from. */
const errorRegions = /* @__PURE__ */ new WeakMap<object, string>();

/** Remembers the region whose call failed with `error`. */
export const markRegion = (error: unknown, region: string): void => {
  if (typeof error === 'object' && error !== null) errorRegions.set(error, region);
};

/** The region whose call failed with `error`, when it came through a Route. */
export const regionOfError = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null ? errorRegions.get(error) : undefined;

/** A client's region (the SDK keeps it behind a provider function), or `unknown`. */
export async function regionOf(client: SecretsManagerClient): Promise<string> {
  try {
    const region: unknown = (client.config as { region?: unknown }).region;
    const value = typeof region === 'function' ? await (region as () => Promise<unknown>)() : region;
    return typeof value === 'string' && value !== '' ? value : UNKNOWN_REGION;
  } catch {
    return UNKNOWN_REGION;
  }
}

const same = <T>(value: T): T => value;

/** Every call to the primary client, in its region: the route of a cache without replicas. */
export function primaryRoute(primary: () => SecretsManagerClient): Route {
  let named: { client: SecretsManagerClient; region: Promise<string> } | undefined;
  return {
    async run(call) {
      const client = primary();
      if (named?.client !== client) named = { client, region: regionOf(client) };
      const region = await named.region;
      try {
        return {
          result: await call({ client, region, idFor: same, toHome: same, failover: false }),
          region,
          failover: false,
        };
      } catch (error) {
        markRegion(error, region);
        throw error;
      }
    },
  };
}
