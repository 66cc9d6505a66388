import type { DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import type { CofferError } from '../errors.js';
import { isTransient } from './entry.js';

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
export class Descriptions {
  readonly #byName = new Map<string, Described>();
  readonly #pending = new Map<string, Promise<SecretDescription>>();

  constructor(
    private readonly ttl: () => number,
    private readonly maxStale: () => number,
  ) {}

  /** Stores an answer (from a read or from a version-aware refresh) under each name given. */
  remember(names: readonly string[], output: DescribeSecretCommandOutput): SecretDescription {
    const { $metadata: _, ...rest } = output;
    const description = Object.freeze(rest);
    const described = { description, expiresAt: Date.now() + this.ttl() };
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
        if (known !== undefined && isTransient(error) && Date.now() < known.expiresAt + this.maxStale())
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
