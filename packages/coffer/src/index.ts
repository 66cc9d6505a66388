/**
 * coffer: AWS Secrets Manager for Node.js services. Masked `Secret` values, typed errors, and a cache that
 * never stampedes and keeps serving when Secrets Manager is down.
 */

export { getMany, SecretBatchError } from './cache/batch.js';
export { getDescription, type SecretDescription } from './cache/descriptions.js';
export type { Listener, SecretCacheEvent, SecretCacheEvents } from './cache/events.js';
export { replicaFailover } from './cache/failover.js';
export { SECRET_CACHE_DEFAULTS, type SecretCacheOptions } from './cache/options.js';
export type { ReplicaFailover } from './cache/route.js';
export { SecretCache, type SecretCacheStats } from './cache/secret-cache.js';
export {
  AccessDeniedError,
  ClosedError,
  CofferError,
  type CofferErrorCode,
  DecryptionError,
  InvalidSecretFormatError,
  SecretNotFoundError,
  SecretScheduledForDeletionError,
  SecretsManagerError,
  SecretsManagerUnavailableError,
  ThrottledError,
} from './errors.js';
export type { CofferLogger } from './logger.js';
export type { SecretFormat, SecretResult } from './read/decode.js';
export { type GetSecretOptions, getSecret } from './read/get-secret.js';
export type { ReadOptions, ValueOf, VersionSelector } from './read/options.js';
export { readSecretReferences, type SecretReads } from './references/read-references.js';
export { parseSecretReference, type SecretReference } from './references/reference.js';
export { toCofferError } from './sdk/to-coffer-error.js';
export { Secret, type SecretFields } from './secret/secret.js';
export type { StandardSchemaV1 } from './standard-schema.js';
