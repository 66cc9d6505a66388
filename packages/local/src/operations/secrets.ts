import { randomBytes } from 'node:crypto';
import { CURRENT } from 'coffer/internal';
import {
  type AwsError,
  invalidParameter,
  invalidRequest,
  resourceExists,
  secretNotFound,
} from '../protocol/errors.js';
import { addVersion } from '../store/staging.js';
import type { SecretRecord, SecretValue } from '../store/store.js';
import {
  arnPrefix,
  authorize,
  checkNameChars,
  decrypt,
  describe,
  epochSeconds,
  findSecret,
  type Operation,
  type OperationContext,
  readValue,
  replicaNotPermitted,
  requireToken,
  resolveSecret,
  SECRET_ID,
  sameValue,
  TOKEN,
  targetOf,
} from './context.js';
import { checkReplicaRegions, readReplicaRegions, replicateNew } from './replication.js';
import { mergeTags, readTags } from './tags.js';

/** The partner that holds an external secret, e.g. `HashiCorp`; the model allows any string up to 256. */
const SECRET_TYPE = { max: 256 };
const SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DAY_MS = 86_400_000;

function arnSuffix(): string {
  return [...randomBytes(6)].map((b) => SUFFIX_CHARS[b % SUFFIX_CHARS.length]).join('');
}

/** A new value under an existing token must be the same value, or AWS refuses it. */
function tokenConflict(token: string, arn: string): AwsError {
  return resourceExists(
    `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${arn}.`,
  );
}

export const createSecret: Operation = (input, ctx) => {
  const name = input.string('Name', { required: true, min: 1, max: 512 });
  const token = input.string('ClientRequestToken', TOKEN);
  const description = input.string('Description', { max: 2048 });
  const kmsKeyId = input.string('KmsKeyId', { max: 2048 });
  const type = input.string('Type', SECRET_TYPE);
  const value = readValue(input);
  const requestedTags = readTags(input, 'Tags');
  const overwrite = input.boolean('ForceOverwriteReplicaSecret') ?? false;
  const replicas = readReplicaRegions(input, false);
  input.done();
  // `!` only appears in the names AWS services give the secrets they manage (`rds!db-...`).
  checkNameChars(name, { service: ctx.caller.owningService !== undefined });
  const tags = mergeTags([], requestedTags);
  if (replicas !== undefined) checkReplicaRegions(ctx, ctx.region, replicas);

  const existing = findSecret(ctx, name);
  const arn = existing?.arn ?? `${arnPrefix(ctx)}${name}-${arnSuffix()}`;
  const target = { arn, id: name, secret: existing };
  authorize(ctx, 'CreateSecret', target);
  if (tags.length > 0) authorize(ctx, 'TagResource', target);
  if (replicas !== undefined) authorize(ctx, 'ReplicateSecretToRegions', target);
  ctx.secretArn = arn;
  if (existing) {
    if (existing.deletedAt !== undefined) {
      throw invalidRequest(
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    // A retried CreateSecret (same token, same value) succeeds again, so SDK retries are safe; the
    // same token with another value is AWS's token conflict.
    if (token !== undefined && value !== undefined && ctx.store.versionExists(existing.arn, token)) {
      const stored = decrypt(ctx.store, existing.arn, token);
      if (stored && sameValue(stored, value)) {
        return { ARN: existing.arn, Name: existing.name, VersionId: token };
      }
      if (stored) throw tokenConflict(token, existing.arn);
    }
    throw resourceExists(`The operation failed because the secret ${name} already exists.`);
  }
  const versionId = value !== undefined ? requireToken(token) : undefined;

  return ctx.store.transaction(() => {
    ctx.store.createSecret({
      arn,
      region: ctx.region,
      name,
      description,
      kmsKeyId,
      createdAt: ctx.now,
      lastChangedAt: ctx.now,
      tags,
      type,
      owningService: ctx.caller.owningService,
      primaryArn: undefined,
    });
    const created = ctx.store.findByArn(arn);
    if (created && value !== undefined && versionId !== undefined) {
      addVersion(ctx.store, created.arn, versionId, value, [CURRENT], ctx.now);
    }
    const out: Record<string, unknown> = { ARN: arn, Name: name };
    if (versionId !== undefined) out.VersionId = versionId;
    if (replicas !== undefined) out.ReplicationStatus = replicateNew(ctx, arn, replicas, overwrite);
    return out;
  });
};

/** PutSecretValue and UpdateSecret share this: a new version, or a no-op when the token repeats its value. */
export function writeVersion(
  ctx: OperationContext,
  secret: SecretRecord,
  token: string,
  value: SecretValue,
  stages: readonly string[],
): string[] {
  const { store } = ctx;
  const secretArn = secret.arn;
  if (store.versionExists(secretArn, token)) {
    const stored = decrypt(store, secretArn, token);
    if (stored) {
      if (!sameValue(stored, value)) throw tokenConflict(token, secretArn);
      return store.versionStages(secretArn).get(token) ?? [];
    }
    // An empty version (rotation's AWSPENDING placeholder) takes its first value.
  }
  addVersion(store, secretArn, token, value, stages, ctx.now);
  return store.versionStages(secretArn).get(token) ?? [];
}

export const updateSecret: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const token = input.string('ClientRequestToken', TOKEN);
  const description = input.string('Description', { max: 2048 });
  const kmsKeyId = input.string('KmsKeyId', { max: 2048 });
  const type = input.string('Type', SECRET_TYPE);
  const value = readValue(input);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'UpdateSecret', { primaryOnly: true });
  return ctx.store.transaction(() => {
    const patch: Parameters<typeof ctx.store.updateSecret>[1] = { lastChangedAt: ctx.now };
    if (input.has('Description')) patch.description = description;
    if (input.has('KmsKeyId')) patch.kmsKeyId = kmsKeyId;
    if (input.has('Type')) patch.type = type;
    ctx.store.updateSecret(secret.arn, patch);
    if (value === undefined) return { ARN: secret.arn, Name: secret.name };
    const versionId = requireToken(token);
    writeVersion(ctx, secret, versionId, value, [CURRENT]);
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
  });
};

