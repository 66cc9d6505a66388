import { CURRENT } from 'coffer/internal';
import { accessDenied, invalidParameter, invalidRequest, resourceExists } from '../protocol/errors.js';
import {
  nextRotationDate,
  type RotationRules,
  type RotationState,
  rotationState,
  scheduleOf,
} from '../rotation/schedule.js';
import { ALL_STEPS } from '../rotation/service.js';
import { preparePending, unfinishedPending } from '../store/staging.js';
import type { SecretRecord } from '../store/store.js';
import { type Operation, resolveSecret, SECRET_ID, TOKEN } from './context.js';

/** AWS's model constraints on RotationRules' members. */
function readRules(input: Parameters<Operation>[0]): RotationRules | undefined {
  const member = input.object('RotationRules');
  if (member === undefined) return undefined;
  const days = member.integer('AutomaticallyAfterDays', { min: 1, max: 1000 });
  const expression = member.string('ScheduleExpression', {
    min: 1,
    max: 256,
    pattern: /[0-9A-Za-z()#?*\-/, ]+/,
  });
  const duration = member.string('Duration', { min: 2, max: 3, pattern: /[0-9]+h/ });
  input.adopt(member, 'RotationRules');
  const rules: RotationRules = {};
  if (days !== undefined) rules.AutomaticallyAfterDays = days;
  if (expression !== undefined) rules.ScheduleExpression = expression;
  if (duration !== undefined) rules.Duration = duration;
  return rules;
}

/** ExternalSecretRotationMetadata: the partner's key/value pairs for rotating a managed external secret. */
function readExternalMetadata(input: Parameters<Operation>[0]): { Key: string; Value: string }[] | undefined {
  const members = input.objectList('ExternalSecretRotationMetadata');
  if (members === undefined) return undefined;
  return members.map((member, index) => {
    const Key = member.string('Key', { min: 1, max: 256 });
    const Value = member.string('Value', { min: 1, max: 2048 });
    input.adopt(member, `externalSecretRotationMetadata.${index + 1}.member`);
    return { Key: Key ?? '', Value: Value ?? '' };
  });
}

const CANNOT_INVOKE =
  'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.';

export const rotateSecret: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  const token = input.string('ClientRequestToken', TOKEN);
  const lambdaArn = input.string('RotationLambdaARN', { max: 2048 });
  const rules = readRules(input);
  const externalMetadata = readExternalMetadata(input);
  const externalRoleArn = input.string('ExternalSecretRotationRoleArn', { min: 20, max: 2048 });
  const immediately = input.boolean('RotateImmediately') ?? true;
  input.done();
  const secret = resolveSecret(ctx, secretId, 'RotateSecret', { primaryOnly: true });
  if (token === undefined) {
    // The one operation where AWS reports the missing token as InvalidParameterException.
    throw invalidParameter('You must provide a ClientRequestToken value. We recommend a UUID-type value.');
  }
  const previous = rotationState(secret.rotation);
  const functionArn = lambdaArn ?? previous?.RotationLambdaARN;
  const effectiveRules = rules ?? previous?.RotationRules;
  if (effectiveRules !== undefined) {
    const schedule = scheduleOf(effectiveRules);
    if (typeof schedule === 'string') throw invalidParameter(schedule);
  }
  if (functionArn === undefined && secret.type !== undefined) {
    // A managed external secret is rotated by its partner with the role given, not by a Lambda
    // function; there is no partner here, so the configuration is kept and shown, and nothing runs.
    return rotateExternal(ctx, secret, { rules, externalMetadata, externalRoleArn });
  }
  if (functionArn === undefined) {
    throw invalidRequest(
      "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.",
    );
  }
  const { rotation, store } = ctx;
  if (!rotation?.hasFunction(functionArn)) throw accessDenied(CANNOT_INVOKE);
  if (rotation.isRunning(secret.arn)) {
    throw invalidRequest('A previous rotation isn’t complete. That rotation will be reattempted.');
  }
  const reattempt = unfinishedPending(store, secret.arn) !== undefined;
  // A new rotation needs a new version: a token naming an existing one is refused, as for PutSecretValue.
  if (immediately && !reattempt && store.versionExists(secret.arn, token)) {
    throw resourceExists(
      `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${secret.arn}.`,
    );
  }

  return store.transaction(() => {
    const state: RotationState = {
      ...previous,
      RotationEnabled: true,
      RotationLambdaARN: functionArn,
      configuredAt: previous?.configuredAt ?? ctx.now,
    };
    if (externalMetadata !== undefined) state.ExternalSecretRotationMetadata = externalMetadata;
    if (externalRoleArn !== undefined) state.ExternalSecretRotationRoleArn = externalRoleArn;
    if (rules !== undefined) {
      state.RotationRules = rules;
      state.configuredAt = ctx.now;
    }
    delete state.lastFailedAt;
    const next = nextRotationDate(state);
    if (next === undefined) delete state.NextRotationDate;
    else state.NextRotationDate = next;
    store.updateSecret(secret.arn, { rotation: state as unknown as Record<string, unknown> });

    let versionId: string;
    if (immediately) {
      versionId = preparePending(store, secret.arn, token, ctx.now);
      rotation.start(secret.arn, functionArn, versionId, ALL_STEPS);
    } else {
      // AWS tests the configuration with the testSecret step alone, on the current version.
      versionId = store.stageHolder(secret.arn, CURRENT) ?? token;
      rotation.start(secret.arn, functionArn, versionId, ['testSecret']);
    }
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
  });
};

function rotateExternal(
  ctx: Parameters<Operation>[1],
  secret: SecretRecord,
  options: {
    rules: RotationRules | undefined;
    externalMetadata: { Key: string; Value: string }[] | undefined;
    externalRoleArn: string | undefined;
  },
): Record<string, unknown> {
  const previous = rotationState(secret.rotation);
  const state: RotationState = {
    ...previous,
    RotationEnabled: true,
    configuredAt: previous?.configuredAt ?? ctx.now,
  };
  if (options.externalMetadata !== undefined) state.ExternalSecretRotationMetadata = options.externalMetadata;
  if (options.externalRoleArn !== undefined) state.ExternalSecretRotationRoleArn = options.externalRoleArn;
  if (options.rules !== undefined) {
    state.RotationRules = options.rules;
    state.configuredAt = ctx.now;
  }
  const next = nextRotationDate(state);
  if (next === undefined) delete state.NextRotationDate;
  else state.NextRotationDate = next;
  ctx.store.updateSecret(secret.arn, { rotation: state as unknown as Record<string, unknown> });
  return { ARN: secret.arn, Name: secret.name };
}

export const cancelRotateSecret: Operation = (input, ctx) => {
  const secretId = input.string('SecretId', SECRET_ID);
  input.done();
  const secret = resolveSecret(ctx, secretId, 'CancelRotateSecret', { primaryOnly: true });
  const { store } = ctx;
  const previous = rotationState(secret.rotation);
  const state: RotationState = {
    ...previous,
    RotationEnabled: false,
    configuredAt: previous?.configuredAt ?? ctx.now,
  };
  delete state.NextRotationDate;
  delete state.lastFailedAt;
  store.updateSecret(secret.arn, { rotation: state as unknown as Record<string, unknown> });
  const pending = unfinishedPending(store, secret.arn);
  const out: Record<string, unknown> = { ARN: secret.arn, Name: secret.name };
  if (pending !== undefined) out.VersionId = pending;
  return out;
};
