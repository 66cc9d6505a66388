/**
 * @coffer/local: a local AWS Secrets Manager for development, tests and demos. The official AWS SDKs
 * and the AWS CLI use it unchanged: point their endpoint at it and sign with its credentials.
 */

export {
  clearRunningServer,
  findRunningServer,
  LocalAdmin,
  type LocalAdminOptions,
  NoLocalDataError,
  type RunningServer,
  writeRunningServer,
} from './admin.js';
export { AUDIT_LOG_DEFAULTS, type AuditEntry } from './audit/audit-log.js';
export type { Credential, NewCredential } from './auth/credentials.js';
export type { PolicyDocument, PolicyStatement } from './auth/policy.js';
export type { ConsoleOptions } from './console/index.js';
export { auditLogPath, defaultDataDir, MASTER_KEY_ENV } from './data-dir.js';
export { DEFAULT_ACCOUNT_ID, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_REGION } from './defaults.js';
export { CONNECTION_DEFAULTS, type ConnectionLimits } from './http-adapter.js';
export type { WireRequest, WireResponse } from './protocol/wire.js';
export type { RotationRules } from './rotation/schedule.js';
export {
  ROTATION_USER,
  type RotationOutcome,
  type RotationStep,
  SERVICE_PRINCIPAL,
} from './rotation/service.js';
export {
  type LocalConsole,
  type LocalSecretsManager,
  type LocalSecretsManagerOptions,
  startLocalSecretsManager,
} from './server.js';
