import type { Secret } from '../secret/secret.js';
import { CURRENT, PENDING } from '../stages.js';
import type { RotationContext } from './context.js';
import { RotationError } from './errors.js';
import type { Rotator } from './handler.js';

export interface CustomRotatorSteps {
  /**
   * The next secret value, from the current one. Called only when the pending version has no value yet, so
   * a retried createSecret never generates twice. Use `ctx.randomPassword()` for new passwords.
   */
  generate(
    current: Secret<string> | undefined,
    ctx: RotationContext,
  ): Promise<string | Record<string, unknown>>;
  /** Make the pending value valid in the service (e.g. register the new API key). */
  set(pending: Secret<string>, ctx: RotationContext): Promise<void>;
  /** Prove the pending value works; throw if not. */
  test(pending: Secret<string>, ctx: RotationContext): Promise<void>;
  /** Optional: clean up before AWSCURRENT moves (e.g. revoke the previous key). */
  finish?(ctx: RotationContext): Promise<void>;
}

/**
 * A rotator from four plain functions, for API keys and services without a built-in rotator. createSecret is
 * idempotent: it does nothing when the pending version already has a value.
 *
 * @example
 * ```ts
 * export const handler = createRotationHandler({
 *   rotator: custom({
 *     generate: async (_, ctx) => (await ctx.randomPassword({ length: 40 })).reveal(),
 *     set: async (pending) => api.registerKey(pending.reveal()),
 *     test: async (pending) => api.ping(pending.reveal()),
 *   }),
 * });
 * ```
 */
export function custom(steps: CustomRotatorSteps): Rotator {
  for (const name of ['generate', 'set', 'test'] as const) {
    if (typeof steps?.[name] !== 'function') throw new TypeError(`custom() needs a ${name} function.`);
  }
  const pendingOf = async (ctx: RotationContext): Promise<Secret<string>> => {
    const pending = await ctx.read(PENDING);
    if (pending === undefined) {
      throw new RotationError(
        `${ctx.step}: the pending version ${ctx.token} has no value; run createSecret first.`,
        {
          secretId: ctx.secretId,
          step: ctx.step,
        },
      );
    }
    return pending;
  };
  return {
    async createSecret(ctx) {
      if ((await ctx.read(PENDING)) !== undefined) return;
      await ctx.writePending(await steps.generate(await ctx.read(CURRENT), ctx));
    },
    async setSecret(ctx) {
      await steps.set(await pendingOf(ctx), ctx);
    },
    async testSecret(ctx) {
      await steps.test(await pendingOf(ctx), ctx);
    },
    ...(steps.finish !== undefined && { finishSecret: steps.finish }),
  };
}
