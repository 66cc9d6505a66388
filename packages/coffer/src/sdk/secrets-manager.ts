import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  type SecretsManagerClient,
  type SecretValueEntry,
} from '@aws-sdk/client-secrets-manager';
import { SecretsManagerUnavailableError } from '../errors.js';
import { RETRY_HINT, toCofferError } from './to-coffer-error.js';

/**
 * Every call Coffer makes to Secrets Manager goes through `timed` in this module, so that timeouts, error mapping
 * and `apiCall` observation behave the same for the cache, getSecret and rotation. The reads are here; the calls
 * only rotation makes are in write-calls.ts and BatchGetSecretValue in batch-get.ts, so that a bundle that only
 * reads does not import their commands.
 */

/** What Secrets Manager returned for one version, before it is shaped for a caller. */
export interface RawSecret {
  readonly arn: string;
  readonly name: string;
  readonly versionId: string;
  readonly versionStages: readonly string[];
  readonly createdDate: Date | undefined;
  readonly string: string | undefined;
  readonly binary: Uint8Array | undefined;
}

/** Called after every API call, so caches and metrics can count calls by operation. */
export type ApiCallObserver = (event: {
  operation: string;
  secretId?: string;
  durationMs: number;
  ok: boolean;
}) => void;

export interface ApiOptions {
  signal?: AbortSignal | undefined;
  observe?: ApiCallObserver | undefined;
}

export const sendOptions = (options: ApiOptions): { abortSignal?: AbortSignal } =>
  options.signal === undefined ? {} : { abortSignal: options.signal };

export function toRaw(entry: SecretValueEntry | undefined, secretId: string): RawSecret {
  if (!entry?.ARN || !entry.Name || !entry.VersionId) {
    throw toCofferError(
      new Error('Secrets Manager returned an incomplete response'),
      secretId,
      'GetSecretValue',
    );
  }
  return Object.freeze({
    arn: entry.ARN,
    name: entry.Name,
    versionId: entry.VersionId,
    versionStages: Object.freeze([...(entry.VersionStages ?? [])]),
    createdDate: entry.CreatedDate,
    string: entry.SecretString,
    binary: entry.SecretBinary,
  });
}

/** Sends one call: maps its failure to a CofferError, reports it to `observe`, and honours the signal. */
export async function timed<T>(
  operation: string,
  secretId: string | undefined,
  options: ApiOptions,
  call: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  let ok = false;
  try {
    const result = await call();
    ok = true;
    return result;
  } catch (error) {
    const reason = options.signal?.aborted
      ? (options.signal.reason as { name?: string } | undefined)
      : undefined;
    if (reason?.name === 'TimeoutError') {
      throw new SecretsManagerUnavailableError(
        `Secrets Manager did not answer ${operation}${secretId === undefined ? '' : ` "${secretId}"`} in time. ${RETRY_HINT}`,
        { secretId, cause: error },
      );
    }
    throw toCofferError(error, secretId, operation);
  } finally {
    options.observe?.({
      operation,
      ...(secretId !== undefined && { secretId }),
      durationMs: performance.now() - started,
      ok,
    });
  }
}

export function getSecretValue(
  client: SecretsManagerClient,
  secretId: string,
  version: { versionId?: string | undefined; versionStage?: string | undefined },
  options: ApiOptions = {},
): Promise<RawSecret> {
  return timed('GetSecretValue', secretId, options, async () => {
    const response = await client.send(
      new GetSecretValueCommand({
        SecretId: secretId,
        ...(version.versionId !== undefined && { VersionId: version.versionId }),
        ...(version.versionStage !== undefined && { VersionStage: version.versionStage }),
      }),
      sendOptions(options),
    );
    return toRaw(response, secretId);
  });
}

/** A secret's metadata (no secret value is transferred). */
export function describeSecret(
  client: SecretsManagerClient,
  secretId: string,
  options: ApiOptions = {},
): Promise<DescribeSecretCommandOutput> {
  return timed('DescribeSecret', secretId, options, () =>
    client.send(new DescribeSecretCommand({ SecretId: secretId }), sendOptions(options)),
  );
}

/** The version that holds `stage` in a DescribeSecret answer's VersionIdsToStages. */
export function versionWithStage(
  versionIdsToStages: Record<string, string[]> | undefined,
  stage: string,
): string | undefined {
  for (const [versionId, stages] of Object.entries(versionIdsToStages ?? {})) {
    if (stages.includes(stage)) return versionId;
  }
  return undefined;
}
