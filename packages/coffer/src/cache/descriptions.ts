import type { DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import { abortable } from '../abortable.js';
import type { CofferError } from '../errors.js';
import { checkSecretId } from '../read/options.js';
import { describeSecret } from '../sdk/secrets-manager.js';
import { isTransient } from './entry.js';
import { type DescriptionStore, internalsOf } from './internals.js';
import type { CachePolicy } from './options.js';
import type { SecretCache } from './secret-cache.js';

/** DescribeSecret's answer without the SDK's response metadata: a secret's metadata, never its value. */
export type SecretDescription = Readonly<Omit<DescribeSecretCommandOutput, '$metadata'>>;

interface Described {
  description: SecretDescription;
  expiresAt: number;
}

/**
 * DescribeSecret answers kept for a TTL, by every name they were asked by. Concurrent calls for one name share
 * one request; a transient failure serves the last answer for up to `maxStale` past its expiry.
 */
class Descriptions implements DescriptionStore {
  readonly #byName = new Map<string, Described>();
  readonly #pending = new Map<string, Promise<SecretDescription>>();

  constructor(private readonly policy: CachePolicy) {}

  /** Stores an answer (from a read or from a version-aware refresh) under each name given. */
  remember(names: readonly string[], output: DescribeSecretCommandOutput): SecretDescription {
    const { $metadata: _, ...rest } = output;
    const description = Object.freeze(rest);
    const described = { description, expiresAt: Date.now() + this.policy.ttl };
    for (const name of names) this.#byName.set(name, described);
    return description;
  }

  get(
    secretId: string,
    fetch: () => Promise<DescribeSecretCommandOutput>,
    force: boolean,
  ): Promise<SecretDescription> {
    const known = this.#byName.get(secretId);
    if (!force && known !== undefined && Date.now() < known.expiresAt)
      return Promise.resolve(known.description);
    const pending = this.#pending.get(secretId);
    if (pending !== undefined) return pending;
    const promise = fetch()
      .then((output) => this.remember([secretId, output.ARN ?? secretId, output.Name ?? secretId], output))
      .catch((error: CofferError) => {
        if (known !== undefined && isTransient(error) && Date.now() < known.expiresAt + this.policy.maxStale)
          return known.description;
        throw error;
      })
      .finally(() => this.#pending.delete(secretId));
    this.#pending.set(secretId, promise);
    return promise;
  }

  forget(secretId?: string): void {
    if (secretId === undefined) this.#byName.clear();
    else this.#byName.delete(secretId);
  }
}

/**
 * A secret's metadata (DescribeSecret: tags, rotation, VersionIdsToStages; never a value) through a cache:
 * kept for the cache's TTL with single flight and stale-if-error like values, dropped by `invalidate`, and
 * kept current for free by version-aware refreshes. Its own import, so a bundle that never describes a secret
 * does not carry it.
 *
 * @example
 * ```ts
 * const { Tags, RotationEnabled } = await getDescription(cache, 'prod/db');
 * ```
 */
export async function getDescription(
  cache: SecretCache,
  secretId: string,
  options: { refresh?: boolean; signal?: AbortSignal } = {},
): Promise<SecretDescription> {
  const internals = internalsOf(cache, 'getDescription');
  internals.checkOpen();
  checkSecretId(secretId);
  internals.descriptions ??= new Descriptions(internals.policy);
  const fetch = () =>
    internals.routed((target) =>
      describeSecret(target.client, target.idFor(secretId), internals.callOptions(target)),
    );
  return abortable(
    (internals.descriptions as Descriptions).get(secretId, fetch, options.refresh === true),
    options.signal,
  );
}
