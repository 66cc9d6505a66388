import { LRUCache } from 'lru-cache';
import { type Credential, isAdmin } from '../auth/credentials.js';
import { evaluate, type PolicyDocument } from '../auth/policy.js';
import {
  AwsError,
  accessDenied,
  decryptionFailure,
  invalidParameter,
  markedForDeletion,
  secretNotFound,
  validation,
} from '../protocol/errors.js';
import type { Input, StringRule } from '../protocol/input.js';
import { regionOfArn, secretArnPrefix } from '../protocol/regions.js';
import { rotationFields } from '../rotation/schedule.js';
import type { RotationService } from '../rotation/service.js';
import { DecryptError } from '../store/crypto.js';
import type { SecretRecord, SecretValue, Store } from '../store/store.js';

export interface OperationContext {
  readonly store: Store;
  /** The region the request was signed for: the only region it sees. */
  readonly region: string;
  /** Whether the server serves a region (a replica may only go to one it serves). */
  readonly acceptsRegion: (region: string) => boolean;
  readonly accountId: string;
  /** Milliseconds since the epoch, fixed for the whole request. */
  readonly now: number;
  readonly caller: Credential;
  /** Set by the operation so the audit entry can name the secret it touched. */
  secretArn?: string;
  /** The id the caller asked for, so that a call refused before a secret was found (denied, not found) names it too. */
  secretId?: string;
  /** Runs rotation functions (RotateSecret); absent when the handler is used without a server. */
  rotation?: RotationService;
}

export type Operation = (input: Input, ctx: OperationContext) => Record<string, unknown>;

export const SECRET_ID: StringRule & { required: true } = { required: true, min: 1, max: 2048 };
export const VERSION_ID: StringRule = { min: 32, max: 64 };
export const VERSION_STAGE: StringRule = { min: 1, max: 256 };
export const TOKEN: StringRule = { min: 32, max: 64 };
const SECRET_STRING: StringRule = { min: 1, max: 65_536, sensitive: true, bytes: true };
const SECRET_BINARY = { min: 1, max: 65_536 };
const NAME_CHARS = /^[A-Za-z0-9/_+=.@-]+$/;
/** Names AWS services give the secrets they manage may also hold `!` (`rds!db-...`). */
const SERVICE_NAME_CHARS = /^[A-Za-z0-9/_+=.@!-]+$/;

export const arnPrefix = (ctx: Pick<OperationContext, 'region' | 'accountId'>): string =>
  secretArnPrefix(ctx.region, ctx.accountId);

/** Dates go on the wire as epoch seconds. */
export const epochSeconds = (ms: number): number => ms / 1000;

/** Refuses a name with characters AWS does not allow; lookups and services' own secrets may use `!`. */
export function checkNameChars(id: string, { service = true } = {}): void {
  if (!(service ? SERVICE_NAME_CHARS : NAME_CHARS).test(id)) {
    throw validation(
      'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
    );
  }
}

/** What an action is authorized on: every resource (`*`), or one secret, existing or not. */
export type AuthTarget =
  | '*'
  | {
      /** The ARN policies are evaluated against: the secret's, else the ARN the id names. */
      arn: string;
      /** The id as the caller gave it: the only thing a denial names. */
      id: string;
      secret: SecretRecord | undefined;
    };

/**
 * Authorizes `secretsmanager:<action>` for the caller as IAM does within one account: an explicit
 * Deny in the identity policy or the secret's resource policy wins; otherwise an Allow in either
 * grants (in the resource policy, one naming the caller or everyone; see `evaluate`).
 *
 * A denial never tells whether the secret exists: it names the id as the caller gave it, and it
 * mentions the resource policy only to a caller whose own policy allows the action (who could learn
 * that the secret exists anyway).
 */
export function authorize(ctx: OperationContext, action: string, target: AuthTarget): void {
  const fullAction = `secretsmanager:${action}`;
  const resource = target === '*' ? '*' : target.arn;
  const identity = evaluate(ctx.caller.policy, fullAction, resource);
  if (target !== '*' && target.secret?.policyTampered && !isAdmin(ctx.caller)) {
    throw accessDenied(
      `User: ${ctx.caller.principalArn} is not authorized to perform: ${fullAction} on resource: ${target.id} because the secret's resource policy was changed outside the server (it fails its integrity check); an admin can set it again`,
    );
  }
  // For the admin, a tampered policy counts as none: it can neither lock the admin out nor grant anything.
  const policy = target === '*' || target.secret?.policyTampered ? undefined : target.secret?.policy;
  const resourcePolicy = policy
    ? evaluate(parsedPolicy(policy), fullAction, resource, {
        arn: ctx.caller.principalArn,
        accountId: ctx.accountId,
      })
    : 'implicit-deny';
  if (identity === 'allow' && resourcePolicy !== 'deny') return;
  if (resourcePolicy === 'allow' && identity !== 'deny') return;
  const on = target === '*' ? '' : ` on resource: ${target.id}`;
  const why =
    identity === 'deny'
      ? 'with an explicit deny in an identity-based policy'
      : identity === 'allow'
        ? 'with an explicit deny in a resource-based policy'
        : `because no identity-based policy allows the ${fullAction} action`;
  throw accessDenied(
    `User: ${ctx.caller.principalArn} is not authorized to perform: ${fullAction}${on} ${why}`,
  );
}

