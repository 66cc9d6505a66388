import { getMany, SecretBatchError } from '../cache/batch.js';
import type { SecretCache } from '../cache/secret-cache.js';
import { CofferError } from '../errors.js';
import type { SecretResult } from '../read/decode.js';
import { type SecretReference, versionKey } from './reference.js';

/** What readSecretReferences read: each reference's secret version, or why it could not be read. */
export interface SecretReads {
  /** The version `reference` points to (the whole secret: pick its key yourself), its error, or undefined if it was not asked for. */
  get(reference: SecretReference): SecretResult<string> | CofferError | undefined;
}

/**
 * Reads every reference through the cache, settled: one failure does not hide the others. References to
 * AWSCURRENT go in one BatchGetSecretValue per 20 secrets; each other version is read on its own. Anything
 * but a secret's own failure (an abort) is thrown.
 *
 * @example
 * ```ts
 * const reads = await readSecretReferences(cache, [parseSecretReference('asm://prod/db#password')!]);
 * ```
 */
export async function readSecretReferences(
  cache: SecretCache,
  references: readonly SecretReference[],
  options: { signal?: AbortSignal } = {},
): Promise<SecretReads> {
  const results = new Map<string, SecretResult<string> | CofferError>();
  const reads: SecretReads = { get: (reference) => results.get(versionKey(reference)) };
  if (references.length === 0) return reads;
  const current = [
    ...new Set(
      references
        .filter((r) => r.versionId === undefined && r.versionStage === undefined)
        .map((r) => r.secretId),
    ),
  ];
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const batch =
    current.length === 0
      ? undefined
      : getMany(cache, current, signal).then(
          (values) => {
            for (const [i, value] of values.entries())
              results.set(versionKey({ secretId: current[i] as string }), value);
          },
          (error: unknown) => {
            if (!(error instanceof SecretBatchError)) throw error;
            for (const [id, value] of error.results)
              results.set(versionKey({ secretId: id }), value as SecretResult<string>);
            for (const [id, failure] of error.errors) results.set(versionKey({ secretId: id }), failure);
          },
        );
  const singles = references
    .filter((r) => r.versionId !== undefined || r.versionStage !== undefined)
    .map(async (r) => {
      try {
        const version =
          r.versionId !== undefined ? { versionId: r.versionId } : { versionStage: r.versionStage as string };
        results.set(versionKey(r), await cache.get(r.secretId, { ...version, ...signal }));
      } catch (error) {
        if (!(error instanceof CofferError)) throw error;
        results.set(versionKey(r), error);
      }
    });
  await Promise.all([batch, ...singles]);
  return reads;
}
