/**
 * coffer: AWS Secrets Manager for Node.js services. Masked `Secret` values, typed errors, and a cache that
 * never stampedes and keeps serving when Secrets Manager is down.
 */

export type { Listener, SecretCacheEvent, SecretCacheEvents } from './cache/events.js';
export {
  DEFAULT_BACKOFF,
  DEFAULT_JITTER,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_STALE_MS,
  DEFAULT_REFRESH_AHEAD,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_TTL_MS,
  SecretBatchError,
  SecretCache,
  type SecretCacheOptions,
  type SecretCacheStats,
} from './cache/secret-cache.js';
export type { SecretFormat, SecretResult } from './client/decode.js';
export {
  type GetSecretOptions,
  getSecret,
  type ReadOptions,
  type ValueOf,
  type VersionSelector,
} from './client/get-secret.js';
export { mapSdkError as toCofferError } from './client/map-error.js';
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
export { isSecret, MASK, redact, Secret, type SecretFields } from './secret.js';
export type { StandardSchemaV1 } from './standard-schema.js';
