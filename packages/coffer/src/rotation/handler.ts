import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CofferError } from '../errors.js';
import type { CofferLogger } from '../logger.js';
import { describeSecret, versionWithStage } from '../sdk/secrets-manager.js';
import { moveVersionStage } from '../sdk/write-calls.js';
import {
  CURRENT,
  PENDING,
  RotationContext,
  type RotationEvent,
  type RotationStep,
  STEPS,
} from './context.js';
import { RotationError } from './errors.js';

/**
 * The four steps of Secrets Manager's rotation protocol. Each must be idempotent: Secrets Manager retries a
 * failed step, and a crash can repeat any of them.
 */
export interface Rotator {
  /** Store the next secret value as AWSPENDING under `ctx.token` (unless it already has one). */
  createSecret(ctx: RotationContext): Promise<void>;
  /** Make the pending credential valid in the service (database, API). */
  setSecret(ctx: RotationContext): Promise<void>;
  /** Prove the pending credential works. */
  testSecret(ctx: RotationContext): Promise<void>;
  /** Extra work before AWSCURRENT moves to the pending version (the handler moves it). */
  finishSecret?(ctx: RotationContext): Promise<void>;
}

export interface RotationHandlerOptions {
  rotator: Rotator;
  /** @default a SecretsManagerClient created on the first event (Lambda's environment configures it) */
  client?: SecretsManagerClient;
  /** @default JSON lines on stdout, which Lambda sends to CloudWatch Logs */
  logger?: CofferLogger;
  /**
   * Rethrow a rotator's own errors as they are. By default an error that is not Coffer's is replaced by a
   * RotationError naming only its class, because its message might quote a secret value. @default false
   */
  exposeErrorMessages?: boolean;
}

/** Structured JSON logs on stdout, one line per event: what Lambda and CloudWatch expect. */
export const jsonLogger: CofferLogger = {
  info: (fields, message) => console.log(JSON.stringify({ level: 'info', message, ...fields })),
  warn: (fields, message) => console.log(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (fields, message) => console.log(JSON.stringify({ level: 'error', message, ...fields })),
};

function checkEvent(event: unknown): asserts event is RotationEvent {
  const e = event as Partial<RotationEvent> | null;
  if (typeof e !== 'object' || e === null) throw new RotationError('The rotation event must be an object.');
  for (const field of ['SecretId', 'ClientRequestToken', 'Step'] as const) {
    if (typeof e[field] !== 'string' || e[field] === '') {
      throw new RotationError(
        `The rotation event has no ${field}: is this function invoked by Secrets Manager?`,
      );
    }
  }
}

/** The part of Lambda's context object the handler uses. */
export interface LambdaContextLike {
  getRemainingTimeInMillis?(): number;
}

const isStep = (step: string): step is RotationStep => (STEPS as readonly string[]).includes(step);

/**
 * A Lambda handler for Secrets Manager rotation that runs `rotator`'s steps under the guard AWS's own templates
 * run: rotation must be enabled, the token's version must be staged AWSPENDING, and a version already AWSCURRENT
 * means there is nothing left to do. finishSecret moves AWSCURRENT with UpdateSecretVersionStage.
 *
 * @example
 * ```ts
 * export const handler = createRotationHandler({ rotator: postgres.singleUser() });
 * ```
 */
export function createRotationHandler(
  options: RotationHandlerOptions,
): (event: RotationEvent, context?: LambdaContextLike) => Promise<void> {
  const { rotator } = options;
  for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) {
    if (typeof rotator?.[step] !== 'function')
      throw new TypeError(`The rotator has no ${step}(ctx) function.`);
  }
  const logger = options.logger ?? jsonLogger;
  let client = options.client;

  return async (event: RotationEvent, context?: LambdaContextLike): Promise<void> => {
    checkEvent(event);
    const signal = deadlineOf(context);
    const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
    if (!isStep(step)) {
      throw new RotationError(`Unknown rotation step "${step}": expected one of ${STEPS.join(', ')}.`, {
        secretId,
        step,
      });
    }
    client ??= new SecretsManagerClient({});
    const fields = { secretId, token, step };
    const started = Date.now();
    try {
      const metadata = await describeSecret(client, secretId, { signal });
      // The guard every AWS rotation template runs first.
      if (metadata.RotationEnabled === false) {
        throw new RotationError(`Secret ${secretId} is not enabled for rotation.`, { secretId, step });
      }
      const stages = metadata.VersionIdsToStages ?? {};
      const tokenStages = stages[token];
      if (tokenStages === undefined) {
        throw new RotationError(`Secret version ${token} has no stage for rotation of secret ${secretId}.`, {
          secretId,
          step,
        });
      }
      if (tokenStages.includes(CURRENT)) {
        logger.info?.(fields, `${step}: version ${token} is already AWSCURRENT; nothing to do`);
        return;
      }
      if (!tokenStages.includes(PENDING)) {
        throw new RotationError(
          `Secret version ${token} is not set as AWSPENDING for rotation of secret ${secretId}.`,
          {
            secretId,
            step,
          },
        );
      }
      const ctx = new RotationContext({
        secretId,
        token,
        step,
        client,
        logger,
        rotationToken: event.RotationToken,
        signal,
      });
      if (step === 'finishSecret') {
        await rotator.finishSecret?.(ctx);
        await moveCurrent(client, secretId, token, stages, signal);
      } else {
        await rotator[step](ctx);
      }
      logger.info?.({ ...fields, durationMs: Date.now() - started }, `${step}: done`);
    } catch (error) {
      const code = error instanceof CofferError ? error.code : 'UNEXPECTED';
      logger.error?.(
        { ...fields, code, durationMs: Date.now() - started },
        `${step}: failed: ${messageOf(error)}`,
      );
      if (error instanceof CofferError || options.exposeErrorMessages) throw error;
      // Lambda's runtime logs a thrown error's message and stack; a rotator's own error might quote a value.
      throw new RotationError(
        `${step} failed: ${messageOf(error)}. Pass exposeErrorMessages: true to createRotationHandler while debugging to see it.`,
        { secretId, step },
      );
    }
  };
}

/** Error text for logs: CofferErrors never hold values; for anything else only the class name is safe to print. */
const messageOf = (error: unknown): string =>
  error instanceof CofferError
    ? error.message
    : error instanceof Error
      ? `${error.name} (message withheld)`
      : 'error';

/** finishSecret: AWSCURRENT moves to the token's version; the old one becomes AWSPREVIOUS. */
async function moveCurrent(
  client: SecretsManagerClient,
  secretId: string,
  token: string,
  stages: Record<string, string[]>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const current = versionWithStage(stages, CURRENT);
  if (current === token) return;
  await moveVersionStage(
    client,
    { secretId, stage: CURRENT, toVersionId: token, fromVersionId: current },
    { signal },
  );
}

/**
 * Calls to Secrets Manager end this long before Lambda's own timeout, so that the failure is logged and
 * Secrets Manager retries the step, instead of the runtime killing the function mid-call.
 */
const LAMBDA_DEADLINE_MARGIN_MS = 1000;

/** A signal that aborts just before the invocation's deadline, when Lambda's context tells it. */
function deadlineOf(context: LambdaContextLike | undefined): AbortSignal | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (typeof remaining !== 'number' || !Number.isFinite(remaining)) return undefined;
  return AbortSignal.timeout(Math.max(1, remaining - LAMBDA_DEADLINE_MARGIN_MS));
}
