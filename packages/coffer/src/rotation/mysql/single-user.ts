import type mysql from 'mysql2/promise';
import { CURRENT, PENDING, PREVIOUS, type RotationContext } from '../context.js';
import type { Rotator } from '../handler.js';
import {
  type Credential,
  canLogin,
  close,
  credentialOf,
  describeLogin,
  login,
  type MysqlRotatorOptions,
  prepareSession,
  rotationError,
  rows,
  run,
} from './connection.js';
import { plaintextRefused, pluginIn, setOwnPassword } from './passwords.js';
import { printedAccountNames } from './sql.js';
import { createPending, testPending } from './steps.js';

export type SingleUserOptions = MysqlRotatorOptions;

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

/** The authentication plugin of the account this session logged in as (SHOW CREATE USER needs no privilege for it). */
async function ownPlugin(ctx: RotationContext, connection: mysql.Connection, who: string): Promise<string> {
  const [[account]] = (await rows(ctx, connection, 'SELECT CURRENT_USER()', [], 'read its account', who)) as [
    [unknown],
  ];
  const text = String(account);
  const at = text.lastIndexOf('@');
  const names = printedAccountNames(text.slice(0, at), text.slice(at + 1));
  const [first] = names;
  const [[created]] = (await rows(
    ctx,
    connection,
    `SHOW CREATE USER ${first}`,
    [],
    'read its authentication plugin',
    who,
  )) as [[unknown]];
  const statement = String(created);
  for (const name of names) {
    const prefix = `CREATE USER ${name}`;
    if (statement.startsWith(prefix)) return pluginIn(statement.slice(prefix.length));
  }
  return pluginIn('');
}

/**
 * A rotator for a MySQL or MariaDB user that changes its own password, as AWS's single-user template does. The
 * secret holds AWS's layout (`engine, host, port, username, password, dbname`, optional `ssl`).
 *
 * - createSecret: the current JSON with a new password (GetRandomPassword), unless the pending version has one.
 * - setSecret: nothing if the pending password already logs in; otherwise logs in with the current password
 *   (or, when that no longer works, the AWSPREVIOUS one) and sets the new one as its mysql_native_password hash,
 *   computed here (MariaDB: `SET PASSWORD = '<hash>'`): the password is in no SQL statement and no server log.
 *   Accounts of plugins that take only plain text need `allowPlaintextPassword`.
 * - testSecret: logs in with the pending password, to the secret's database, and runs a query.
 *
 * Between setSecret and finishSecret only the pending password works: clients that hold the old one fail
 * until they refetch. Use {@link alternatingUsers} for rotation without that window.
 *
 * @example
 * ```ts
 * import { createRotationHandler } from 'coffer/rotation';
 * import { singleUser } from 'coffer/rotation/mysql';
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
      let connection = await login(ctx, options, current, current.username, current.password);
      if (connection === undefined) {
        // A crash after an earlier setSecret: the database may still hold the AWSPREVIOUS password.
        const previous = await credentialOf(ctx, PREVIOUS);
        if (previous !== undefined) {
          checkSameLogin(ctx, current, previous, PREVIOUS);
          connection = await login(ctx, options, current, previous.username, previous.password);
        }
      }
      if (connection === undefined) {
        throw rotationError(
          ctx,
          `Cannot log in as ${who} with the pending, current or previous password of secret ${ctx.secretId}: set the user's password to the AWSCURRENT one, then rotate again.`,
        );
      }
      try {
        const flavour = await prepareSession(ctx, connection, who);
        const plugin = await ownPlugin(ctx, connection, who);
        const statement = setOwnPassword(
          flavour,
          plugin,
          pending.password.reveal(),
          options.allowPlaintextPassword ?? false,
        );
        if (statement === undefined) throw rotationError(ctx, plaintextRefused(plugin, who));
        await run(ctx, connection, statement, 'change the password', who);
      } finally {
        await close(connection);
      }
      ctx.logger.info?.(
        { secretId: ctx.secretId, step: ctx.step, username: pending.username },
        'setSecret: set the pending password',
      );
    },

    testSecret: (ctx) => testPending(ctx, options),
  };
}
