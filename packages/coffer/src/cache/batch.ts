import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AccessDeniedError, CofferError } from '../errors.js';
import type { SecretResult } from '../read/decode.js';
import {
  type ApiOptions,
  batchGetSecretValues,
  getSecretValue,
  type RawSecret,
} from '../sdk/secrets-manager.js';
import { toCofferError } from '../sdk/to-coffer-error.js';

/** BatchGetSecretValue takes at most 20 secret ids. */
export const BATCH_SIZE = 20;

/** Thrown by getMany when some secrets could not be read; the others are in `results`. */
export class SecretBatchError extends CofferError {
  override readonly name = 'SecretBatchError' as const;
  readonly code = 'BATCH_FAILED' as const;
  constructor(
    readonly errors: ReadonlyMap<string, CofferError>,
    readonly results: ReadonlyMap<string, SecretResult<unknown>>,
  ) {
    super(
      `Could not read ${errors.size} of ${errors.size + results.size} secrets: ${[...errors].map(([id, e]) => `${id} (${e.code})`).join(', ')}.`,
    );
  }
}

/**
 * Up to 20 secrets' AWSCURRENT values, each a value or its own error. An outage or throttling is the same
 * answer for every secret (not 20 more calls into it); without batch permission each secret is fetched on
 * its own instead.
 */
export async function fetchBatch(
  client: SecretsManagerClient,
  secretIds: readonly string[],
  callOptions: () => ApiOptions,
): Promise<Map<string, RawSecret | CofferError>> {
  try {
    return await batchGetSecretValues(client, secretIds, callOptions());
  } catch (error) {
    if (!(error instanceof AccessDeniedError)) {
      const mapped =
        error instanceof CofferError ? error : toCofferError(error, undefined, 'BatchGetSecretValue');
      return new Map(secretIds.map((id) => [id, mapped]));
    }
    const fallback = new Map<string, RawSecret | CofferError>();
    await Promise.all(
      secretIds.map(async (id) => {
        try {
          fallback.set(id, await getSecretValue(client, id, {}, callOptions()));
        } catch (e) {
          fallback.set(id, e as CofferError);
        }
      }),
    );
    return fallback;
  }
}

/**
 * Reads every id, in order; throws SecretBatchError naming each secret that failed, with the others' results.
 * Anything but a CofferError (an abort) is thrown as it is.
 */
export async function readAll<R extends SecretResult<unknown>>(
  secretIds: readonly string[],
  readOne: (secretId: string) => Promise<R> | R,
): Promise<R[]> {
  const settled = await Promise.allSettled(secretIds.map(async (id) => readOne(id)));
  const errors = new Map<string, CofferError>();
  const results = new Map<string, R>();
  settled.forEach((outcome, index) => {
    const id = secretIds[index] as string;
    if (outcome.status === 'fulfilled') results.set(id, outcome.value);
    else if (outcome.reason instanceof CofferError) errors.set(id, outcome.reason);
    else throw outcome.reason;
  });
  if (errors.size > 0) throw new SecretBatchError(errors, results);
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<R>).value);
}
