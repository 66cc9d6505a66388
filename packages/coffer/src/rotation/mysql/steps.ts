import type mysql from 'mysql2/promise';
import { CURRENT, PENDING, type RotationContext } from '../context.js';
import { storePendingCredential } from '../pending.js';
import {
  type Credential,
  close,
  credentialOf,
  DEFAULT_TEST_QUERY,
  describeLogin,
  login,
  type MysqlRotatorOptions,
  rotationError,
  statementFailed,
} from './connection.js';

/** createSecret: the current JSON with a new password from GetRandomPassword, unless the pending version has one. */
export async function createPending(
  ctx: RotationContext,
  options: MysqlRotatorOptions,
  alternate?: (username: string) => string,
): Promise<void> {
  const current = await credentialOf(ctx, CURRENT);
  await storePendingCredential(ctx, current, {
    password: options.password,
    username: alternate?.(current.username),
  });
}

/** testSecret: the pending credential logs in, to the secret's database if it names one, and runs the test query. */
export async function testPending(
  ctx: RotationContext,
  options: MysqlRotatorOptions,
  check?: (connection: mysql.Connection, pending: Credential) => Promise<void>,
): Promise<void> {
  const pending = await credentialOf(ctx, PENDING);
  const who = describeLogin(pending.username, pending);
  const connection = await login(ctx, options, pending, pending.username, pending.password, true);
  if (connection === undefined) {
    throw rotationError(ctx, `The pending password of ${who} does not log in: setSecret has not set it.`);
  }
  try {
    try {
      await connection.query(options.testQuery ?? DEFAULT_TEST_QUERY);
    } catch (error) {
      throw statementFailed(ctx, 'run the test query', who, error);
    }
    await check?.(connection, pending);
  } finally {
    await close(connection);
  }
}
