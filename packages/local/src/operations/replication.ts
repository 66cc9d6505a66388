/**
 * Multi-Region secrets: ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica
 * (and CreateSecret's AddReplicaRegions). A replica is a secret of the same name in another region,
 * with the primary's ARN in that region; it stores no versions of its own and shows its primary's
 * (see `replicaView`), so it follows every write and label move at once. Promoting it copies them.
 */
import { invalidParameter, invalidRequest } from '../protocol/errors.js';
import type { Input } from '../protocol/input.js';
import { samePartition } from '../protocol/regions.js';
import type { ReplicaStatus, SecretRecord } from '../store/store.js';
import {
  type Operation,
  type OperationContext,
  replicaArn,
  replicationStatus,
  resolveSecret,
  SECRET_ID,
  versionsArn,
} from './context.js';

/** AWS's RegionType pattern. */
const REGION = { min: 1, max: 128, pattern: /^([a-z]+-)+\d+$/ };

export interface ReplicaRequest {
  Region: string;
  KmsKeyId?: string;
}

/** Reads AddReplicaRegions (CreateSecret, ReplicateSecretToRegions). */
export function readReplicaRegions(input: Input, required: boolean): ReplicaRequest[] | undefined {
  const members = input.objectList('AddReplicaRegions', { min: 1 });
  if (members === undefined) {
    if (required) input.require('AddReplicaRegions');
    return undefined;
  }
  return members.map((member, index) => {
    const Region = member.string('Region', REGION);
    const KmsKeyId = member.string('KmsKeyId', { max: 2048 });
    input.adopt(member, `addReplicaRegions.${index + 1}.member`);
    const request: ReplicaRequest = { Region: Region ?? '' };
    if (KmsKeyId !== undefined) request.KmsKeyId = KmsKeyId;
    return request;
  });
}

/**
 * Refuses, as AWS does with "Invalid replica region.", the home region itself, a region named twice,
 * one the server does not serve, and one in another partition.
 */
export function checkReplicaRegions(
  ctx: OperationContext,
  home: string,
  requests: readonly ReplicaRequest[],
): void {
  const seen = new Set<string>();
  for (const { Region } of requests) {
    if (Region === home || seen.has(Region) || !ctx.acceptsRegion(Region) || !samePartition(Region, home)) {
      throw invalidParameter('Invalid replica region.');
    }
    seen.add(Region);
  }
}

/**
 * Adds replicas of `primary` in `requests`' regions (in the caller's transaction), every region
 * checked before anything changes. A region where another secret has the name gets a Failed status,
 * unless `overwrite` replaces that secret (never a primary with replicas of its own). Returns the
 * primary's new status list.
 */
function replicate(
  ctx: OperationContext,
  primary: SecretRecord,
  requests: readonly ReplicaRequest[],
  overwrite: boolean,
): ReplicaStatus[] {
  checkReplicaRegions(ctx, primary.region, requests);
  const { store } = ctx;
  const statuses = new Map(primary.replicas.map((r) => [r.Region, r]));
  for (const request of requests) {
    const existing = store.findByName(request.Region, primary.name);
    if (existing?.primaryArn === primary.arn) continue;
    if (existing !== undefined && (!overwrite || existing.replicas.length > 0)) {
      statuses.set(request.Region, {
        Region: request.Region,
        ...(request.KmsKeyId !== undefined && { KmsKeyId: request.KmsKeyId }),
        Status: 'Failed',
        // The service model's own example of this status message.
        StatusMessage: 'Secret with this name already exists in this region',
      });
      continue;
    }
    if (existing !== undefined) removeSecret(ctx, existing);
    store.createSecret({
      arn: replicaArn(primary.arn, request.Region),
      region: request.Region,
      name: primary.name,
      description: undefined,
      kmsKeyId: request.KmsKeyId,
      createdAt: ctx.now,
      lastChangedAt: ctx.now,
      tags: [],
      type: undefined,
      owningService: undefined,
      primaryArn: primary.arn,
    });
    statuses.set(request.Region, {
      Region: request.Region,
      ...(request.KmsKeyId !== undefined && { KmsKeyId: request.KmsKeyId }),
      Status: 'InSync',
      StatusMessage: 'Replication succeeded',
    });
  }
  const replicas = [...statuses.values()];
  store.updateSecret(primary.arn, { replicas });
  return replicas;
}

