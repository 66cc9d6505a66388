import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CofferError } from '../errors.js';
import type { RawSecret } from '../sdk/secrets-manager.js';
import { isTransient } from './entry.js';
import { markRegion, type ReplicaFailover, type Route, regionOf, UNKNOWN_REGION } from './route.js';

/** One region the cache can read from: its client, and how its calls have been failing. */
interface Region {
  readonly client: SecretsManagerClient;
  /** The client's region, resolved once (the SDK keeps it behind a provider function). */
  name: Promise<string> | undefined;
  /** Consecutive transient failures, and when to try this region again first. */
  failures: number;
  downUntil: number;
}

const ARN = /^(arn:[^:]+:secretsmanager:)([^:]*)(:.*)$/;

/** The ARN in `region` (a replica's ARN is its primary's with its own region); anything else unchanged. */
const inRegion = (secretId: string, region: string): string => {
  const match = ARN.exec(secretId);
  return match === null ? secretId : `${match[1]}${region}${match[3]}`;
};

const region = (client: SecretsManagerClient): Region => ({
  client,
  name: undefined,
  failures: 0,
  downUntil: 0,
});

/**
 * Fails a SecretCache over to the regions its secrets are replicated to, in the order given, when the primary
 * region (the cache's `client`) is unreachable or failing: a timeout, a connection error, a 5xx or throttling.
 * Never on an answer such as not found or access denied. A failing region is skipped for a backoff period,
 * then tried first again. Names work as they are; ARNs are rewritten to each replica's region. Its own import,
 * so a cache without replicas does not carry it.
 *
 * @example
 * ```ts
 * const cache = new SecretCache({ replicas: replicaFailover([new SecretsManagerClient({ region: 'eu-west-1' })]) });
 * ```
 */
export function replicaFailover(clients: readonly SecretsManagerClient[]): ReplicaFailover {
  if (!Array.isArray(clients) || clients.some((c) => typeof (c as { send?: unknown })?.send !== 'function')) {
    throw new TypeError(
      'replicaFailover takes a list of SecretsManagerClient, one per replica region (e.g. [new SecretsManagerClient({ region: "eu-west-1" })]).',
    );
  }
  const replicas = [...clients];
  const failover: ReplicaFailover = { route: (primary, backoff) => regionRoute(primary, replicas, backoff) };
  return Object.freeze(failover);
}

/**
 * The regions a cache reads from, in order: the primary client's, then each replica's. A call goes to
 * the first region that is not known to be down; when it fails as an outage (unreachable, timed out,
 * 5xx, throttled) the next region answers instead, and the failed one is skipped for a backoff period
 * so later reads do not wait on it. A definite answer (not found, access denied) is never retried
 * elsewhere: every region would give it, and trying would only hide a mistake.
 */
function regionRoute(
  primary: () => SecretsManagerClient,
  replicas: readonly SecretsManagerClient[],
  backoff: (failures: number) => number,
): Route {
  const regions = replicas.map(region);
  let primaryEntry: Region | undefined;
  const nameOf = (r: Region): Promise<string> => {
    r.name ??= regionOf(r.client);
    return r.name;
  };
  return {
    async run(call) {
      const client = primary();
      if (primaryEntry?.client !== client) primaryEntry = region(client);
      const first = primaryEntry;
      const all = [first, ...regions];
      const now = Date.now();
      // Regions that are up first, in order; regions still backing off after them, so a read is never refused
      // without trying every region once.
      const order = [...all.filter((r) => r.downUntil <= now), ...all.filter((r) => r.downUntil > now)];
      // The error to report when no region answers: the first outage (the primary's, when it was tried).
      let outage: unknown;
      for (const target of order) {
        const name = await nameOf(target);
        const failover = target !== first;
        try {
          const result = await call({
            client: target.client,
            region: name,
            idFor: (secretId) => (failover ? inRegion(secretId, name) : secretId),
            // A replica's answer carries the primary region's ARN: one cache entry per secret.
            toHome: async (raw: RawSecret) => {
              if (!failover || !ARN.test(raw.arn)) return raw;
              const home = await nameOf(first);
              return home === UNKNOWN_REGION ? raw : Object.freeze({ ...raw, arn: inRegion(raw.arn, home) });
            },
            failover,
          });
          target.failures = 0;
          target.downUntil = 0;
          return { result, region: name, failover };
        } catch (error) {
          markRegion(error, name);
          if (!isTransient(error)) {
            // The primary region's answer is the answer. A replica's "not found" or "access denied" during an
            // outage only means the secret is not replicated there (or not allowed there): try the next one.
            if (!failover) throw error;
            continue;
          }
          if (regions.length === 0) throw error;
          target.failures++;
          target.downUntil = Date.now() + backoff(target.failures);
          outage ??= error;
        }
      }
      throw outage as CofferError;
    },
  };
}
