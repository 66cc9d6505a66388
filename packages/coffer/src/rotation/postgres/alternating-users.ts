import type pg from 'pg';
import { alternateUsername, CLONE_SUFFIX } from '../alternate-username.js';
import type { RotationContext } from '../context.js';
import { alternatingUsersRotator } from '../database/alternating-users.js';
import { describeLogin } from '../database/credentials.js';
import { run } from '../database/sessions.js';
import { rotationError } from '../errors.js';
import type { Rotator } from '../handler.js';
import {
  MAX_IDENTIFIER_BYTES,
  type PostgresCredential,
  type PostgresRotatorOptions,
  postgresEngine,
  verifierFor,
} from './engine.js';

export interface AlternatingUsersOptions extends PostgresRotatorOptions {
  /**
   * A shared role that owns the objects both users create. The master creates it if missing (NOLOGIN), makes
   * both users members, moves what either user owns in the secret's database to it (`REASSIGN OWNED`), and
   * sets `ALTER ROLE <user> SET role = '<owner>'`, so every session of either user runs as the owner role.
   *
   * Without it, as with AWS's template, the clone is a member of the original user, so it can use the
   * original user's objects, but tables the clone creates belong to the clone, and the original user cannot
   * use them once rotation switches back. With it, both users are interchangeable.
   *
   * Sessions run with the owner role's privileges: grant privileges (schema USAGE/CREATE, other owners'
   * tables) to the owner role, not to the users. Objects the users own in other databases are not moved.
   */
  ownerRole?: string;
}

async function roleExists(client: pg.Client, name: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1', [name]);
  return result.rowCount !== null && result.rowCount > 0;
}

/**
 * A rotator that alternates between two PostgreSQL users, `<user>` and `<user>_clone`, as AWS's multi-user
 * template does: each rotation sets a new password on the user that is not current, so the current
 * credential keeps working throughout, and the previous one until the next rotation. A master user (the
 * secret's `masterarn`: the ARN of a secret holding a user that can create roles, read with GetSecretValue)
 * creates the clone on the first rotation, `CREATE ROLE ... WITH LOGIN` and `GRANT <user> TO <clone>`, and
 * sets its passwords, sent to PostgreSQL only as SCRAM-SHA-256 verifiers.
 *
 * The master logs in to the rotated secret's host, port and database (an RDS-managed master secret holds just
 * a username and password).
 *
 * @example
 * ```ts
 * import { createRotationHandler } from 'coffer/rotation';
 * import { alternatingUsers } from 'coffer/rotation/postgres';
 *
 * export const handler = createRotationHandler({ rotator: alternatingUsers({ ownerRole: 'app_owner' }) });
 * ```
 */
