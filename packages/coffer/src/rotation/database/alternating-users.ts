import { CURRENT, PENDING, type RotationContext } from '../context.js';
import { rotationError } from '../errors.js';
import type { Rotator } from '../handler.js';
import { checkSameServer, credentialOf, describeLogin, masterOf } from './credentials.js';
import type { Credential, DatabaseEngine, DatabaseRotatorOptions } from './engine.js';
import { canLogin, login } from './sessions.js';
import { createPending, type PendingCheck, testPending } from './steps.js';

/** What an engine does itself in alternating-users rotation. */
export interface AlternatingUsersSteps<Session, Ssl> {
  /** The other user of the pair, for createSecret; throws a RotationError for a name the engine cannot take. */
  alternate(ctx: RotationContext, username: string): string;
  /** setSecret, first: throws unless the pending version names a user this rotator may act on. */
  checkPendingUser(ctx: RotationContext, current: Credential<Ssl>, pending: Credential<Ssl>): void;
  /**
   * setSecret, as the master on `session` (`asMaster` describes it for errors): makes the pending user log in
   * with its password, with what the current user may do.
   */
  setAsMaster(
    ctx: RotationContext,
    session: Session,
    current: Credential<Ssl>,
    pending: Credential<Ssl>,
    asMaster: string,
  ): Promise<void>;
  /** testSecret: a check on the pending user's session after the test query. */
  checkPendingSession?: PendingCheck<Session, Ssl> | undefined;
}

/**
 * The alternating-users rotator of AWS's templates, for any engine: each rotation sets a new password on the user
 * of the pair that is not current, so the current credential keeps working throughout. setSecret checks the
 * pending version, does nothing if its credential already logs in, and otherwise has the master (the secret's
 * `masterarn`) do the engine's work.
 */
export function alternatingUsersRotator<Session, Ssl, Options extends DatabaseRotatorOptions>(
  engine: DatabaseEngine<Session, Ssl, Options>,
  options: Options,
  steps: AlternatingUsersSteps<Session, Ssl>,
): Rotator {
  async function setAsMaster(
    ctx: RotationContext,
    current: Credential<Ssl>,
    pending: Credential<Ssl>,
  ): Promise<void> {
    const master = await masterOf(ctx, engine, current);
    const asMaster = describeLogin(master.username, master);
    const session = await login(ctx, engine, options, master, master.username, master.password);
    if (session === undefined) {
      throw rotationError(
        ctx,
        `The master secret's credential does not log in as ${asMaster}: check the secret named by "masterarn".`,
      );
    }
    try {
      await steps.setAsMaster(ctx, session, current, pending, asMaster);
    } finally {
      await engine.close(session);
    }
  }

  return {
    createSecret: (ctx) => createPending(ctx, engine, options, (username) => steps.alternate(ctx, username)),

    async setSecret(ctx) {
      const current = await credentialOf(ctx, engine, CURRENT);
      const pending = await credentialOf(ctx, engine, PENDING);
      steps.checkPendingUser(ctx, current, pending);
      checkSameServer(ctx, current, pending, 'pending');
      if (!(await canLogin(ctx, engine, options, current, current.username, current.password))) {
        throw rotationError(
          ctx,
          `The AWSCURRENT credential of secret ${ctx.secretId} does not log in as ${describeLogin(current.username, current)}: fix it before rotating.`,
        );
      }
      if (await canLogin(ctx, engine, options, pending, pending.username, pending.password)) {
        ctx.logger.info?.(
          { secretId: ctx.secretId, step: ctx.step, username: pending.username },
          'setSecret: the pending credential already logs in',
        );
        return;
      }
      await setAsMaster(ctx, current, pending);
    },

    testSecret: (ctx) => testPending(ctx, engine, options, steps.checkPendingSession),
  };
}
