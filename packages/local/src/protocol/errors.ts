/**
 * Errors in the shape AWS Secrets Manager puts on the wire, so the official SDKs raise their own
 * typed exceptions (`ResourceNotFoundException`, ...) against this server exactly as against AWS.
 */

/** Errors raised by the AWS front end (signature, credentials, framing) carry a namespaced `__type` and a lower-case `message`. */
const FRONT_END_NAMESPACE = 'com.amazon.coral.service#';

export interface WireError {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export class AwsError extends Error {
  override readonly name = 'AwsError';
  constructor(
    /** The AWS error code, e.g. `ResourceNotFoundException`. */
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Front-end errors use AWS's namespaced `__type` and a lower-case `message` key. */
    readonly frontEnd = false,
  ) {
    super(message);
  }

  toWire(): WireError {
    const type = this.frontEnd ? FRONT_END_NAMESPACE + this.code : this.code;
    const body = this.frontEnd
      ? { __type: type, message: this.message }
      : { __type: type, Message: this.message };
    return {
      status: this.status,
      headers: { 'x-amzn-errortype': this.code },
      body: JSON.stringify(body),
    };
  }
}

const make =
  (code: string, status = 400, frontEnd = false) =>
  (message: string): AwsError =>
    new AwsError(code, message, status, frontEnd);

export const resourceNotFound = make('ResourceNotFoundException');
export const resourceExists = make('ResourceExistsException');
export const invalidParameter = make('InvalidParameterException');
export const invalidRequest = make('InvalidRequestException');
export const limitExceeded = make('LimitExceededException');
export const decryptionFailure = make('DecryptionFailure');
export const malformedPolicy = make('MalformedPolicyDocumentException');
export const publicPolicy = make('PublicPolicyException');
export const accessDenied = make('AccessDeniedException');
export const internalServiceError = make('InternalServiceError', 500);
export const validation = make('ValidationException');
export const serialization = make('SerializationException');
export const unknownOperation = make('UnknownOperationException');
export const unrecognizedClient = make('UnrecognizedClientException', 400, true);
export const invalidSignature = make('InvalidSignatureException', 400, true);
export const incompleteSignature = make('IncompleteSignatureException', 400, true);
export const missingAuthenticationToken = make('MissingAuthenticationTokenException', 400, true);
export const requestTooLarge = make('RequestEntityTooLargeException', 413, true);

/** The message AWS sends when an operation touches a secret scheduled for deletion. */
export const markedForDeletion = (): AwsError =>
  invalidRequest("You can't perform this operation on the secret because it was marked for deletion.");

export const secretNotFound = (): AwsError =>
  resourceNotFound("Secrets Manager can't find the specified secret.");
