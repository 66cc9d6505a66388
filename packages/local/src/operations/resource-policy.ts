import { isPublic, type PolicyDocument, policyProblem } from '../auth/policy.js';
import { malformedPolicy, publicPolicy } from '../protocol/errors.js';
import { type Operation, resolveSecret, SECRET_ID } from './context.js';

export const putResourcePolicy: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const text = input.string('ResourcePolicy', { required: true, min: 1, max: 20_480 });
  // AWS documents that public policies are not blocked unless BlockPublicPolicy is true.
  const blockPublic = input.boolean('BlockPublicPolicy') ?? false;
  input.done();
  const secret = resolveSecret(ctx, secretId, 'PutResourcePolicy');
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw malformedPolicy('This resource policy contains a syntax error: it is not valid JSON.');
  }
  const problem = policyProblem(policy, { resourcePolicy: true });
  if (problem)
    throw malformedPolicy(`This resource policy contains an unsupported or invalid statement: ${problem}`);
  if (blockPublic && isPublic(policy as PolicyDocument)) {
    throw publicPolicy(
      'This resource policy will grant public access to the secret. Use a more restrictive principal, or set BlockPublicPolicy to false.',
    );
  }
  ctx.store.updateSecret(secret.arn, { policy: text, lastChangedAt: ctx.now });
  return { ARN: secret.arn, Name: secret.name };
};

export const getResourcePolicy: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'GetResourcePolicy', { allowDeleted: true });
  return secret.policy === undefined
    ? { ARN: secret.arn, Name: secret.name }
    : { ARN: secret.arn, Name: secret.name, ResourcePolicy: secret.policy };
};

export const deleteResourcePolicy: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'DeleteResourcePolicy');
  ctx.store.updateSecret(secret.arn, { policy: undefined, lastChangedAt: ctx.now });
  return { ARN: secret.arn, Name: secret.name };
};
