import { randomBytes } from 'node:crypto';
import type mysql from 'mysql2/promise';
import { alternateUsername, CLONE_SUFFIX } from '../alternate-username.js';
import type { RotationContext } from '../context.js';
import { alternatingUsersRotator } from '../database/alternating-users.js';
import { describeLogin } from '../database/credentials.js';
import { run } from '../database/sessions.js';
import { rotationError } from '../errors.js';
import type { Rotator } from '../handler.js';
import { type Account, accountsNamed } from './accounts.js';
import {
  type MysqlCredential,
  type MysqlRotatorOptions,
  mysqlEngine,
  prepareSession,
  rows,
} from './engine.js';
import { type Grants, grantChanges, parseGrants, UnknownGrantError } from './grants.js';
import { identifiedClause, plaintextRefused } from './passwords.js';
import { accountName, describeAccount, printedAccountNames } from './sql.js';

export interface AlternatingUsersOptions extends MysqlRotatorOptions {
  /**
   * The longest user name the server takes. As AWS's templates do, the first rotation refuses to create a clone
   * whose name (`<user>_clone`) would be longer. @default 32 (MySQL 5.7 and later; MariaDB takes longer names,
   * MySQL 5.6 only 16)
   */
  maxUsernameLength?: number;
}

/** MySQL's limit since 5.7.8 (USERNAME_CHAR_LENGTH), in characters. */
const DEFAULT_MAX_USERNAME_LENGTH = 32;

/** SHOW GRANTS for one account, read into sets; the lines are never shown (MariaDB's hold the password hash). */
async function grantsOf(
  ctx: RotationContext,
  connection: mysql.Connection,
  user: string,
  host: string,
  asMaster: string,
): Promise<Grants> {
  const lines = await rows(
    ctx,
    connection,
    `SHOW GRANTS FOR ${accountName(user, host)}`,
    [],
    `read the grants of ${describeAccount(user, host)}`,
    asMaster,
  );
  try {
    return parseGrants(
      lines.map((row) => String(row[0])),
      printedAccountNames(user, host),
    );
  } catch (error) {
    if (!(error instanceof UnknownGrantError)) throw error;
    throw rotationError(
      ctx,
      `Cannot copy the grants of ${describeAccount(user, host)}: SHOW GRANTS printed ${error.message}, which alternatingUsers does not know how to copy.`,
    );
  }
}

/**
 * Makes the grants of `to` what `from` has: grants first, then revokes, then a second pass for privileges a
 * revoke took away with another (REVOKE ALL PRIVILEGES), and a check. Returns how many statements it ran.
 */
async function copyGrants(
  ctx: RotationContext,
  connection: mysql.Connection,
  from: Account,
  toUser: string,
  asMaster: string,
): Promise<number> {
  const to = accountName(toUser, from.host);
  const described = describeAccount(toUser, from.host);
  const wanted = await grantsOf(ctx, connection, from.user, from.host, asMaster);
  let statements = 0;
  for (let pass = 0; pass < 2; pass++) {
    const changes = grantChanges(wanted, await grantsOf(ctx, connection, toUser, from.host, asMaster), to);
    if (changes.length === 0) return statements;
    for (const change of changes) {
      await run(ctx, mysqlEngine, connection, change.sql, `${change.what} to ${described}`, asMaster);
      statements++;
    }
  }
  const left = grantChanges(wanted, await grantsOf(ctx, connection, toUser, from.host, asMaster), to);
  if (left.length > 0) {
    throw rotationError(
      ctx,
      `The grants of ${describeAccount(from.user, from.host)} could not be copied to ${described}: it still needs to ${left[0]?.what}.`,
    );
  }
  return statements;
}

/**
 * A rotator that alternates between two MySQL or MariaDB users, `<user>` and `<user>_clone`, as AWS's
 * multi-user template does: each rotation sets a new password on the user that is not current, so the current
 * credential keeps working throughout, and the previous one until the next rotation. A master user (the
 * secret's `masterarn`: the ARN of a secret holding a user with CREATE USER, SELECT on mysql.user and the grant
 * option, read with GetSecretValue) does the work.
 *
 * For every account of the user (one per host part, `'app'@'10.0.%'`), the master creates the clone with the same
 * host part, the same authentication plugin, the same `REQUIRE` (TLS) options and resource limits, and exactly the
 * same grants, replayed from SHOW GRANTS: privileges at every level (global, database, table, column, routine,
 * proxy), roles and the default role. Every rotation brings the other user's grants, TLS options and limits back
 * in line with the current user's (grants added first, extra ones revoked after), and sets its password last, as
 * a mysql_native_password hash computed here (never the password itself).
 *
 * The master logs in to the rotated secret's host and port (an RDS-managed master secret holds just a username
 * and password).
 *
 * @example
 * ```ts
 * import { createRotationHandler } from 'coffer/rotation';
 * import { alternatingUsers } from 'coffer/rotation/mysql';
 *
 * export const handler = createRotationHandler({ rotator: alternatingUsers() });
 * ```
 */
