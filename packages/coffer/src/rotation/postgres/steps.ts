import type pg from 'pg';
import { CURRENT, PENDING, type RotationContext } from '../context.js';
import { storePendingCredential } from '../pending.js';
import {
  type Credential,
  close,
  credentialOf,
  DEFAULT_TEST_QUERY,
  describeLogin,
  login,
  type PostgresRotatorOptions,
  rotationError,
  statementFailed,
} from './connection.js';
import { scramSha256Verifier } from './scram.js';

/** createSecret: the current JSON with a new password from GetRandomPassword, unless the pending version has one. */
export async function createPending(
  ctx: RotationContext,
  options: PostgresRotatorOptions,
  alternate?: (username: string) => string,
): Promise<void> {
  const current = await credentialOf(ctx, CURRENT);
  await storePendingCredential(ctx, current, {
    password: options.password,
    username: alternate?.(current.username),
  });
}

/** testSecret: the pending credential logs in and runs the test query. */
export async function testPending(
  ctx: RotationContext,
  options: PostgresRotatorOptions,
  check?: (client: pg.Client, pending: Credential) => Promise<void>,
): Promise<void> {
  const pending = await credentialOf(ctx, PENDING);
  const who = describeLogin(pending.username, pending);
  const client = await login(ctx, options, pending, pending.username, pending.password);
  if (client === undefined) {
    throw rotationError(ctx, `The pending password of ${who} does not log in: setSecret has not set it.`);
  }
  try {
    try {
      await client.query(options.testQuery ?? DEFAULT_TEST_QUERY);
    } catch (error) {
      throw statementFailed(ctx, 'run the test query', who, error);
    }
    await check?.(client, pending);
  } finally {
    await close(client);
  }
}

/** The SCRAM-SHA-256 verifier PostgreSQL is given instead of the password. */
export function verifierFor(
  ctx: RotationContext,
  options: PostgresRotatorOptions,
  pending: Credential,
): string {
  try {
    return scramSha256Verifier(pending.password.reveal(), {
      ...(options.scramIterations !== undefined && { iterations: options.scramIterations }),
    });
  } catch (error) {
    throw rotationError(
      ctx,
      `The pending password of ${describeLogin(pending.username, pending)} cannot be sent as a SCRAM-SHA-256 verifier: ${error instanceof Error ? error.message : 'invalid'}`,
    );
  }
}
