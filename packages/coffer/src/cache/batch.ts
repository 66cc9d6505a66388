import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { abortable } from '../abortable.js';
import { AccessDeniedError, CofferError } from '../errors.js';
import type { SecretFormat, SecretResult } from '../read/decode.js';
import {
  checkReadOptions,
  checkSecretId,
  type ReadOptions,
  type ValueOf,
  type VersionSelector,
} from '../read/options.js';
import { batchGetSecretValues } from '../sdk/batch-get.js';
import { type ApiOptions, getSecretValue, type RawSecret } from '../sdk/secrets-manager.js';
import { toCofferError } from '../sdk/to-coffer-error.js';
import type { StandardSchemaV1 } from '../standard-schema.js';
import { type CacheEntry, isTransient } from './entry.js';
import { pendingKey } from './entry-index.js';
import { type CacheInternals, internalsOf } from './internals.js';
import type { SecretCache } from './secret-cache.js';

/** BatchGetSecretValue takes at most 20 secret ids. */
const BATCH_SIZE = 20;

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
async function fetchBatch(
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
async function readAll<R extends SecretResult<unknown>>(
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

/**
 * Several secrets' AWSCURRENT values at once, through a cache: cold ones are fetched with BatchGetSecretValue,
 * 20 per call, and land in the cache as if fetched alone; cached ones are served as `cache.get` would. Results
 * come back in the order asked; if any secret fails, a SecretBatchError names each failure and carries the
 * others' results. Its own import, so a bundle that never reads in batches does not carry it.
 *
 * @example
 * ```ts
 * const [db, apiKey] = await getMany(cache, ['prod/db', 'prod/api-key']);
 * ```
 */
export async function getMany<
  F extends SecretFormat = 'string',
  S extends StandardSchemaV1 | undefined = undefined,
>(
  cache: SecretCache,
  secretIds: readonly string[],
  options: Omit<ReadOptions<F, S>, keyof VersionSelector> = {},
): Promise<SecretResult<ValueOf<F, S>>[]> {
  const internals = internalsOf(cache, 'getMany');
  internals.checkOpen();
  if (!Array.isArray(secretIds)) throw new TypeError('getMany takes an array of secret names or ARNs.');
  for (const id of secretIds) checkSecretId(id);
  checkReadOptions(options);
  const now = Date.now();
  const cold = [
    ...new Set(
      secretIds.filter((id) => {
        const entry = internals.current.get(id);
        return (entry === undefined || now >= entry.expiresAt) && !internals.pending.has(pendingKey('', id));
      }),
    ),
  ];
  const batched = new Map<string, Promise<CacheEntry>>();
  for (let i = 0; i < cold.length; i += BATCH_SIZE) {
    for (const [id, promise] of fetchColdBatch(internals, cold.slice(i, i + BATCH_SIZE)))
      batched.set(id, promise);
  }
  // The batch's own answer for the secrets it fetched: a secret it could not read is not asked for again.
  return readAll(secretIds, async (id) => {
    const fetched = batched.get(id);
    if (fetched === undefined) return internals.read(id, options);
    return internals.serve(await abortable(fetched, options.signal), id, options);
  }) as Promise<SecretResult<ValueOf<F, S>>[]>;
}

/**
 * One BatchGetSecretValue for up to 20 cold secrets; each lands in the cache as if fetched alone. Every id is
 * registered as pending first, so concurrent get() calls wait for this batch instead of fetching. No abort
 * signal: concurrent get() calls share the request.
 */
function fetchColdBatch(internals: CacheInternals, secretIds: string[]): Map<string, Promise<CacheEntry>> {
  const batch = routedBatch(internals, secretIds);
  const outcomes = new Map<string, Promise<CacheEntry>>();
  for (const id of secretIds) {
    const key = pendingKey('', id);
    const promise = batch
      .then((results) => internals.settleCold(key, id, '', results.get(id) as RawSecret | CofferError))
      .finally(() => internals.pending.delete(key));
    promise.catch(() => {});
    internals.pending.set(key, promise);
    outcomes.set(id, promise);
  }
  return outcomes;
}

/**
 * BatchGetSecretValue in the first healthy region. A batch call that failed as a whole (the same outage
 * for every secret) fails over; per-secret answers are kept, keyed by the ids as asked.
 */
async function routedBatch(
  internals: CacheInternals,
  secretIds: readonly string[],
): Promise<Map<string, RawSecret | CofferError>> {
  try {
    return await internals.routed(async (target) => {
      const ids = secretIds.map(target.idFor);
      const results = await fetchBatch(target.client, ids, () => internals.callOptions(target));
      const outcomes = ids.map((id) => results.get(id));
      const first = outcomes[0];
      if (first instanceof CofferError && isTransient(first) && outcomes.every((o) => o === first))
        throw first;
      return new Map(
        await Promise.all(
          secretIds.map(async (id, i): Promise<[string, RawSecret | CofferError]> => {
            const outcome = outcomes[i] as RawSecret | CofferError;
            return [id, outcome instanceof CofferError ? outcome : await target.toHome(outcome)];
          }),
        ),
      );
    });
  } catch (error) {
    const mapped =
      error instanceof CofferError ? error : toCofferError(error, undefined, 'BatchGetSecretValue');
    return new Map(secretIds.map((id) => [id, mapped]));
  }
}
