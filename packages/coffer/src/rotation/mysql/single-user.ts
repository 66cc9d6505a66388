import type mysql from 'mysql2/promise';
import type { RotationContext } from '../context.js';
import { run } from '../database/sessions.js';
import { singleUserRotator } from '../database/single-user.js';
import { rotationError } from '../errors.js';
import type { Rotator } from '../handler.js';
import { type MysqlRotatorOptions, mysqlEngine, prepareSession, rows } from './engine.js';
import { plaintextRefused, pluginIn, setOwnPassword } from './passwords.js';
import { printedAccountNames } from './sql.js';

export type SingleUserOptions = MysqlRotatorOptions;

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
  return singleUserRotator(mysqlEngine, options, async (ctx, connection, pending, who) => {
    const flavour = await prepareSession(ctx, connection, who);
    const plugin = await ownPlugin(ctx, connection, who);
    const statement = setOwnPassword(
      flavour,
      plugin,
      pending.password.reveal(),
      options.allowPlaintextPassword ?? false,
    );
    if (statement === undefined) throw rotationError(ctx, plaintextRefused(plugin, who));
    await run(ctx, mysqlEngine, connection, statement, 'change the password', who);
  });
}
