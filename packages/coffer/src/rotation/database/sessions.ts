import type { Secret } from '../../secret/secret.js';
import type { RotationContext } from '../context.js';
import { type RotationError, rotationError } from '../errors.js';
import { describeLogin } from './credentials.js';
import type { DatabaseEngine, DatabaseRotatorOptions, LoginTarget } from './engine.js';

/**
 * Logs in: a session, or undefined when the server refuses the credential. Any other failure (the server is
 * unreachable, TLS refused, the database missing) throws a RotationError naming user, host, port and database:
 * it says nothing about the password. `database` selects the target's database where the engine asks for it
 * (testSecret).
 */
export async function login<Session, Ssl, Options extends DatabaseRotatorOptions>(
  ctx: RotationContext,
  engine: DatabaseEngine<Session, Ssl, Options>,
  options: Options,
  target: LoginTarget<Ssl>,
  username: string,
  password: Secret<string>,
  database = false,
): Promise<Session | undefined> {
  const at = { ...target, dbname: engine.databaseOf(target, database) };
  try {
    return await engine.connect(options, at, username, password);
  } catch (error) {
    if (engine.isAuthFailure(error)) return undefined;
    throw rotationError(
      ctx,
      `Could not connect to ${engine.name} as ${describeLogin(username, at)}: ${engine.reasonOf(error)}`,
      engine.causeOf(error),
    );
  }
}

/** Whether the credential logs in (the session is closed again). */
export async function canLogin<Session, Ssl, Options extends DatabaseRotatorOptions>(
  ctx: RotationContext,
  engine: DatabaseEngine<Session, Ssl, Options>,
  options: Options,
  target: LoginTarget<Ssl>,
  username: string,
  password: Secret<string>,
): Promise<boolean> {
  const session = await login(ctx, engine, options, target, username, password);
  if (session === undefined) return false;
  await engine.close(session);
  return true;
}

/** What describing a driver's errors needs of an engine. */
type Describer = Pick<DatabaseEngine<unknown, unknown, DatabaseRotatorOptions>, 'reasonOf' | 'causeOf'>;

/** The RotationError for a step's statement that the server refused: what was being done, never the statement. */
export const statementFailed = (
  ctx: RotationContext,
  engine: Describer,
  what: string,
  asWhom: string,
  error: unknown,
): RotationError =>
  rotationError(ctx, `Could not ${what} as ${asWhom}: ${engine.reasonOf(error)}`, engine.causeOf(error));

/** Runs one statement; a refusal becomes a RotationError that says what was being done, never the statement. */
export async function run<Session>(
  ctx: RotationContext,
  engine: Describer & Pick<DatabaseEngine<Session, unknown, DatabaseRotatorOptions>, 'query'>,
  session: Session,
  sql: string,
  what: string,
  asWhom: string,
): Promise<void> {
  try {
    await engine.query(session, sql);
  } catch (error) {
    throw statementFailed(ctx, engine, what, asWhom, error);
  }
}
