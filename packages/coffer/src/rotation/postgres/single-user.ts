import { run } from '../database/sessions.js';
import { singleUserRotator } from '../database/single-user.js';
import type { Rotator } from '../handler.js';
import { type PostgresRotatorOptions, postgresEngine, verifierFor } from './engine.js';

export type SingleUserOptions = PostgresRotatorOptions;

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
  return singleUserRotator(postgresEngine, options, async (ctx, client, pending, who) => {
    const verifier = client.escapeLiteral(verifierFor(ctx, options, pending));
    await run(
      ctx,
      postgresEngine,
      client,
      `ALTER ROLE ${client.escapeIdentifier(pending.username)} WITH PASSWORD ${verifier}`,
      'change the password',
      who,
    );
  });
}
