import type { PasswordOptions, RotationContext } from './context.js';
import { PENDING } from './context.js';

/**
 * createSecret for a database secret: the current JSON with a new password from GetRandomPassword (and, for
 * alternating users, the other user's name) stored as AWSPENDING, unless the pending version has a value already.
 */
export async function storePendingCredential(
  ctx: RotationContext,
  current: { readonly username: string; readonly fields: { reveal(): Readonly<Record<string, unknown>> } },
  options: { password?: PasswordOptions | undefined; username?: string | undefined },
): Promise<void> {
  if ((await ctx.read(PENDING)) !== undefined) {
    ctx.logger.info?.(
      { secretId: ctx.secretId, step: ctx.step },
      'createSecret: the pending version already has a value',
    );
    return;
  }
  const username = options.username ?? current.username;
  const password = await ctx.randomPassword(options.password ?? {});
  await ctx.writePending({ ...current.fields.reveal(), username, password: password.reveal() });
  ctx.logger.info?.(
    { secretId: ctx.secretId, step: ctx.step, username },
    'createSecret: stored a new password as the pending version',
  );
}
