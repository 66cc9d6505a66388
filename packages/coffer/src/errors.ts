/**
 * Every error Coffer raises is a CofferError with a stable `code` to branch on, a message that says what
 * to do, the secret it concerns, and the AWS SDK's error as `cause`. No message ever contains a secret value.
 */
export abstract class CofferError extends Error {
  abstract readonly code: string;
  /** The SecretId the caller asked for (name or ARN), when the error concerns one secret. */
  readonly secretId: string | undefined;

  constructor(message: string, options: { secretId?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.secretId = options.secretId;
  }
}

export class SecretNotFoundError extends CofferError {
  override readonly name = 'SecretNotFoundError' as const;
  readonly code = 'SECRET_NOT_FOUND' as const;
}

export class AccessDeniedError extends CofferError {
  override readonly name = 'AccessDeniedError' as const;
  readonly code = 'ACCESS_DENIED' as const;
  /** The IAM action that was refused, e.g. `secretsmanager:GetSecretValue`, when AWS named it. */
  readonly action: string | undefined;
  /** The resource ARN to allow it on, when AWS named it. */
  readonly resource: string | undefined;

  constructor(
    message: string,
    options: {
      secretId?: string | undefined;
      cause?: unknown;
      action?: string | undefined;
      resource?: string | undefined;
    },
  ) {
    super(message, options);
    this.action = options.action;
    this.resource = options.resource;
  }
}

export class SecretScheduledForDeletionError extends CofferError {
  override readonly name = 'SecretScheduledForDeletionError' as const;
  readonly code = 'SECRET_SCHEDULED_FOR_DELETION' as const;
}

export class DecryptionError extends CofferError {
  override readonly name = 'DecryptionError' as const;
  readonly code = 'DECRYPTION_FAILED' as const;
}

export class ThrottledError extends CofferError {
  override readonly name = 'ThrottledError' as const;
  readonly code = 'THROTTLED' as const;
}

export class SecretsManagerUnavailableError extends CofferError {
  override readonly name = 'SecretsManagerUnavailableError' as const;
  readonly code = 'SECRETS_MANAGER_UNAVAILABLE' as const;
}

export class InvalidSecretFormatError extends CofferError {
  override readonly name = 'InvalidSecretFormatError' as const;
  readonly code = 'INVALID_SECRET_FORMAT' as const;
  /** Where the value is wrong, e.g. `['port', 'password']`; never the values themselves. */
  readonly paths: readonly string[];

  constructor(
    message: string,
    options: { secretId?: string | undefined; cause?: unknown; paths?: readonly string[] },
  ) {
    super(message, options);
    this.paths = Object.freeze([...(options.paths ?? [])]);
  }
}

/** Any other error from Secrets Manager (a bad parameter, a request it refuses). */
export class SecretsManagerError extends CofferError {
  override readonly name = 'SecretsManagerError' as const;
  readonly code = 'SECRETS_MANAGER_ERROR' as const;
}

/** A SecretCache (or something built on it) was used after `close()`. */
export class ClosedError extends CofferError {
  override readonly name = 'ClosedError' as const;
  readonly code = 'CLOSED' as const;
}

export type CofferErrorCode = CofferError['code'];
