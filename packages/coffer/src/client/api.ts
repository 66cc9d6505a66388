import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
  type SecretValueEntry,
} from '@aws-sdk/client-secrets-manager';
import { type CofferError, SecretsManagerUnavailableError } from '../errors.js';
import type { RawSecret } from './decode.js';
import { mapSdkError } from './map-error.js';

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

const sendOptions = (options: ApiOptions): { abortSignal?: AbortSignal } =>
  options.signal === undefined ? {} : { abortSignal: options.signal };

function toRaw(entry: SecretValueEntry | undefined, secretId: string): RawSecret {
  if (!entry?.ARN || !entry.Name || !entry.VersionId) {
    throw mapSdkError(
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

async function timed<T>(
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
        `Secrets Manager did not answer ${operation}${secretId === undefined ? '' : ` "${secretId}"`} in time: check the network path and the endpoint; the call can be retried.`,
        { secretId, cause: error },
      );
    }
    throw mapSdkError(error, secretId, operation);
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

/** The version that holds AWSCURRENT now, from DescribeSecret (no secret value is transferred). */
export function currentVersionId(
  client: SecretsManagerClient,
  secretId: string,
  options: ApiOptions = {},
): Promise<string | undefined> {
  return timed('DescribeSecret', secretId, options, async () => {
    const response = await client.send(
      new DescribeSecretCommand({ SecretId: secretId }),
      sendOptions(options),
    );
    for (const [versionId, stages] of Object.entries(response.VersionIdsToStages ?? {})) {
      if (stages.includes('AWSCURRENT')) return versionId;
    }
    return undefined;
  });
}

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
      results.set(error.SecretId, mapSdkError(sdkLike, error.SecretId, 'BatchGetSecretValue'));
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
          : mapSdkError(
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
