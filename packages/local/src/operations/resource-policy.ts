import {
  validateResourcePolicy as checkResourcePolicy,
  grantsOutside,
  type PolicyDocument,
  policyProblem,
} from '../auth/policy.js';
import { malformedPolicy, publicPolicy } from '../protocol/errors.js';
import { authorize, type Operation, resolveSecret, SECRET_ID, targetOf } from './context.js';

export const putResourcePolicy: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const text = input.string('ResourcePolicy', { required: true, min: 1, max: 20_480 });
  // AWS documents that public policies are not blocked unless BlockPublicPolicy is true.
  const blockPublic = input.boolean('BlockPublicPolicy') ?? false;
  input.done();
  const secret = resolveSecret(ctx, secretId, 'PutResourcePolicy', { primaryOnly: true });
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw malformedPolicy('This resource policy contains a syntax error: it is not valid JSON.');
  }
  const problem = policyProblem(policy, { resourcePolicy: true });
  if (problem)
    throw malformedPolicy(`This resource policy contains an unsupported or invalid statement: ${problem}`);
  if (blockPublic && grantsOutside(policy as PolicyDocument, ctx.accountId)) {
    throw publicPolicy(
      'This resource policy will grant access to the secret outside this account (a wildcard principal or another account). Use a more restrictive principal, or set BlockPublicPolicy to false.',
    );
  }
  ctx.store.updateSecret(secret.arn, { policy: text, lastChangedAt: ctx.now });
  return { ARN: secret.arn, Name: secret.name };
};

export const getResourcePolicy: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'GetResourcePolicy', { allowDeleted: true, primaryOnly: true });
  return secret.policy === undefined
    ? { ARN: secret.arn, Name: secret.name }
    : { ARN: secret.arn, Name: secret.name, ResourcePolicy: secret.policy };
};

export const deleteResourcePolicy: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'DeleteResourcePolicy', { primaryOnly: true });
  ctx.store.updateSecret(secret.arn, { policy: undefined, lastChangedAt: ctx.now });
  return { ARN: secret.arn, Name: secret.name };
};

/**
 * ValidateResourcePolicy: the checks PutResourcePolicy would make, as findings instead of errors
 * (syntax, access outside the account, locking the caller out). Needs ValidateResourcePolicy and
 * PutResourcePolicy, as on AWS. Text that is not JSON at all is a MalformedPolicyDocumentException.
 */
export const validateResourcePolicy: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', { min: 1, max: 2048 });
  const text = input.string('ResourcePolicy', { required: true, min: 1, max: 20_480 });
  input.done();
  let resource = '*';
  if (secretId !== undefined) {
    const secret = resolveSecret(ctx, secretId, 'ValidateResourcePolicy', {
      allowDeleted: true,
      primaryOnly: true,
    });
    authorize(ctx, 'PutResourcePolicy', targetOf(ctx, secretId, secret));
    resource = secret.arn;
  } else {
    authorize(ctx, 'ValidateResourcePolicy', '*');
    authorize(ctx, 'PutResourcePolicy', '*');
  }
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw malformedPolicy('This resource policy contains a syntax error: it is not valid JSON.');
  }
  const findings = checkResourcePolicy(policy, {
    caller: { arn: ctx.caller.principalArn, accountId: ctx.accountId },
    resource,
  });
  return { PolicyValidationPassed: findings.length === 0, ValidationErrors: findings };
};
