import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  type SecretValueEntry,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { type CofferError, SecretsManagerUnavailableError } from '../errors.js';
import { toCofferError } from './to-coffer-error.js';

/**
 * Every call Coffer makes to Secrets Manager goes through this module, so that timeouts, error mapping and
 * `apiCall` observation behave the same for the cache, getSecret and rotation.
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

const sendOptions = (options: ApiOptions): { abortSignal?: AbortSignal } =>
  options.signal === undefined ? {} : { abortSignal: options.signal };

function toRaw(entry: SecretValueEntry | undefined, secretId: string): RawSecret {
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

/** Stores a new version; repeating it with the same token and value is a no-op on Secrets Manager's side. */
export function putSecretValue(
  client: SecretsManagerClient,
  input: {
    secretId: string;
    clientRequestToken: string;
    secretString: string;
    versionStages: string[];
    rotationToken?: string | undefined;
  },
  options: ApiOptions = {},
): Promise<void> {
  return timed('PutSecretValue', input.secretId, options, async () => {
    await client.send(
      new PutSecretValueCommand({
        SecretId: input.secretId,
        ClientRequestToken: input.clientRequestToken,
        SecretString: input.secretString,
        VersionStages: input.versionStages,
        ...(input.rotationToken !== undefined && { RotationToken: input.rotationToken }),
      }),
      sendOptions(options),
    );
  });
}

/** Moves a staging label to a version (and off another). */
export function moveVersionStage(
  client: SecretsManagerClient,
  input: { secretId: string; stage: string; toVersionId: string; fromVersionId?: string | undefined },
  options: ApiOptions = {},
): Promise<void> {
  return timed('UpdateSecretVersionStage', input.secretId, options, async () => {
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: input.secretId,
        VersionStage: input.stage,
        MoveToVersionId: input.toVersionId,
        ...(input.fromVersionId !== undefined && { RemoveFromVersionId: input.fromVersionId }),
      }),
      sendOptions(options),
    );
  });
}

/** A random password from GetRandomPassword; undefined if Secrets Manager sent none. */
export function randomPassword(
  client: SecretsManagerClient,
  input: { length: number; excludeCharacters: string; excludePunctuation?: boolean | undefined },
  options: ApiOptions = {},
): Promise<string | undefined> {
  return timed('GetRandomPassword', undefined, options, async () => {
    const response = await client.send(
      new GetRandomPasswordCommand({
        PasswordLength: input.length,
        ExcludeCharacters: input.excludeCharacters,
        ...(input.excludePunctuation !== undefined && { ExcludePunctuation: input.excludePunctuation }),
      }),
      sendOptions(options),
    );
    return response.RandomPassword;
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
