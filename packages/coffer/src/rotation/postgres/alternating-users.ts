import type pg from 'pg';
import { alternateUsername, CLONE_SUFFIX } from '../alternate-username.js';
import { CURRENT, PENDING, type RotationContext } from '../context.js';
import type { Rotator } from '../handler.js';
import {
  type Credential,
  canLogin,
  close,
  credentialOf,
  describeLogin,
  login,
  MAX_IDENTIFIER_BYTES,
  masterOf,
  type PostgresRotatorOptions,
  rotationError,
  statementFailed,
} from './connection.js';
import { createPending, testPending, verifierFor } from './steps.js';

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

  const alternate = (ctx: RotationContext, username: string): string => {
    const next = alternateUsername(username);
    if (Buffer.byteLength(next) > MAX_IDENTIFIER_BYTES) {
      throw rotationError(
        ctx,
        `Cannot clone user ${JSON.stringify(username)}: with "${CLONE_SUFFIX}" the name would exceed PostgreSQL's ${MAX_IDENTIFIER_BYTES} bytes.`,
      );
    }
    if (next === ownerRole || username === ownerRole) {
      throw rotationError(
        ctx,
        `ownerRole ${JSON.stringify(ownerRole)} must not be one of the rotated users.`,
      );
    }
    return next;
  };

  /** As master, in one transaction: the pending user and its password, and the owner role's setup. */
  async function setAsMaster(ctx: RotationContext, current: Credential, pending: Credential): Promise<void> {
    const master = await masterOf(ctx, current);
    const asMaster = describeLogin(master.username, master);
    const client = await login(ctx, options, master, master.username, master.password);
    if (client === undefined) {
      throw rotationError(
        ctx,
        `The master secret's credential does not log in as ${asMaster}: check the secret named by "masterarn".`,
      );
    }
    const id = (name: string): string => client.escapeIdentifier(name);
    const verifier = client.escapeLiteral(verifierFor(ctx, options, pending));
    const run = async (sql: string, what: string): Promise<void> => {
      try {
        await client.query(sql);
      } catch (error) {
        throw statementFailed(ctx, what, asMaster, error);
      }
    };
    try {
      await run('BEGIN', 'start a transaction');
      const created = !(await roleExists(client, pending.username));
      if (created) {
        await run(
          `CREATE ROLE ${id(pending.username)} WITH LOGIN PASSWORD ${verifier}`,
          `create user ${JSON.stringify(pending.username)}`,
        );
        await run(
          `GRANT ${id(current.username)} TO ${id(pending.username)}`,
          `grant ${JSON.stringify(current.username)} to ${JSON.stringify(pending.username)}`,
        );
      } else {
        await run(
          `ALTER ROLE ${id(pending.username)} WITH PASSWORD ${verifier}`,
          `change the password of user ${JSON.stringify(pending.username)}`,
        );
      }
      if (ownerRole !== undefined) {
        const owner = id(ownerRole);
        if (!(await roleExists(client, ownerRole))) {
          await run(`CREATE ROLE ${owner} NOLOGIN`, `create role ${JSON.stringify(ownerRole)}`);
        }
        for (const user of [current.username, pending.username]) {
          await run(
            `GRANT ${owner} TO ${id(user)}`,
            `grant ${JSON.stringify(ownerRole)} to ${JSON.stringify(user)}`,
          );
        }
        await run(
          `REASSIGN OWNED BY ${id(current.username)}, ${id(pending.username)} TO ${owner}`,
          `move the users' objects to ${JSON.stringify(ownerRole)}`,
        );
        for (const user of [current.username, pending.username]) {
          await run(
            `ALTER ROLE ${id(user)} SET role = ${client.escapeLiteral(ownerRole)}`,
            `make ${JSON.stringify(user)} act as ${JSON.stringify(ownerRole)}`,
          );
        }
      }
      await run('COMMIT', 'commit');
      ctx.logger.info?.(
        { secretId: ctx.secretId, step: ctx.step, username: pending.username, created },
        created ? 'setSecret: created the pending user' : "setSecret: set the pending user's password",
      );
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      await close(client);
    }
  }

  return {
    createSecret: (ctx) => createPending(ctx, options, (username) => alternate(ctx, username)),

    async setSecret(ctx) {
      const current = await credentialOf(ctx, CURRENT);
      const pending = await credentialOf(ctx, PENDING);
      if (pending.username === current.username) {
        throw rotationError(
          ctx,
          `The pending version of secret ${ctx.secretId} names the current user ${JSON.stringify(current.username)}: alternatingUsers expects ${JSON.stringify(alternateUsername(current.username))}.`,
        );
      }
      if (ownerRole !== undefined && (ownerRole === current.username || ownerRole === pending.username)) {
        throw rotationError(
          ctx,
          `ownerRole ${JSON.stringify(ownerRole)} must not be one of the rotated users.`,
        );
      }
      if (pending.host !== current.host || pending.port !== current.port) {
        throw rotationError(
          ctx,
          `The pending version of secret ${ctx.secretId} is for ${pending.host}:${pending.port}, the AWSCURRENT one for ${current.host}:${current.port}.`,
        );
      }
      if (!(await canLogin(ctx, options, current, current.username, current.password))) {
        throw rotationError(
          ctx,
          `The AWSCURRENT credential of secret ${ctx.secretId} does not log in as ${describeLogin(current.username, current)}: fix it before rotating.`,
        );
      }
      if (await canLogin(ctx, options, pending, pending.username, pending.password)) {
        ctx.logger.info?.(
          { secretId: ctx.secretId, step: ctx.step, username: pending.username },
          'setSecret: the pending credential already logs in',
        );
        return;
      }
      await setAsMaster(ctx, current, pending);
    },

    testSecret: (ctx) =>
      testPending(ctx, options, async (client, pending) => {
        if (ownerRole === undefined) return;
        const result = await client.query<{ role: string }>('SELECT current_user AS role');
        if (result.rows[0]?.role !== ownerRole) {
          throw rotationError(
            ctx,
            `Sessions of ${describeLogin(pending.username, pending)} do not run as role ${JSON.stringify(ownerRole)}.`,
          );
        }
      }),
  };
}
