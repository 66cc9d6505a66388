import { CURRENT, PENDING, PREVIOUS, type RotationContext } from '../context.js';
import type { Rotator } from '../handler.js';
import {
  type Credential,
  canLogin,
  close,
  credentialOf,
  describeLogin,
  login,
  type PostgresRotatorOptions,
  rotationError,
  statementFailed,
} from './connection.js';
import { createPending, testPending, verifierFor } from './steps.js';

export type SingleUserOptions = PostgresRotatorOptions;

/** The pending credential must be the same login as the current one, on the same server. */
function checkSameLogin(ctx: RotationContext, current: Credential, other: Credential, stage: string): void {
  if (other.username !== current.username) {
    throw rotationError(
      ctx,
      `The ${stage} version of secret ${ctx.secretId} names user ${JSON.stringify(other.username)}, the AWSCURRENT one ${JSON.stringify(current.username)}: singleUser rotates one user's password.`,
    );
  }
  if (other.host !== current.host || other.port !== current.port) {
    throw rotationError(
      ctx,
      `The ${stage} version of secret ${ctx.secretId} is for ${other.host}:${other.port}, the AWSCURRENT one for ${current.host}:${current.port}.`,
    );
  }
}

/**
 * A rotator for a PostgreSQL user that changes its own password, as AWS's single-user template does. The
 * secret holds AWS's layout (`engine, host, port, username, password, dbname`, optional `ssl`).
 *
 * - createSecret: the current JSON with a new password (GetRandomPassword), unless the pending version has one.
 * - setSecret: nothing if the pending password already logs in; otherwise logs in with the current password
 *   (or, when that no longer works, the AWSPREVIOUS one) and sets the new one, sent to PostgreSQL only as a
 *   SCRAM-SHA-256 verifier: the plaintext is in no SQL statement and no server log.
 * - testSecret: logs in with the pending password and runs a query.
 *
 * Between setSecret and finishSecret only the pending password works: clients that hold the old one fail
 * until they refetch. Use {@link alternatingUsers} for rotation without that window.
 *
 * @example
 * ```ts
 * import { createRotationHandler } from 'coffer/rotation';
 * import { singleUser } from 'coffer/rotation/postgres';
 *
 * export const handler = createRotationHandler({ rotator: singleUser() });
 * ```
 */
export function singleUser(options: SingleUserOptions = {}): Rotator {
  return {
    createSecret: (ctx) => createPending(ctx, options),

    async setSecret(ctx) {
      const current = await credentialOf(ctx, CURRENT);
      const pending = await credentialOf(ctx, PENDING);
      checkSameLogin(ctx, current, pending, PENDING);
      const who = describeLogin(pending.username, pending);
      if (await canLogin(ctx, options, pending, pending.username, pending.password)) {
        ctx.logger.info?.(
          { secretId: ctx.secretId, step: ctx.step, username: pending.username },
          'setSecret: the pending password already logs in',
        );
        return;
      }
      let client = await login(ctx, options, current, current.username, current.password);
      if (client === undefined) {
        // A crash after an earlier setSecret: the database may still hold the AWSPREVIOUS password.
        const previous = await credentialOf(ctx, PREVIOUS);
        if (previous !== undefined) {
          checkSameLogin(ctx, current, previous, PREVIOUS);
          client = await login(ctx, options, current, previous.username, previous.password);
        }
      }
      if (client === undefined) {
        throw rotationError(
          ctx,
          `Cannot log in as ${who} with the pending, current or previous password of secret ${ctx.secretId}: set the user's password to the AWSCURRENT one, then rotate again.`,
        );
      }
      try {
        const verifier = verifierFor(ctx, options, pending);
        await client
          .query(
            `ALTER ROLE ${client.escapeIdentifier(pending.username)} WITH PASSWORD ${client.escapeLiteral(verifier)}`,
          )
          .catch((error: unknown) => {
            throw statementFailed(ctx, 'change the password', who, error);
          });
      } finally {
        await close(client);
      }
      ctx.logger.info?.(
        { secretId: ctx.secretId, step: ctx.step, username: pending.username },
        'setSecret: set the pending password',
      );
    },

    testSecret: (ctx) => testPending(ctx, options),
  };
}
