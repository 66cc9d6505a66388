import {
  BatchGetSecretValueCommand,
  type SecretsManagerClient,
  type SecretValueEntry,
} from '@aws-sdk/client-secrets-manager';
import type { CofferError } from '../errors.js';
import { type ApiOptions, type RawSecret, sendOptions, timed, toRaw } from './secrets-manager.js';
import { toCofferError } from './to-coffer-error.js';

/** Up to 20 secrets' AWSCURRENT values in one call; failures come back per secret. */
export function batchGetSecretValues(
  client: SecretsManagerClient,
  secretIds: readonly string[],
  options: ApiOptions = {},
): Promise<Map<string, RawSecret | CofferError>> {
  return timed('BatchGetSecretValue', undefined, options, async () => {
    const response = await client.send(
      new BatchGetSecretValueCommand({ SecretIdList: [...secretIds] }),
      sendOptions(options),
    );
    const results = new Map<string, RawSecret | CofferError>();
    const byArn = new Map<string, SecretValueEntry>();
    const byName = new Map<string, SecretValueEntry>();
    for (const entry of response.SecretValues ?? []) {
      if (entry.ARN) byArn.set(entry.ARN, entry);
      if (entry.Name) byName.set(entry.Name, entry);
    }
    for (const error of response.Errors ?? []) {
      if (error.SecretId === undefined) continue;
      const sdkLike = Object.assign(new Error(error.Message ?? ''), { name: error.ErrorCode ?? 'Error' });
      results.set(error.SecretId, toCofferError(sdkLike, error.SecretId, 'BatchGetSecretValue'));
    }
    for (const id of secretIds) {
      if (results.has(id)) continue;
      // A partial ARN is the full ARN without its `-` and 6 random characters; a bare prefix match would also
      // take another secret in the batch whose name extends this one (`prod/db` and `prod/db-2`).
      const entry =
        byArn.get(id) ??
        byName.get(id) ??
        [...byArn.values()].find((e) => e.ARN?.length === id.length + 7 && e.ARN.startsWith(`${id}-`));
      results.set(
        id,
        entry
          ? toRaw(entry, id)
          : toCofferError(
              Object.assign(new Error('missing from the batch response'), {
                name: 'ResourceNotFoundException',
              }),
              id,
              'BatchGetSecretValue',
            ),
      );
    }
    return results;
  });
}