export function alternatingUsers(options: AlternatingUsersOptions = {}): Rotator {
  const maxLength = options.maxUsernameLength ?? DEFAULT_MAX_USERNAME_LENGTH;
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new TypeError('alternatingUsers: maxUsernameLength must be a positive whole number.');
  }

  return alternatingUsersRotator(mysqlEngine, options, {
    alternate(ctx, username) {
      const next = alternateUsername(username);
      if ([...next].length > maxLength) {
        throw rotationError(
          ctx,
          `Cannot clone user ${JSON.stringify(username)}: with "${CLONE_SUFFIX}" the name would exceed ${maxLength} characters, the longest user name MySQL takes (set maxUsernameLength if your server takes longer ones).`,
        );
      }
      return next;
    },

    checkPendingUser(ctx, current, pending) {
      // Only ever the other user of the pair: a pending version naming anyone else (root) is not acted on.
      if (pending.username !== alternateUsername(current.username)) {
        throw rotationError(
          ctx,
          `The pending version of secret ${ctx.secretId} names user ${JSON.stringify(pending.username)}: alternatingUsers expects ${JSON.stringify(alternateUsername(current.username))}.`,
        );
      }
    },

    setAsMaster: (ctx, connection, current, pending, asMaster) =>
      copyAccounts(ctx, connection, current, pending, asMaster, options.allowPlaintextPassword ?? false),

    async checkPendingSession(ctx, connection, pending) {
      const [[account]] = (await rows(
        ctx,
        connection,
        'SELECT CURRENT_USER()',
        [],
        'read its account',
        describeLogin(pending.username, pending),
      )) as [[unknown]];
      const text = String(account);
      if (text.slice(0, text.lastIndexOf('@')) !== pending.username) {
        throw rotationError(
          ctx,
          `The pending credential logs in as another account than user ${JSON.stringify(pending.username)} (an anonymous account?).`,
        );
      }
    },
  });
}

/** As master: the pending user's accounts made like the current user's, and their password set last. */
async function copyAccounts(
  ctx: RotationContext,
  connection: mysql.Connection,
  current: MysqlCredential,
  pending: MysqlCredential,
  asMaster: string,
  allowPlaintext: boolean,
): Promise<void> {
  const flavour = await prepareSession(ctx, connection, asMaster);
  const sources = await accountsNamed(ctx, connection, flavour, current.username, asMaster);
  if (sources.length === 0) {
    throw rotationError(
      ctx,
      `User ${JSON.stringify(current.username)} has no account in mysql.user as seen by ${asMaster}.`,
    );
  }
  const existing = new Set(
    (await accountsNamed(ctx, connection, flavour, pending.username, asMaster)).map((a) => a.host),
  );
  for (const source of sources) {
    const to = accountName(pending.username, source.host);
    const described = describeAccount(pending.username, source.host);
    const identified = identifiedClause(flavour, source.plugin, pending.password.reveal(), allowPlaintext);
    if (identified === undefined) {
      throw rotationError(ctx, plaintextRefused(source.plugin, describeAccount(source.user, source.host)));
    }
    const created = !existing.has(source.host);
    if (created) {
      // Created with a password nobody knows: until its grants are copied, the pending password must not log
      // in, or a crash here would leave a clone that setSecret, seeing it log in, never completes.
      const unknown = identifiedClause(flavour, source.plugin, randomBytes(24).toString('base64url'), true);
      await run(
        ctx,
        mysqlEngine,
        connection,
        `CREATE USER ${to} ${unknown} ${source.require} ${source.limits}`,
        `create user ${described}`,
        asMaster,
      );
    }
    const changes = await copyGrants(ctx, connection, source, pending.username, asMaster);
    await run(
      ctx,
      mysqlEngine,
      connection,
      `ALTER USER ${to} ${identified} ${source.require} ${source.limits}`,
      `set the password and TLS options of ${described}`,
      asMaster,
    );
    ctx.logger.info?.(
      {
        secretId: ctx.secretId,
        step: ctx.step,
        username: pending.username,
        host: source.host,
        created,
        grantChanges: changes,
      },
      created
        ? 'setSecret: created the pending user with the current grants'
        : "setSecret: synced the pending user's grants and set its password",
    );
  }
  const hosts = new Set(sources.map((source) => source.host));
  const stray = [...existing].filter((host) => !hosts.has(host));
  if (stray.length > 0) {
    ctx.logger.warn?.(
      { secretId: ctx.secretId, step: ctx.step, username: pending.username, hosts: stray },
      `setSecret: user ${JSON.stringify(pending.username)} also has accounts for host parts ${current.username} lacks; they were left as they are`,
    );
  }
}