/** Deletes a secret that ForceOverwriteReplicaSecret replaces (a replica of another primary leaves its list). */
function removeSecret(ctx: OperationContext, secret: SecretRecord): void {
  const { store } = ctx;
  if (secret.primaryArn !== undefined) {
    const other = store.findByArn(secret.primaryArn);
    if (other !== undefined) {
      store.updateSecret(other.arn, { replicas: other.replicas.filter((r) => r.Region !== secret.region) });
    }
  }
  store.deleteSecret(secret.arn);
}

export const replicateSecretToRegions: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const requests = readReplicaRegions(input, true) ?? [];
  const overwrite = input.boolean('ForceOverwriteReplicaSecret') ?? false;
  input.done();
  const primary = resolveSecret(ctx, secretId, 'ReplicateSecretToRegions', { primaryOnly: true });
  const replicas = ctx.store.transaction(() => replicate(ctx, primary, requests, overwrite));
  const updated = ctx.store.findByArn(primary.arn);
  return {
    ARN: primary.arn,
    ReplicationStatus: updated === undefined ? replicas : replicationStatus(ctx.store, updated),
  };
};

export const removeRegionsFromReplication: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const regions = input.stringList('RemoveReplicaRegions', { min: 1, item: REGION });
  input.require('RemoveReplicaRegions');
  input.done();
  const primary = resolveSecret(ctx, secretId, 'RemoveRegionsFromReplication', { primaryOnly: true });
  const remove = new Set(regions ?? []);
  const { store } = ctx;
  store.transaction(() => {
    for (const replica of primary.replicas) {
      if (!remove.has(replica.Region)) continue;
      const arn = replicaArn(primary.arn, replica.Region);
      if (store.findByArn(arn)?.primaryArn === primary.arn) store.deleteSecret(arn);
    }
    // Removing a region that has no replica is not an error: the call can be repeated.
    store.updateSecret(primary.arn, { replicas: primary.replicas.filter((r) => !remove.has(r.Region)) });
  });
  const updated = store.findByArn(primary.arn);
  return {
    ARN: primary.arn,
    ReplicationStatus: updated === undefined ? [] : replicationStatus(store, updated),
  };
};

/**
 * Promotes a replica to a standalone secret in its region (called in that region, as on AWS): its
 * primary's versions, labels, description, tags and resource policy become its own, and the primary
 * forgets it. Rotation is not carried over: the promoted secret starts with rotation off.
 */
export const stopReplicationToReplica: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  input.done();
  const replica = resolveSecret(ctx, secretId, 'StopReplicationToReplica');
  if (replica.primaryArn === undefined) {
    throw invalidRequest(
      `${replica.name} is not a replica secret in ${ctx.region}: call StopReplicationToReplica in the Region of the replica to promote.`,
    );
  }
  const { store } = ctx;
  const primaryArn = versionsArn(replica);
  store.transaction(() => {
    // Oldest first, so the copies keep the versions' order.
    for (const version of store.versions(primaryArn).reverse()) {
      const value = version.hasValue ? store.readValue(primaryArn, version.versionId) : undefined;
      store.writeVersion(replica.arn, version.versionId, value, version.createdAt);
    }
    for (const [versionId, stages] of store.versionStages(primaryArn)) {
      for (const stage of stages) store.setStage(replica.arn, stage, versionId);
    }
    store.updateSecret(replica.arn, {
      primaryArn: undefined,
      description: replica.description,
      tags: replica.tags,
      type: replica.type,
      policy: replica.policy,
      lastChangedAt: ctx.now,
    });
    const primary = store.findByArn(primaryArn);
    if (primary !== undefined) {
      store.updateSecret(primaryArn, {
        replicas: primary.replicas.filter((r) => r.Region !== replica.region),
      });
    }
  });
  return { ARN: replica.arn };
};

/** CreateSecret's AddReplicaRegions: the new secret's replicas, made in the same transaction. */
export function replicateNew(
  ctx: OperationContext,
  primaryArn: string,
  requests: readonly ReplicaRequest[],
  overwrite: boolean,
): Record<string, unknown>[] {
  const primary = ctx.store.findByArn(primaryArn);
  if (primary === undefined) return [];
  replicate(ctx, primary, requests, overwrite);
  const updated = ctx.store.findByArn(primaryArn);
  return updated === undefined ? [] : replicationStatus(ctx.store, updated);
}
