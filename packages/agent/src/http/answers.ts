import {
  CofferError,
  InvalidSecretFormatError,
  type SecretResult,
  SecretsManagerUnavailableError,
} from 'coffer';

/**
 * An answer other than 200: its status and body are those AWS's agent sends, so clients that branch on them
 * keep working. `type` is the `__type` of a JSON body, for the access log and metrics.
 */
export class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly type: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${status} ${type}`);
  }

  /** A plain-text answer, as AWS's agent gives for bad tokens, parameters and paths. */
  static text(status: number, text: string): HttpAnswer {
    return new HttpAnswer(status, text, text);
  }

  /** AWS's JSON error body: `{"__type": ..., "message": ...}`, or `{"__type":"InternalFailure"}`. */
  static json(status: number, type: string, message: string): HttpAnswer {
    const body =
      type === 'InternalFailure' || message === ''
        ? '{"__type":"InternalFailure"}'
        : JSON.stringify({ __type: type, message });
    return new HttpAnswer(status, body, type === '' ? 'InternalFailure' : type);
  }
}

interface SdkFailure {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * A CofferError as AWS's agent answers the SDK error under it: Secrets Manager's own status, code and message
 * (which name secrets and actions, never values); 504 for a timeout, 502 for a connection that failed.
 */
export function answerForError(error: unknown, staleSince?: Date): HttpAnswer {
  if (error instanceof HttpAnswer) return error;
  // The library's checks of a secret id, version id or stage: the request is at fault.
  if (error instanceof TypeError) return HttpAnswer.json(400, 'InvalidParameterException', error.message);
  if (!(error instanceof CofferError)) return HttpAnswer.json(500, 'InternalFailure', '');
  // Coffer extension (key=): the secret is not JSON; the message says where, never what.
  if (error instanceof InvalidSecretFormatError)
    return HttpAnswer.json(400, 'InvalidSecretFormatException', error.message);
  const cause = error.cause as SdkFailure | undefined;
  const status = cause?.$metadata?.httpStatusCode;
  if (status !== undefined && cause?.name !== undefined && status >= 400)
    return HttpAnswer.json(status, cause.name, cause.message ?? '');
  if (error instanceof SecretsManagerUnavailableError) {
    // The SDK names a reset connection TimeoutError too: its Node error code tells them apart.
    const timedOut =
      cause?.code === 'ETIMEDOUT' ||
      (cause?.code === undefined && (cause?.name === 'TimeoutError' || error.message.includes('in time')));
    // Past max_stale_seconds the agent stops serving the old value: say so, beyond AWS's terse message.
    const why =
      staleSince === undefined
        ? ''
        : ` (the cached value expired at ${staleSince.toISOString()} and is past max_stale_seconds)`;
    return timedOut
      ? HttpAnswer.json(504, 'TimeoutError', `Timeout${why}`)
      : HttpAnswer.json(502, 'ConnectionError', `Read Error${why}`);
  }
  return HttpAnswer.json(500, 'InternalFailure', '');
}

/** CreatedDate as AWS's agent writes it: seconds since the epoch, with a fraction, in a string. */
const epochSeconds = (date: Date | undefined): string | null =>
  date === undefined ? null : String(date.getTime() / 1000);

const base64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** The GetSecretValue answer in AWS's agent's layout (its field order, SecretString or SecretBinary). */
export function getSecretValueBody(result: SecretResult<string | Uint8Array>): Record<string, unknown> {
  const value = result.value.reveal();
  return {
    ARN: result.arn,
    Name: result.name,
    VersionId: result.versionId,
    ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: base64(value) }),
    VersionStages: result.versionStages,
    CreatedDate: epochSeconds(result.createdDate),
  };
}