/**
 * Stored resource policies, parsed once (and so compiled once by the policy engine) while they are unchanged.
 * Bounded by count and by the policies' total length, since their compiled patterns stay alive with them.
 */
const parsedPolicies = new LRUCache<string, PolicyDocument>({
  max: 256,
  maxSize: 1 << 20,
  sizeCalculation: (_policy, text) => text.length,
});

function parsedPolicy(text: string): PolicyDocument {
  let policy = parsedPolicies.get(text);
  if (policy === undefined) {
    policy = JSON.parse(text) as PolicyDocument;
    parsedPolicies.set(text, policy);
  }
  return policy;
}

/** The ARN a secret id stands for in the request's region: an ARN as given, a name under the region's prefix. */
const arnOfId = (ctx: OperationContext, secretId: string): string =>
  secretId.startsWith('arn:') ? secretId : `${arnPrefix(ctx)}${secretId}`;

/** The target of an action on the secret an id names (found or not). */
export const targetOf = (
  ctx: OperationContext,
  secretId: string,
  secret: SecretRecord | undefined,
): AuthTarget => ({
  arn: secret?.arn ?? arnOfId(ctx, secretId),
  id: secretId,
  secret,
});

/**
 * Finds a secret of the request's region by name, full ARN or partial ARN (the ARN without its
 * 6-character suffix). Secrets of other regions are not there, as on AWS.
 */
export function findSecret(ctx: OperationContext, secretId: string): SecretRecord | undefined {
  const { store } = ctx;
  let record: SecretRecord | undefined;
  if (secretId.startsWith('arn:')) {
    record = store.findByArn(secretId);
    const prefix = arnPrefix(ctx);
    if (!record && secretId.startsWith(prefix)) {
      const partial = store.findByName(ctx.region, secretId.slice(prefix.length));
      if (partial?.arn.startsWith(`${secretId}-`)) record = partial;
    }
    if (record !== undefined && record.region !== ctx.region) record = undefined;
  } else {
    checkNameChars(secretId);
    record = store.findByName(ctx.region, secretId);
  }
  if (record?.deletionDate !== undefined && record.deletionDate <= ctx.now) {
    // The recovery window ended: the secret is gone for good.
    store.deleteSecret(record.arn);
    return undefined;
  }
  return record && replicaView(store, record);
}

/** A replica's ReplicationStatus KmsKeyId when none was given: AWS's managed key. */
const DEFAULT_KMS_KEY = 'alias/aws/secretsmanager';

/**
 * What a request sees of a secret. A replica shows its primary's versions, labels, description, tags,
 * resource policy and rotation (replication keeps them equal), with its own ARN, region, KMS key,
 * creation and access dates. Anything else is itself.
 */
export function replicaView(store: Store, record: SecretRecord): SecretRecord {
  if (record.primaryArn === undefined) return record;
  const primary = store.findByArn(record.primaryArn);
  if (primary === undefined) return record;
  return {
    ...primary,
    seq: record.seq,
    arn: record.arn,
    region: record.region,
    name: record.name,
    kmsKeyId: record.kmsKeyId,
    createdAt: record.createdAt,
    lastAccessedAt: record.lastAccessedAt,
    deletedAt: undefined,
    deletionDate: undefined,
    primaryArn: primary.arn,
    replicas: [],
  };
}

/** The secret whose versions a secret shows: its primary's for a replica, else its own. */
export const versionsArn = (secret: SecretRecord): string => secret.primaryArn ?? secret.arn;

export const replicaNotPermitted = (): AwsError =>
  invalidParameter(
    "Operation not permitted on a replica secret. Call must be made in primary secret's region.",
  );

export interface ResolveOptions {
  /** Operations that work on a secret scheduled for deletion (DescribeSecret, RestoreSecret, ...). */
  allowDeleted?: boolean;
  /** Operations that change a secret (or read its policy), which a replica refuses as AWS does. */
  primaryOnly?: boolean;
}