export function alternatingUsers(options: AlternatingUsersOptions = {}): Rotator {
  const { ownerRole } = options;
  if (ownerRole !== undefined && (typeof ownerRole !== 'string' || ownerRole === '')) {
    throw new TypeError('alternatingUsers: ownerRole must be a non-empty role name.');
  }
  if (ownerRole !== undefined && Buffer.byteLength(ownerRole) > MAX_IDENTIFIER_BYTES) {
    throw new TypeError(`alternatingUsers: ownerRole is longer than ${MAX_IDENTIFIER_BYTES} bytes.`);
  }
  const ownerRoleError = (ctx: RotationContext) =>
    rotationError(ctx, `ownerRole ${JSON.stringify(ownerRole)} must not be one of the rotated users.`);

  return alternatingUsersRotator(postgresEngine, options, {
    alternate(ctx, username) {
      const next = alternateUsername(username);
      if (Buffer.byteLength(next) > MAX_IDENTIFIER_BYTES) {
        throw rotationError(
          ctx,
          `Cannot clone user ${JSON.stringify(username)}: with "${CLONE_SUFFIX}" the name would exceed PostgreSQL's ${MAX_IDENTIFIER_BYTES} bytes.`,
        );
      }
      if (next === ownerRole || username === ownerRole) throw ownerRoleError(ctx);
      return next;
    },

    checkPendingUser(ctx, current, pending) {
      if (pending.username === current.username) {
        throw rotationError(
          ctx,
          `The pending version of secret ${ctx.secretId} names the current user ${JSON.stringify(current.username)}: alternatingUsers expects ${JSON.stringify(alternateUsername(current.username))}.`,
        );
      }
      if (ownerRole !== undefined && (ownerRole === current.username || ownerRole === pending.username)) {
        throw ownerRoleError(ctx);
      }
    },

    /** In one transaction: the pending user and its password, and the owner role's setup. */
    async setAsMaster(ctx, client, current, pending, asMaster) {
      await setUpUsers(
        ctx,
        client,
        current,
        pending,
        asMaster,
        verifierFor(ctx, options, pending),
        ownerRole,
      );
    },

    async checkPendingSession(ctx, client, pending) {
      if (ownerRole === undefined) return;
      const result = await client.query<{ role: string }>('SELECT current_user AS role');
      if (result.rows[0]?.role !== ownerRole) {
        throw rotationError(
          ctx,
          `Sessions of ${describeLogin(pending.username, pending)} do not run as role ${JSON.stringify(ownerRole)}.`,
        );
      }
    },
  });
}

/**
 * As master, in one transaction: creates the pending user (a member of the current one, as AWS's template
 * does) or changes its password, and with `ownerRole`, makes both users act as that role.
 */
async function setUpUsers(
  ctx: RotationContext,
  client: pg.Client,
  current: PostgresCredential,
  pending: PostgresCredential,
  asMaster: string,
  verifier: string,
  ownerRole: string | undefined,
): Promise<void> {
  const id = (name: string): string => client.escapeIdentifier(name);
  const password = client.escapeLiteral(verifier);
  const sql = (text: string, what: string): Promise<void> =>
    run(ctx, postgresEngine, client, text, what, asMaster);
  try {
    await sql('BEGIN', 'start a transaction');
    const created = !(await roleExists(client, pending.username));
    if (created) {
      await sql(
        `CREATE ROLE ${id(pending.username)} WITH LOGIN PASSWORD ${password}`,
        `create user ${JSON.stringify(pending.username)}`,
      );
      await sql(
        `GRANT ${id(current.username)} TO ${id(pending.username)}`,
        `grant ${JSON.stringify(current.username)} to ${JSON.stringify(pending.username)}`,
      );
    } else {
      await sql(
        `ALTER ROLE ${id(pending.username)} WITH PASSWORD ${password}`,
        `change the password of user ${JSON.stringify(pending.username)}`,
      );
    }
    if (ownerRole !== undefined) {
      const owner = id(ownerRole);
      if (!(await roleExists(client, ownerRole))) {
        await sql(`CREATE ROLE ${owner} NOLOGIN`, `create role ${JSON.stringify(ownerRole)}`);
      }
      for (const user of [current.username, pending.username]) {
        await sql(
          `GRANT ${owner} TO ${id(user)}`,
          `grant ${JSON.stringify(ownerRole)} to ${JSON.stringify(user)}`,
        );
      }
      await sql(
        `REASSIGN OWNED BY ${id(current.username)}, ${id(pending.username)} TO ${owner}`,
        `move the users' objects to ${JSON.stringify(ownerRole)}`,
      );
      for (const user of [current.username, pending.username]) {
        await sql(
          `ALTER ROLE ${id(user)} SET role = ${client.escapeLiteral(ownerRole)}`,
          `make ${JSON.stringify(user)} act as ${JSON.stringify(ownerRole)}`,
        );
      }
    }
    await sql('COMMIT', 'commit');
    ctx.logger.info?.(
      { secretId: ctx.secretId, step: ctx.step, username: pending.username, created },
      created ? 'setSecret: created the pending user' : "setSecret: set the pending user's password",
    );
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
