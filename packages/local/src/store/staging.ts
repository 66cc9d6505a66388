/**
 * Staging labels, as Secrets Manager moves them: which version is AWSCURRENT, AWSPREVIOUS and
 * AWSPENDING, what a new version takes, and which unlabeled versions are pruned. Operations and
 * rotation both change versions through these rules, so they live here, beside the store.
 */
import { CURRENT, PENDING, PREVIOUS } from 'coffer/internal';
import { limitExceeded } from '../protocol/errors.js';
import type { SecretValue, Store } from './store.js';

/** AWS keeps at most this many versions; unlabeled ones older than a day are pruned to stay under it. */
const MAX_VERSIONS = 100;
/** AWS's quota: staging labels attached across all versions of a secret (so also to any one version). */
const MAX_STAGING_LABELS = 20;
const PRUNE_MIN_AGE_MS = 86_400_000;

/**
 * Attaches staging labels to a version, taking each from whichever version held it. Moving
 * AWSCURRENT hands AWSPREVIOUS to the version that had AWSCURRENT, as AWS does.
 */
export function moveStages(store: Store, arn: string, versionId: string, stages: readonly string[]): void {
  for (const stage of stages) {
    const holder = store.stageHolder(arn, stage);
    if (holder === versionId) continue;
    if (stage === CURRENT && holder !== undefined) attach(store, arn, PREVIOUS, holder);
    attach(store, arn, stage, versionId);
  }
}

/** Attaches one label; a label no version held yet counts against the quota. */
function attach(store: Store, arn: string, stage: string, versionId: string): void {
  if (store.stageHolder(arn, stage) === undefined) {
    let attached = 0;
    for (const labels of store.versionStages(arn).values()) attached += labels.length;
    if (attached >= MAX_STAGING_LABELS) {
      throw limitExceeded(
        `You can't attach staging label ${stage}: a secret can have at most ${MAX_STAGING_LABELS} staging labels across all its versions. Remove labels you no longer use with UpdateSecretVersionStage (RemoveFromVersionId).`,
      );
    }
  }
  store.setStage(arn, stage, versionId);
}

/**
 * Makes room for a new version as AWS does: unlabeled versions older than a day are pruned; if none
 * can go, the secret is at its version quota. Returns the version when it already exists.
 */
function makeRoom(
  store: Store,
  arn: string,
  versionId: string,
  now: number,
): { createdAt: number } | undefined {
  const versions = store.versions(arn);
  const existing = versions.find((v) => v.versionId === versionId);
  if (!existing && versions.length >= MAX_VERSIONS) {
    const prunable = versions
      .filter((v) => v.stages.length === 0 && now - v.createdAt >= PRUNE_MIN_AGE_MS)
      .sort((a, b) => a.createdAt - b.createdAt);
    const excess = versions.length + 1 - MAX_VERSIONS;
    if (prunable.length < excess) {
      throw limitExceeded(
        `You have exceeded the maximum number of versions (${MAX_VERSIONS}) for this secret. Secrets Manager removes unlabeled versions only once they are 24 hours old; write new versions less often.`,
      );
    }
    for (const v of prunable.slice(0, excess)) store.deleteVersion(arn, v.versionId);
  }
  return existing;
}

/**
 * Adds a version with a value and labels (making room for it first). The first version of a secret
 * always becomes AWSCURRENT.
 */
export function addVersion(
  store: Store,
  arn: string,
  versionId: string,
  value: SecretValue,
  stages: readonly string[],
  now: number,
): void {
  const existing = makeRoom(store, arn, versionId, now);
  store.writeVersion(arn, versionId, value, existing?.createdAt ?? now);
  const hasCurrent = store.stageHolder(arn, CURRENT) !== undefined;
  moveStages(store, arn, versionId, hasCurrent || stages.includes(CURRENT) ? stages : [...stages, CURRENT]);
  store.updateSecret(arn, { lastChangedAt: now });
}

/** The version a rotation left AWSPENDING on and has not finished (AWSCURRENT is elsewhere), if any. */
export function unfinishedPending(store: Store, arn: string): string | undefined {
  const pending = store.stageHolder(arn, PENDING);
  return pending !== undefined && pending !== store.stageHolder(arn, CURRENT) ? pending : undefined;
}

/**
 * Creates the AWSPENDING version a rotation works on, or finds the one a failed rotation left (AWS
 * reattempts that same version). Returns its id.
 */
export function preparePending(store: Store, arn: string, token: string, now: number): string {
  const pending = unfinishedPending(store, arn);
  if (pending !== undefined) return pending;
  store.transaction(() => {
    makeRoom(store, arn, token, now);
    // An empty version: the function's createSecret gives it its value.
    if (!store.versionExists(arn, token)) store.writeVersion(arn, token, undefined, now);
    moveStages(store, arn, token, [PENDING]);
  });
  return token;
}

/** A finished rotation's version keeps AWSCURRENT; AWSPENDING leaves it, as AWS removes it after finishSecret. */
export function clearPending(store: Store, arn: string, versionId: string): void {
  if (store.stageHolder(arn, PENDING) === versionId) store.removeStage(arn, PENDING);
}
