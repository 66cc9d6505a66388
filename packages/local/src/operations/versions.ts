import { CURRENT, PREVIOUS } from 'coffer/internal';
import { invalidParameter } from '../protocol/errors.js';
import { moveStages } from '../store/staging.js';
import {
  epochSeconds,
  type Operation,
  resolveSecret,
  SECRET_ID,
  VERSION_ID,
  VERSION_STAGE,
  versionsArn,
} from './context.js';
import { page } from './listing.js';

export const listSecretVersionIds: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const maxResults = input.integer('MaxResults', { min: 1, max: 100 });
  const nextToken = input.string('NextToken', { min: 1, max: 4096 });
  const includeDeprecated = input.boolean('IncludeDeprecated') ?? false;
  input.done();
  const secret = resolveSecret(ctx, secretId, 'ListSecretVersionIds', { allowDeleted: true });
  const versions = ctx.store
    .versions(versionsArn(secret))
    .filter((v) => includeDeprecated || v.stages.length > 0)
    .map((v) => {
      const entry: Record<string, unknown> = { VersionId: v.versionId };
      // Deprecated versions carry no VersionStages key at all, as on AWS.
      if (v.stages.length > 0) entry.VersionStages = v.stages;
      if (v.lastAccessedAt !== undefined) entry.LastAccessedDate = epochSeconds(v.lastAccessedAt);
      entry.CreatedDate = epochSeconds(v.createdAt);
      entry.KmsKeyIds = [secret.kmsKeyId ?? 'DefaultEncryptionKey'];
      return entry;
    });
  const { items, next } = page(versions, maxResults ?? 100, nextToken);
  const out: Record<string, unknown> = { Versions: items, ARN: secret.arn, Name: secret.name };
  if (next !== undefined) out.NextToken = next;
  return out;
};

export const updateSecretVersionStage: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const stage = input.string('VersionStage', { ...VERSION_STAGE, required: true });
  const removeFrom = input.string('RemoveFromVersionId', VERSION_ID);
  const moveTo = input.string('MoveToVersionId', VERSION_ID);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'UpdateSecretVersionStage', { primaryOnly: true });
  const { store } = ctx;
  const holder = store.stageHolder(secret.arn, stage);
  for (const id of [removeFrom, moveTo]) {
    if (id !== undefined && !store.versionExists(secret.arn, id))
      throw invalidParameter(`Not a valid version: ${id}`);
  }
  if (removeFrom !== undefined && holder !== removeFrom) {
    throw invalidParameter(`Version stage ${stage} not found in version ${removeFrom}`);
  }
  if (moveTo !== undefined && holder !== undefined && holder !== moveTo && removeFrom === undefined) {
    throw invalidParameter(
      `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
  }
  if (moveTo === undefined && stage === CURRENT && removeFrom !== undefined) {
    throw invalidParameter(
      'You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.',
    );
  }
  store.transaction(() => {
    if (moveTo !== undefined) {
      moveStages(store, secret.arn, moveTo, [stage]);
    } else if (removeFrom !== undefined) {
      store.removeStage(secret.arn, stage);
    }
    if (stage === PREVIOUS || stage === CURRENT || moveTo !== undefined || removeFrom !== undefined) {
      store.updateSecret(secret.arn, { lastChangedAt: ctx.now });
    }
  });
  return { ARN: secret.arn, Name: secret.name };
};