/** Authorizes `action` and returns the secret, or throws AWS's not-found / marked-for-deletion errors. */
export function resolveSecret(
  ctx: OperationContext,
  secretId: string,
  action: string,
  options: ResolveOptions = {},
): SecretRecord {
  ctx.secretId = secretId;
  const record = findSecret(ctx, secretId);
  authorize(ctx, action, targetOf(ctx, secretId, record));
  if (!record) throw secretNotFound();
  ctx.secretArn = record.arn;
  if (options.primaryOnly && record.primaryArn !== undefined) throw replicaNotPermitted();
  if (record.deletedAt !== undefined && !options.allowDeleted) throw markedForDeletion();
  return record;
}

/** Reads SecretString / SecretBinary from a request; both at once is refused. */
export function readValue(input: Input): SecretValue | undefined {
  const text = input.string('SecretString', SECRET_STRING);
  const bytes = input.blob('SecretBinary', SECRET_BINARY);
  if (text !== undefined && bytes !== undefined) {
    throw new AwsError(
      'InvalidParameterException',
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (text !== undefined) return { kind: 'string', text };
  if (bytes !== undefined) return { kind: 'binary', bytes };
  return undefined;
}

export function sameValue(a: SecretValue, b: SecretValue): boolean {
  if (a.kind === 'string' && b.kind === 'string') return a.text === b.text;
  if (a.kind === 'binary' && b.kind === 'binary') return a.bytes.equals(b.bytes);
  return false;
}

/** Decrypts a version; a ciphertext that does not authenticate is AWS's DecryptionFailure. */
export function decrypt(store: Store, arn: string, versionId: string): SecretValue | undefined {
  try {
    return store.readValue(arn, versionId);
  } catch (error) {
    if (error instanceof DecryptError) {
      throw decryptionFailure(
        "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
      );
    }
    throw error;
  }
}

/** Whether a request supplied a ClientRequestToken; raw HTTP callers must, as on AWS. */
export function requireToken(token: string | undefined): string {
  if (token === undefined) {
    throw new AwsError(
      'InvalidRequestException',
      'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
    );
  }
  return token;
}

/**
 * The metadata DescribeSecret and ListSecrets share; DescribeSecret (`replication`) also shows a
 * primary's ReplicationStatus.
 */
export function describe(
  store: Store,
  secret: SecretRecord,
  stagesKey: string,
  { replication = false } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = { ARN: secret.arn, Name: secret.name };
  if (secret.type !== undefined) out.Type = secret.type;
  if (secret.description !== undefined) out.Description = secret.description;
  if (secret.kmsKeyId !== undefined) out.KmsKeyId = secret.kmsKeyId;
  Object.assign(out, rotationFields(secret.rotation));
  out.LastChangedDate = epochSeconds(secret.lastChangedAt);
  if (secret.lastAccessedAt !== undefined) out.LastAccessedDate = epochSeconds(secret.lastAccessedAt);
  if (secret.deletedAt !== undefined) out.DeletedDate = epochSeconds(secret.deletedAt);
  // Once a secret had tags, AWS shows the list even after the last one is removed.
  if (secret.tags.length > 0 || secret.tagged) out.Tags = secret.tags;
  const stages = store.versionStages(versionsArn(secret));
  if (stages.size > 0) out[stagesKey] = Object.fromEntries(stages);
  if (secret.owningService !== undefined) out.OwningService = secret.owningService;
  out.CreatedDate = epochSeconds(secret.createdAt);
  const primaryRegion = primaryRegionOf(secret);
  if (primaryRegion !== undefined) out.PrimaryRegion = primaryRegion;
  if (replication && secret.replicas.length > 0) out.ReplicationStatus = replicationStatus(store, secret);
  return out;
}

/** A replicated secret's primary region (for a replica, its primary's); undefined when not replicated. */
export function primaryRegionOf(secret: SecretRecord): string | undefined {
  if (secret.primaryArn !== undefined) return regionOfArn(secret.primaryArn);
  return secret.replicas.length > 0 ? secret.region : undefined;
}

/** The ARN of a primary's replica in a region: the same ARN, in that region. */
export function replicaArn(primaryArn: string, region: string): string {
  const parts = primaryArn.split(':');
  parts[3] = region;
  return parts.join(':');
}

/** A primary's ReplicationStatus: each replica as stored, with when it was last read in its region. */
export function replicationStatus(store: Store, primary: SecretRecord): Record<string, unknown>[] {
  return primary.replicas.map((replica) => {
    const out: Record<string, unknown> = {
      Region: replica.Region,
      KmsKeyId: replica.KmsKeyId ?? DEFAULT_KMS_KEY,
      Status: replica.Status,
      StatusMessage: replica.StatusMessage,
    };
    const accessed =
      replica.Status === 'InSync'
        ? store.findByArn(replicaArn(primary.arn, replica.Region))?.lastAccessedAt
        : undefined;
    if (accessed !== undefined) out.LastAccessedDate = epochSeconds(accessed);
    return out;
  });
}
