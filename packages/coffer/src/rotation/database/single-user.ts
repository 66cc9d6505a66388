import { CURRENT, PENDING, PREVIOUS, type RotationContext } from '../context.js';
import { rotationError } from '../errors.js';
import type { Rotator } from '../handler.js';
import { checkSameServer, credentialOf, describeLogin } from './credentials.js';
import type { Credential, DatabaseEngine, DatabaseRotatorOptions } from './engine.js';
import { canLogin, login } from './sessions.js';
import { createPending, testPending } from './steps.js';

/** Sets the pending password as the user itself, on its own session (`who` describes it for errors). */
export type SetOwnPassword<Session, Ssl> = (
  ctx: RotationContext,
  session: Session,
  pending: Credential<Ssl>,
  who: string,
) => Promise<void>;

/** Another version of the secret must be the same login as the current one, on the same server. */
function checkSameLogin<Ssl>(
  ctx: RotationContext,
  current: Credential<Ssl>,
  other: Credential<Ssl>,
  stage: string,
): void {
  if (other.username !== current.username) {
    throw rotationError(
      ctx,
      `The ${stage} version of secret ${ctx.secretId} names user ${JSON.stringify(other.username)}, the AWSCURRENT one ${JSON.stringify(current.username)}: singleUser rotates one user's password.`,
    );
  }
  checkSameServer(ctx, current, other, stage);
}

/**
 * The single-user rotator of AWS's templates, for any engine:
 *
 * - createSecret: the current JSON with a new password (GetRandomPassword), unless the pending version has one.
 * - setSecret: nothing if the pending password already logs in; otherwise logs in with the current password
 *   (or, when that no longer works, the AWSPREVIOUS one) and has the engine set the new one.
 * - testSecret: logs in with the pending password and runs the test query.
 */
export function singleUserRotator<Session, Ssl, Options extends DatabaseRotatorOptions>(
  engine: DatabaseEngine<Session, Ssl, Options>,
  options: Options,
  setOwnPassword: SetOwnPassword<Session, Ssl>,
): Rotator {
  return {
    createSecret: (ctx) => createPending(ctx, engine, options),

    async setSecret(ctx) {
      const current = await credentialOf(ctx, engine, CURRENT);
      const pending = await credentialOf(ctx, engine, PENDING);
      checkSameLogin(ctx, current, pending, PENDING);
      const who = describeLogin(pending.username, pending);
      if (await canLogin(ctx, engine, options, pending, pending.username, pending.password)) {
        ctx.logger.info?.(
          { secretId: ctx.secretId, step: ctx.step, username: pending.username },
          'setSecret: the pending password already logs in',
        );
        return;
      }
      let session = await login(ctx, engine, options, current, current.username, current.password);
      if (session === undefined) {
        // A crash after an earlier setSecret: the database may still hold the AWSPREVIOUS password.
        const previous = await credentialOf(ctx, engine, PREVIOUS);
        if (previous !== undefined) {
          checkSameLogin(ctx, current, previous, PREVIOUS);
          session = await login(ctx, engine, options, current, previous.username, previous.password);
        }
      }
      if (session === undefined) {
        throw rotationError(
          ctx,
          `Cannot log in as ${who} with the pending, current or previous password of secret ${ctx.secretId}: set the user's password to the AWSCURRENT one, then rotate again.`,
        );
      }
      try {
        await setOwnPassword(ctx, session, pending, who);
      } finally {
        await engine.close(session);
      }
      ctx.logger.info?.(
        { secretId: ctx.secretId, step: ctx.step, username: pending.username },
        'setSecret: set the pending password',
      );
    },

    testSecret: (ctx) => testPending(ctx, engine, options),
  };
}
