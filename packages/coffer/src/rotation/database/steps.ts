import { CURRENT, PENDING, type RotationContext } from '../context.js';
import { rotationError } from '../errors.js';
import { credentialOf, describeLogin } from './credentials.js';
import type { Credential, DatabaseEngine, DatabaseRotatorOptions } from './engine.js';
import { login, run } from './sessions.js';

const DEFAULT_TEST_QUERY = 'SELECT 1';

/**
 * createSecret: the current JSON with a new password from GetRandomPassword (and, for alternating users, the
 * other user's name from `alternate`) stored as AWSPENDING, unless the pending version has a value already.
 */
export async function createPending<Session, Ssl, Options extends DatabaseRotatorOptions>(
  ctx: RotationContext,
  engine: DatabaseEngine<Session, Ssl, Options>,
  options: Options,
  alternate?: (username: string) => string,
): Promise<void> {
  const current = await credentialOf(ctx, engine, CURRENT);
  // Checked first: a user the engine cannot clone fails every createSecret, with or without a pending value.
  const username = alternate?.(current.username) ?? current.username;
  if ((await ctx.read(PENDING)) !== undefined) {
    ctx.logger.info?.(
      { secretId: ctx.secretId, step: ctx.step },
      'createSecret: the pending version already has a value',
    );
    return;
  }
  const password = await ctx.randomPassword(options.password ?? {});
  await ctx.writePending({ ...current.fields.reveal(), username, password: password.reveal() });
  ctx.logger.info?.(
    { secretId: ctx.secretId, step: ctx.step, username },
    'createSecret: stored a new password as the pending version',
  );
}

/** A check testSecret runs after the test query, on the pending user's session. */
export type PendingCheck<Session, Ssl> = (
  ctx: RotationContext,
  session: Session,
  pending: Credential<Ssl>,
) => Promise<void>;

/** testSecret: the pending credential logs in, to the secret's database, and runs the test query, then `check`. */
export async function testPending<Session, Ssl, Options extends DatabaseRotatorOptions>(
  ctx: RotationContext,
  engine: DatabaseEngine<Session, Ssl, Options>,
  options: Options,
  check?: PendingCheck<Session, Ssl>,
): Promise<void> {
  const pending = await credentialOf(ctx, engine, PENDING);
  const who = describeLogin(pending.username, pending);
  const session = await login(ctx, engine, options, pending, pending.username, pending.password, true);
  if (session === undefined) {
    throw rotationError(ctx, `The pending password of ${who} does not log in: setSecret has not set it.`);
  }
  try {
    await run(ctx, engine, session, options.testQuery ?? DEFAULT_TEST_QUERY, 'run the test query', who);
    await check?.(ctx, session, pending);
  } finally {
    await engine.close(session);
  }
}
