import { CURRENT } from 'coffer/internal';
import { AwsError, invalidParameter, invalidRequest, resourceNotFound } from '../protocol/errors.js';
import type { SecretRecord } from '../store/store.js';
import {
  authorize,
  decrypt,
  epochSeconds,
  type Operation,
  type OperationContext,
  readValue,
  requireToken,
  resolveSecret,
  SECRET_ID,
  TOKEN,
  VERSION_ID,
  VERSION_STAGE,
  versionsArn,
} from './context.js';
import { listingPage, readFilters } from './listing.js';
import { writeVersion } from './secrets.js';

/** The value of one version of a secret, with the fields GetSecretValue and BatchGetSecretValue return. */
function secretValueEntry(
  ctx: OperationContext,
  secret: SecretRecord,
  versionId: string | undefined,
  versionStage: string | undefined,
): Record<string, unknown> {
  const { store } = ctx;
  // A replica serves its primary's versions and labels.
  const dataArn = versionsArn(secret);
  let id: string;
  if (versionId !== undefined) {
    id = versionId;
    const stages = store.stagesOfVersion(dataArn, id);
    if (!store.versionExists(dataArn, id)) {
      throw resourceNotFound(`Secrets Manager can't find the specified secret value for VersionId: ${id}`);
    }
    if (versionStage !== undefined && !stages.includes(versionStage)) {
      throw invalidRequest('You provided a VersionStage that is not associated to the provided VersionId.');
    }
  } else {
    const stage = versionStage ?? CURRENT;
    const holder = store.stageHolder(dataArn, stage);
    if (holder === undefined) {
      throw resourceNotFound(
        `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      );
    }
    id = holder;
  }
  const value = decrypt(store, dataArn, id);
  if (!value) {
    throw resourceNotFound(
      versionId !== undefined
        ? `Secrets Manager can't find the specified secret value for VersionId: ${id}`
        : `Secrets Manager can't find the specified secret value for staging label: ${versionStage ?? CURRENT}`,
    );
  }
  store.touch(secret.arn, dataArn, id, ctx.now);
  // Built field by field in AWS's order, without the intermediate object a spread would copy.
  const entry: Record<string, unknown> = { ARN: secret.arn, Name: secret.name, VersionId: id };
  if (value.kind === 'string') entry.SecretString = value.text;
  else entry.SecretBinary = value.bytes.toString('base64');
  entry.VersionStages = store.stagesOfVersion(dataArn, id);
  entry.CreatedDate = epochSeconds(store.versionCreatedAt(dataArn, id) ?? secret.createdAt);
  return entry;
}

export const getSecretValue: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const versionId = input.string('VersionId', VERSION_ID);
  const versionStage = input.string('VersionStage', VERSION_STAGE);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'GetSecretValue');
  return secretValueEntry(ctx, secret, versionId, versionStage);
};

export const putSecretValue: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const token = input.string('ClientRequestToken', TOKEN);
  const stages = input.stringList('VersionStages', { min: 1, max: 20, item: VERSION_STAGE });
  input.string('RotationToken', { min: 36, max: 256, sensitive: true });
  const value = readValue(input);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'PutSecretValue', { primaryOnly: true });
  if (value === undefined) throw invalidRequest('You must provide either SecretString or SecretBinary.');
  const versionId = requireToken(token);
  const versionStages = ctx.store.transaction(() =>
    writeVersion(ctx, secret, versionId, value, stages ?? [CURRENT]),
  );
  return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: versionStages };
};

export const batchGetSecretValue: Operation = (input, ctx) => {
  const ids = input.stringList('SecretIdList', { min: 1, max: 20, item: { min: 1, max: 2048 } });
  const filterInput = readFilters(input);
  const maxResults = input.integer('MaxResults', { min: 1, max: 20 });
  const nextToken = input.string('NextToken', { min: 1, max: 4096 });
  input.done();
  const filters = filterInput?.complete();
  if ((ids === undefined) === (filters === undefined)) {
    throw invalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.");
  }
  if (maxResults !== undefined && filters === undefined) {
    throw invalidParameter(
      "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
    );
  }
  authorize(ctx, 'BatchGetSecretValue', '*');
  // AWS documents that listing by Filters also needs secretsmanager:ListSecrets.
  if (filters !== undefined) authorize(ctx, 'ListSecrets', '*');

  const values: Record<string, unknown>[] = [];
  const errors: Record<string, unknown>[] = [];
  const collect = (secretId: string, read: () => Record<string, unknown>) => {
    try {
      values.push(read());
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      errors.push({ SecretId: secretId, ErrorCode: error.code, Message: error.message });
    }
  };

  if (ids !== undefined) {
    for (const secretId of ids) {
      collect(secretId, () => {
        const secret = resolveSecret(ctx, secretId, 'GetSecretValue');
        return secretValueEntry(ctx, secret, undefined, undefined);
      });
    }
    return { SecretValues: values, Errors: errors };
  }
  const { items, next } = listingPage(ctx, filters ?? [], {
    by: 'created-date',
    order: 'asc',
    size: maxResults ?? 20,
    token: nextToken,
    includePlannedDeletion: false,
  });
  for (const secret of items) {
    collect(secret.arn, () => {
      authorize(ctx, 'GetSecretValue', { arn: secret.arn, id: secret.arn, secret });
      return secretValueEntry(ctx, secret, undefined, undefined);
    });
  }
  return next === undefined
    ? { SecretValues: values, Errors: errors }
    : { SecretValues: values, Errors: errors, NextToken: next };
};
