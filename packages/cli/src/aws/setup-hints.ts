/**
 * One-line answers for the failures a new setup meets first, which the AWS SDK reports in its own words
 * ("Region is missing", "Could not load credentials from any providers"). Pure string checks: the CLI's error
 * path loads this without the SDK.
 */

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  /** Node's connection errors name the address and port they tried. */
  address?: string;
  port?: number;
  secretId?: string;
  cause?: unknown;
}

/** The error and its causes, outermost first. */
function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  for (
    let at = error;
    at !== null && typeof at === 'object' && out.length < 8;
    at = (at as ErrorLike).cause
  ) {
    out.push(at as ErrorLike);
  }
  return out;
}

const LOCAL = '`eval "$(coffer env)"` (with `coffer serve` running)';

/**
 * The hint for a setup problem every call shares (no region, no credentials, an expired SSO session, credentials
 * the server does not know, nothing answering at the endpoint), or undefined. A command that reads many secrets
 * reports such a failure once, with this hint, rather than once per secret (see `isSetupProblem`).
 */
function setupHint(error: unknown, endpoint: string | undefined): string | undefined {
  const errors = chain(error);
  const said = (pattern: RegExp) => errors.some((e) => pattern.test(`${e.name ?? ''}: ${e.message ?? ''}`));
  const top = errors[0];
  if (said(/Region is missing/i)) {
    return `No AWS region is set: pass --region, set AWS_REGION, or use the local server: ${LOCAL}.`;
  }
  if (said(/SSO session .*(expired|invalid)|Token is expired|TokenProviderError|refresh .*SSO/i)) {
    return 'Your AWS SSO session has expired: run `aws sso login` (with `--profile <name>` if you use one), then try again.';
  }
  if (said(/Could not load credentials from any providers|CredentialsProviderError/i)) {
    return `No AWS credentials found: run \`aws configure\` or \`aws sso login\`, set AWS_PROFILE (or pass --profile), or use the local server: ${LOCAL}.`;
  }
  // Keys from another server (a local server restarted on another data dir) or another account, or a stale
  // session: AWS and the local server both answer UnrecognizedClientException for an access key they do not
  // know, and InvalidSignatureException with this message for a wrong secret key.
  const unknownKey = errors.some((e) => e.name === 'UnrecognizedClientException');
  const wrongSecret = errors.some(
    (e) =>
      e.name === 'InvalidSignatureException' &&
      /does not match the signature you provided/.test(e.message ?? ''),
  );
  if (unknownKey || wrongSecret) {
    const what = unknownKey
      ? `The access key was not recognised${endpoint === undefined ? '' : ` by ${endpoint}`}`
      : `The secret key does not match the access key${endpoint === undefined ? '' : ` for ${endpoint}`}`;
    return `${what}: against AWS, check which credentials are in use (\`aws sts get-caller-identity\`, AWS_PROFILE or --profile, and AWS_SESSION_TOKEN for temporary ones); against a Coffer local server, take that server's credentials: \`eval "$(coffer env)"\` (with --data-dir for its data dir).`;
  }
  if (
    top?.code === 'SECRETS_MANAGER_UNAVAILABLE' &&
    errors.some((e) =>
      /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH/.test(`${e.code ?? ''} ${e.message ?? ''}`),
    )
  ) {
    const tried = errors.find((e) => e.address !== undefined);
    const where = endpoint ?? (tried === undefined ? undefined : `${tried.address}:${tried.port ?? ''}`);
    return where === undefined
      ? 'Cannot reach AWS Secrets Manager: check the network, the region and any proxy settings.'
      : `Nothing answers at ${where}: start the local server with \`coffer serve\`, or fix the endpoint (--endpoint, AWS_ENDPOINT_URL_SECRETS_MANAGER, or the profile's endpoint_url).`;
  }
  return undefined;
}

/** Whether `error` is a setup problem every call shares, which a command reports once rather than per secret. */
export const isSetupProblem = (error: unknown): boolean => setupHint(error, undefined) !== undefined;

/** The hint for a problem of one secret (scheduled for deletion, no value yet), or undefined. */
export function secretHint(error: unknown): string | undefined {
  const errors = chain(error);
  const top = errors[0];
  if (top?.code === 'SECRET_SCHEDULED_FOR_DELETION' && top.secretId !== undefined) {
    return `Secret "${top.secretId}" is scheduled for deletion: restore it with \`coffer restore ${top.secretId}\`.`;
  }
  if (
    top?.code === 'SECRET_NOT_FOUND' &&
    top.secretId !== undefined &&
    errors.some((e) => /secret value for staging label/i.test(e.message ?? ''))
  ) {
    return `Secret "${top.secretId}" has no value yet: store one with \`coffer put ${top.secretId}\`.`;
  }
  return undefined;
}

/**
 * The hint for a RotateSecret refusal AWS and the local server word alike, or undefined: no rotation function
 * configured yet, or one Secrets Manager may not invoke (on AWS: not allowed by the function's resource policy;
 * on a Coffer local server: not registered with `coffer serve`).
 */
export function rotationHint(
  error: unknown,
  secretId: string,
  functionArn: string | undefined,
): string | undefined {
  const errors = chain(error);
  const said = (name: string, pattern: RegExp) =>
    errors.some((e) => e.name === name && pattern.test(e.message ?? ''));
  if (said('InvalidRequestException', /doesn't already have a Lambda function ARN configured/i)) {
    return `Secret "${secretId}" has no rotation function yet: pass --lambda <function ARN> (later rotations reuse it).`;
  }
  if (said('AccessDeniedException', /cannot invoke the specified Lambda function/i)) {
    const arn = functionArn ?? '<function ARN>';
    return `Secrets Manager cannot invoke the rotation function ${functionArn ?? 'configured for this secret'}: against a Coffer local server, register it with \`coffer serve --rotation-function ${arn}=<file>\`; against AWS, allow secretsmanager.amazonaws.com to invoke it (\`aws lambda add-permission --function-name ${arn} --action lambda:InvokeFunction --principal secretsmanager.amazonaws.com --statement-id SecretsManagerRotation\`).`;
  }
  return undefined;
}

/** A hint that replaces the error's message, or undefined when the error is neither kind of known problem. */
export const hintFor = (error: unknown, endpoint: string | undefined): string | undefined =>
  setupHint(error, endpoint) ?? secretHint(error);
