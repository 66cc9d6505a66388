import {
  type Filter,
  type FilterNameStringType,
  ListSecretsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { toCofferError } from 'coffer';

/** The filter keys ListSecrets and BatchGetSecretValue take. */
const FILTER_KEYS = new Set<string>([
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
]);

export const isFilterKey = (key: string): key is FilterNameStringType => FILTER_KEYS.has(key);

/**
 * The names of the secrets matching `filters`, at most `limit`. Listing returns no values: they are then read
 * through the cache (BatchGetSecretValue by name), so they are cached like any other read.
 */
export async function secretNames(
  client: SecretsManagerClient,
  filters: Filter[],
  limit: number,
  observe: (ok: boolean) => void,
): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    let ok = false;
    try {
      const page = await client.send(
        new ListSecretsCommand({
          Filters: filters,
          MaxResults: 100,
          ...(nextToken !== undefined && { NextToken: nextToken }),
        }),
        { abortSignal: AbortSignal.timeout(10_000) },
      );
      ok = true;
      for (const secret of page.SecretList ?? []) if (secret.Name !== undefined) names.push(secret.Name);
      nextToken = page.NextToken;
    } catch (error) {
      throw toCofferError(error, undefined, 'ListSecrets');
    } finally {
      observe(ok);
    }
  } while (nextToken !== undefined && names.length < limit);
  return names.slice(0, limit);
}