export const describeSecret: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'DescribeSecret', { allowDeleted: true });
  return describe(ctx.store, secret, 'VersionIdsToStages', { replication: true });
};

export const deleteSecret: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const window = input.integer('RecoveryWindowInDays');
  const force = input.boolean('ForceDeleteWithoutRecovery') ?? false;
  input.done();
  if (window !== undefined && (window < 7 || window > 30)) {
    throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
  }
  if (window !== undefined && force) {
    throw invalidParameter(
      "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
    );
  }
  const secret = findSecret(ctx, secretId);
  authorize(ctx, 'DeleteSecret', targetOf(ctx, secretId, secret));
  if (!secret) {
    // AWS documents that a forced delete of a missing secret succeeds, so cleanup scripts are idempotent.
    if (force) {
      const name = secretId.startsWith('arn:') ? secretId.slice(arnPrefix(ctx).length) : secretId;
      return {
        ARN: secretId.startsWith('arn:') ? secretId : `${arnPrefix(ctx)}${name}`,
        Name: name,
        DeletionDate: epochSeconds(ctx.now),
      };
    }
    throw secretNotFound();
  }
  ctx.secretArn = secret.arn;
  if (secret.primaryArn !== undefined) throw replicaNotPermitted();
  if (secret.replicas.length > 0) {
    throw invalidParameter(
      `You can't delete secret ${secret.arn} that still has replica regions [${secret.replicas.map((r) => r.Region).join(', ')}].`,
    );
  }
  if (force) {
    ctx.store.deleteSecret(secret.arn);
    return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(ctx.now) };
  }
  if (secret.deletedAt !== undefined) {
    throw invalidRequest("You tried to perform the operation on a secret that's currently marked deleted.");
  }
  const deletionDate = ctx.now + (window ?? 30) * DAY_MS;
  ctx.store.updateSecret(secret.arn, { deletedAt: ctx.now, deletionDate });
  return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(deletionDate) };
};

export const restoreSecret: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'RestoreSecret', { allowDeleted: true, primaryOnly: true });
  if (secret.deletedAt !== undefined) {
    ctx.store.updateSecret(secret.arn, { deletedAt: undefined, deletionDate: undefined });
  }
  return { ARN: secret.arn, Name: secret.name };
};
