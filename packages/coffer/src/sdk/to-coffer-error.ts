import {
  AccessDeniedError,
  CofferError,
  DecryptionError,
  SecretNotFoundError,
  SecretScheduledForDeletionError,
  SecretsManagerError,
  SecretsManagerUnavailableError,
  ThrottledError,
} from '../errors.js';

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
}

/** The SDK's throttling error names. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

/** Node's error codes for a network path that failed: refused, reset, timed out, unresolvable, unreachable. */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/** What to do about an outage, in every message that reports one. */
export const RETRY_HINT = 'Check the network path and the endpoint; the call can be retried.';

const ACCESS_DENIED = /not authorized to perform: (\S+)(?: on resource: (\S+))?/;

/** Which SDK failures mean "Secrets Manager could not be reached or did not answer properly". */
function isUnavailable(error: SdkErrorLike): boolean {
  if (error.code !== undefined && NETWORK.has(error.code)) return true;
  if (error.name === 'TimeoutError' || error.name === 'RequestTimeout') return true;
  if (error.$fault === 'server' || (error.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  // The SDK surfaces connection failures as plain Errors carrying a Node error code.
  const cause = (error as { cause?: SdkErrorLike }).cause;
  return cause?.code !== undefined && NETWORK.has(cause.code);
}

/**
 * Turns an AWS SDK error into a CofferError with a message that says what to do. The SDK error is kept as
 * `cause`. Messages quote AWS's own text, which names secrets and actions but never values.
 */
export function toCofferError(error: unknown, secretId: string | undefined, operation: string): CofferError {
  if (error instanceof CofferError) return error;
  const e = (error ?? {}) as SdkErrorLike;
  const name = e.name ?? 'Error';
  const awsMessage = e.message ?? '';
  const options = { secretId, cause: error };
  const which = secretId === undefined ? '' : ` "${secretId}"`;

  if (name === 'ResourceNotFoundException') {
    return new SecretNotFoundError(
      `Secret${which} was not found (${awsMessage}). Check the name or ARN, the region and the account.`,
      options,
    );
  }
  if (name === 'AccessDeniedException') {
    const match = ACCESS_DENIED.exec(awsMessage);
    const action = match?.[1] ?? `secretsmanager:${operation}`;
    const resource = match?.[2] ?? secretId;
    return new AccessDeniedError(
      `Access denied: allow ${action}${resource === undefined ? '' : ` on ${resource}`} in this principal's IAM policy (or the secret's resource policy). AWS said: ${awsMessage}`,
      { ...options, action, resource },
    );
  }
  if (
    name === 'InvalidRequestException' &&
    /marked for deletion|marked deleted|scheduled for deletion/.test(awsMessage)
  ) {
    return new SecretScheduledForDeletionError(
      `Secret${which} is scheduled for deletion: restore it with RestoreSecret (\`aws secretsmanager restore-secret\`) to use it again.`,
      options,
    );
  }
  if (name === 'DecryptionFailure') {
    return new DecryptionError(
      `Secrets Manager could not decrypt secret${which} with its KMS key: allow kms:Decrypt on that key for this principal. AWS said: ${awsMessage}`,
      options,
    );
  }
  if (THROTTLING.has(name) || e.$metadata?.httpStatusCode === 429) {
    return new ThrottledError(
      `Secrets Manager throttled ${operation}${which}: cache values (SecretCache) and use BatchGetSecretValue to make fewer calls.`,
      options,
    );
  }
  if (isUnavailable(e)) {
    return new SecretsManagerUnavailableError(
      `Secrets Manager is unavailable (${operation}${which} failed: ${name}${awsMessage ? `: ${awsMessage}` : ''}). ${RETRY_HINT}`,
      options,
    );
  }
  return new SecretsManagerError(`${operation}${which} failed: ${name}: ${awsMessage}`, options);
}
