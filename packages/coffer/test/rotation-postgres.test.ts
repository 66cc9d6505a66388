import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { captureLogger, clientFor, createSecret, startTestServer } from '@coffer/testing';
import { startTestPostgres, type TestPostgres } from '@coffer/testing/postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRotationHandler,
  DEFAULT_EXCLUDED_CHARACTERS,
  RotationContext,
  RotationError,
  type Rotator,
  STEPS,
} from '../src/rotation/index.js';
import {
  type AlternatingUsersOptions,
  alternatingUsers,
  scramSha256Verifier,
  singleUser,
} from '../src/rotation/postgres/index.js';

/**
 * The rotators against a real PostgreSQL (logging every statement) and the local Secrets Manager, through the
 * official SDK and createRotationHandler.
 *
 * Starting a rotation: Secrets Manager's RotateSecret creates the version under the new token, empty and
 * labelled AWSPENDING, then invokes createSecret. These tests drive the handler in-process, step by step (to
 * interrupt and repeat steps), so `begin` stands in for RotateSecret: it runs the rotator's own createSecret
 * with a RotationContext for the token, which stores the pending value with PutSecretValue(AWSPENDING). Every
 * step then runs through the handler, its guard included. rotation-server.test.ts covers the real RotateSecret
 * path on the local server.
 */

let db: TestPostgres;
let server: LocalSecretsManager;
let sm: SecretsManagerClient;
let admin: pg.Client;
let masterArn: string;
const logger = captureLogger();
/** Every password the tests create or the rotators generate: none may show in any log. */
const passwords = new Set<string>();

beforeAll(async () => {
  [db, server] = await Promise.all([startTestPostgres(), startTestServer()]);
  sm = clientFor(server);
  admin = await db.admin();
  passwords.add(db.adminPassword);
  masterArn = (
    await createSecret(sm, {
      Name: `rds/master/${randomUUID().slice(0, 8)}`,
      SecretString: db.secretJson(),
    })
  ).arn;
});

afterAll(async () => {
  await admin?.end();
  sm?.destroy();
  await server?.close();
  await db?.stop();
});

interface DbSecret {
  engine: string;
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string;
  masterarn?: string;
}

const newPassword = (): string => {
  const password = `canary-${randomUUID()}`;
  passwords.add(password);
  return password;
};

/** A login role made the safe way, so even the initial passwords never reach PostgreSQL's log. */
async function createUser(name: string): Promise<string> {
  const password = newPassword();
  await admin.query(
    `CREATE ROLE ${admin.escapeIdentifier(name)} LOGIN PASSWORD ${admin.escapeLiteral(scramSha256Verifier(password))}`,
  );
  return password;
}

async function setPassword(name: string, password: string): Promise<void> {
  await admin.query(
    `ALTER ROLE ${admin.escapeIdentifier(name)} PASSWORD ${admin.escapeLiteral(scramSha256Verifier(password))}`,
  );
}

async function newSecret(username: string, password: string, extra: Partial<DbSecret> = {}): Promise<string> {
  const value: DbSecret = {
    engine: 'postgres',
    host: db.host,
    port: db.port,
    username,
    password,
    dbname: db.database,
    ...extra,
  };
  return (
    await createSecret(sm, {
      Name: `rds/app/${randomUUID().slice(0, 8)}`,
      SecretString: JSON.stringify(value),
    })
  ).arn;
}

/** A secret version's value; every password seen is added to the canaries. */
async function versionValue(secretId: string, version: { stage?: string; id?: string }): Promise<DbSecret> {
  const response = await sm.send(
    new GetSecretValueCommand({
      SecretId: secretId,
      ...(version.stage !== undefined && { VersionStage: version.stage }),
      ...(version.id !== undefined && { VersionId: version.id }),
    }),
  );
  const value = JSON.parse(response.SecretString ?? '{}') as DbSecret;
  passwords.add(value.password);
  return value;
}

async function stagesOf(secretId: string): Promise<Record<string, string[]>> {
  return (await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
}

/** The version holding a stage. */
async function versionAt(secretId: string, stage: string): Promise<string | undefined> {
  return Object.entries(await stagesOf(secretId)).find(([, labels]) => labels.includes(stage))?.[0];
}

/** Whether a credential logs in (and, if so, who the session runs as). */
async function logsIn(credential: { username: string; password: string }): Promise<boolean> {
  return (await sessionRole(credential)) !== undefined;
}

async function sessionRole(credential: { username: string; password: string }): Promise<string | undefined> {
  const client = new pg.Client({
    host: db.host,
    port: db.port,
    database: db.database,
    user: credential.username,
    password: credential.password,
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    if ((error as { code?: string }).code === '28P01') return undefined;
    throw error;
  }
  try {
    return (await client.query<{ role: string }>('SELECT current_user AS role')).rows[0]?.role;
  } finally {
    await client.end();
  }
}

/** As a user: runs SQL in its own session. */
async function asUser(
  credential: { username: string; password: string },
  sql: string,
): Promise<pg.QueryResult> {
  const client = new pg.Client({
    host: db.host,
    port: db.port,
    database: db.database,
    user: credential.username,
    password: credential.password,
  });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Stands in for RotateSecret (see the top of the file): the token's version, labelled AWSPENDING. */
async function begin(secretId: string, rotator: Rotator, token: string): Promise<void> {
  await rotator.createSecret(
    new RotationContext({ secretId, token, step: 'createSecret', client: sm, logger }),
  );
}

type Handler = ReturnType<typeof createRotationHandler>;

async function runSteps(handler: Handler, secretId: string, token: string, steps = STEPS): Promise<void> {
  for (const step of steps) await handler({ SecretId: secretId, ClientRequestToken: token, Step: step });
}

/** A whole rotation; returns its token. */
async function rotate(secretId: string, rotator: Rotator): Promise<string> {
  const token = randomUUID();
  await begin(secretId, rotator, token);
  await runSteps(createRotationHandler({ rotator, client: sm, logger }), secretId, token);
  return token;
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

function expectNoPassword(text: string, label: string): void {
  for (const password of passwords)
    expect(text.includes(password), `${label} contains a password`).toBe(false);
}

describe('singleUser', () => {
  const rotator = singleUser();
  const run = (secretId: string, token: string, steps = STEPS) =>
    runSteps(createRotationHandler({ rotator, client: sm, logger }), secretId, token, steps);

  it('rotates the password: the new one logs in, the old one no longer does, the labels move', async () => {
    const user = `single_${randomUUID().slice(0, 8)}`;
    const initial = await createUser(user);
    const secretId = await newSecret(user, initial);
    const first = await versionAt(secretId, 'AWSCURRENT');

    const token = await rotate(secretId, rotator);

    const stages = await stagesOf(secretId);
    expect(stages[token]).toContain('AWSCURRENT');
    expect(stages[first ?? '']).toEqual(['AWSPREVIOUS']);
    const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(current).toMatchObject({
      engine: 'postgres',
      host: db.host,
      port: db.port,
      username: user,
      dbname: db.database,
    });
    expect(current.password).toHaveLength(32);
    expect([...current.password].some((c) => DEFAULT_EXCLUDED_CHARACTERS.includes(c))).toBe(false);
    expect(await logsIn(current)).toBe(true);
    expect(await logsIn({ username: user, password: initial })).toBe(false);

    // And again, from the rotated value.
    const second = await rotate(secretId, rotator);
    const next = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect((await stagesOf(secretId))[second]).toContain('AWSCURRENT');
    expect(next.password).not.toBe(current.password);
    expect(await logsIn(next)).toBe(true);
    expect(await logsIn(current)).toBe(false);
  });

  it('takes password options for GetRandomPassword', async () => {
    const user = `single_opts_${randomUUID().slice(0, 8)}`;
    const secretId = await newSecret(user, await createUser(user));
    await rotate(secretId, singleUser({ password: { length: 48, excludePunctuation: true } }));
    const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(current.password).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(await logsIn(current)).toBe(true);
  });

  it('is idempotent: every step run twice, then the whole rotation again', async () => {
    const user = `single_idem_${randomUUID().slice(0, 8)}`;
    const initial = await createUser(user);
    const secretId = await newSecret(user, initial);
    const token = randomUUID();
    await begin(secretId, rotator, token);
    await begin(secretId, rotator, token);
    const pending = await versionValue(secretId, { stage: 'AWSPENDING', id: token });
    for (const step of STEPS) await run(secretId, token, [step, step]);
    // createSecret did not generate a second password.
    const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(current.password).toBe(pending.password);
    expect(await logsIn(current)).toBe(true);
    // The finished rotation replayed: every step sees AWSCURRENT and does nothing.
    await run(secretId, token);
    expect(await logsIn(current)).toBe(true);
    expect((await stagesOf(secretId))[token]).toContain('AWSCURRENT');
  });

  it('survives a crash after each step: rerun with the same token, it completes', async () => {
    for (let k = 1; k <= 3; k++) {
      const user = `single_crash${k}_${randomUUID().slice(0, 6)}`;
      const initial = await createUser(user);
      const secretId = await newSecret(user, initial);
      const token = randomUUID();
      await begin(secretId, rotator, token);
      await run(secretId, token, STEPS.slice(0, k));
      // One user has one password: after setSecret only the pending one logs in, until finishSecret.
      const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
      const pending = await versionValue(secretId, { stage: 'AWSPENDING', id: token });
      expect(await logsIn(current)).toBe(k < 2);
      expect(await logsIn(pending)).toBe(k >= 2);

      await begin(secretId, rotator, token);
      await run(secretId, token);
      const after = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(after.password).toBe(pending.password);
      expect(await logsIn(after)).toBe(true);
      expect(await logsIn({ username: user, password: initial })).toBe(false);
    }
  });

  it('falls back to the AWSPREVIOUS password when the AWSCURRENT one no longer logs in', async () => {
    const user = `single_prev_${randomUUID().slice(0, 8)}`;
    const initial = await createUser(user);
    const secretId = await newSecret(user, initial);
    await rotate(secretId, rotator);
    // The database went back to the previous password (e.g. restored), the secret did not.
    await setPassword(user, initial);
    expect(await logsIn(await versionValue(secretId, { stage: 'AWSCURRENT' }))).toBe(false);

    await rotate(secretId, rotator);
    expect(await logsIn(await versionValue(secretId, { stage: 'AWSCURRENT' }))).toBe(true);
    expect(await logsIn({ username: user, password: initial })).toBe(false);
  });

  it("passes TLS settings to pg: the secret's ssl field, overridden by options.ssl", async () => {
    const user = `single_tls_${randomUUID().slice(0, 8)}`;
    const secretId = await newSecret(user, await createUser(user), { ssl: true } as Partial<DbSecret>);
    const token = randomUUID();
    await begin(secretId, rotator, token);
    // The test server has no TLS: a TLS connection fails, clearly, and not as a refused password.
    const error = await errorOf(run(secretId, token, ['setSecret']));
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toContain(`Could not connect to PostgreSQL as user ${JSON.stringify(user)}`);
    expect(error.message).toMatch(/SSL/);
    await runSteps(
      createRotationHandler({ rotator: singleUser({ ssl: false }), client: sm, logger }),
      secretId,
      token,
    );
    expect(await logsIn(await versionValue(secretId, { stage: 'AWSCURRENT' }))).toBe(true);
  });

  it('fails clearly, naming user and host but no password, when no known password logs in', async () => {
    const user = `single_lost_${randomUUID().slice(0, 8)}`;
    const secretId = await newSecret(user, await createUser(user));
    await setPassword(user, newPassword());
    const token = randomUUID();
    await begin(secretId, rotator, token);
    const handler = createRotationHandler({ rotator, client: sm, logger });
    const error = await errorOf(
      handler({ SecretId: secretId, ClientRequestToken: token, Step: 'setSecret' }),
    );
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toContain(JSON.stringify(user));
    expect(error.message).toContain(`${db.host}:${db.port}/${db.database}`);
    expectNoPassword(`${error.message}\n${error.stack}`, 'the error');
    // Nothing moved.
    expect((await stagesOf(secretId))[token]).toEqual(['AWSPENDING']);
  });
});

describe('alternatingUsers', () => {
  const rotator = alternatingUsers();
  const run = (secretId: string, token: string, steps = STEPS, options?: AlternatingUsersOptions) =>
    runSteps(
      createRotationHandler({ rotator: options ? alternatingUsers(options) : rotator, client: sm, logger }),
      secretId,
      token,
      steps,
    );

  it('alternates user and user_clone; the previous credential works until the next rotation', async () => {
    const user = `multi_${randomUUID().slice(0, 8)}`;
    const initial = await createUser(user);
    const secretId = await newSecret(user, initial, { masterarn: masterArn });
    const first = await versionAt(secretId, 'AWSCURRENT');

    const token1 = await rotate(secretId, rotator);
    const stages1 = await stagesOf(secretId);
    expect(stages1[token1]).toContain('AWSCURRENT');
    expect(stages1[first ?? '']).toEqual(['AWSPREVIOUS']);
    const clone = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(clone).toMatchObject({ username: `${user}_clone`, masterarn: masterArn, host: db.host });
    expect(clone.password).toHaveLength(32);
    expect(await logsIn(clone)).toBe(true);
    expect(await logsIn({ username: user, password: initial })).toBe(true);
    // The clone was granted the original user's privileges, as AWS's template does.
    const member = await admin.query(
      `SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
        WHERE r.rolname = $1 AND u.rolname = $2`,
      [user, `${user}_clone`],
    );
    expect(member.rowCount).toBe(1);

    const token2 = await rotate(secretId, rotator);
    const back = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(back.username).toBe(user);
    expect((await stagesOf(secretId))[token1]).toEqual(['AWSPREVIOUS']);
    expect((await stagesOf(secretId))[token2]).toContain('AWSCURRENT');
    expect(await logsIn(back)).toBe(true);
    expect(await logsIn(clone)).toBe(true);
    expect(await logsIn({ username: user, password: initial })).toBe(false);

    const token3 = await rotate(secretId, rotator);
    const again = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(again.username).toBe(`${user}_clone`);
    expect((await stagesOf(secretId))[token3]).toContain('AWSCURRENT');
    expect(await logsIn(again)).toBe(true);
    expect(await logsIn(back)).toBe(true);
    expect(await logsIn(clone)).toBe(false);
  });

  it('takes an RDS-managed master secret (username and password only)', async () => {
    const rdsMaster = (
      await createSecret(sm, {
        Name: `rds/managed-master/${randomUUID().slice(0, 8)}`,
        SecretString: JSON.stringify({ username: db.adminUser, password: db.adminPassword }),
      })
    ).arn;
    const user = `multi_rds_${randomUUID().slice(0, 8)}`;
    const secretId = await newSecret(user, await createUser(user), { masterarn: rdsMaster });
    await rotate(secretId, rotator);
    const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(current.username).toBe(`${user}_clone`);
    expect(await logsIn(current)).toBe(true);
  });

  it('is idempotent: every step run twice', async () => {
    const user = `multi_idem_${randomUUID().slice(0, 8)}`;
    const initial = await createUser(user);
    const secretId = await newSecret(user, initial, { masterarn: masterArn });
    for (let round = 0; round < 2; round++) {
      const token = randomUUID();
      await begin(secretId, rotator, token);
      const pending = await versionValue(secretId, { stage: 'AWSPENDING', id: token });
      for (const step of STEPS) await run(secretId, token, [step, step]);
      const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(current).toEqual(pending);
      expect(await logsIn(current)).toBe(true);
      await run(secretId, token);
    }
    expect((await versionValue(secretId, { stage: 'AWSCURRENT' })).username).toBe(user);
  });

  it('survives a crash after each step, and AWSCURRENT logs in at every moment', async () => {
    const user = `multi_crash_${randomUUID().slice(0, 8)}`;
    const secretId = await newSecret(user, await createUser(user), { masterarn: masterArn });
    const currentLogsIn = async () =>
      expect(await logsIn(await versionValue(secretId, { stage: 'AWSCURRENT' }))).toBe(true);
    // Twice round, so the crashes hit both the create-the-clone and the change-its-password paths.
    for (let round = 0; round < 2; round++) {
      for (let k = 1; k <= 3; k++) {
        const token = randomUUID();
        await currentLogsIn();
        await begin(secretId, rotator, token);
        for (const step of STEPS.slice(0, k)) {
          await run(secretId, token, [step]);
          await currentLogsIn();
        }
        // Crashed: Secrets Manager retries the rotation from the start.
        await begin(secretId, rotator, token);
        for (const step of STEPS) {
          await run(secretId, token, [step]);
          await currentLogsIn();
        }
        expect((await stagesOf(secretId))[token]).toContain('AWSCURRENT');
      }
    }
  });

  it('an abandoned rotation is superseded by a new one', async () => {
    const user = `multi_abandon_${randomUUID().slice(0, 8)}`;
    const secretId = await newSecret(user, await createUser(user), { masterarn: masterArn });
    const abandoned = randomUUID();
    await begin(secretId, rotator, abandoned);
    await run(secretId, abandoned, ['createSecret', 'setSecret']);
    const token = await rotate(secretId, rotator);
    const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect((await stagesOf(secretId))[token]).toContain('AWSCURRENT');
    expect(current.username).toBe(`${user}_clone`);
    expect(await logsIn(current)).toBe(true);
  });

  it('fails clearly when the current credential does not log in, before touching the database', async () => {
    const user = `multi_broken_${randomUUID().slice(0, 8)}`;
    const secretId = await newSecret(user, await createUser(user), { masterarn: masterArn });
    await setPassword(user, newPassword());
    const token = randomUUID();
    await begin(secretId, rotator, token);
    const handler = createRotationHandler({ rotator, client: sm, logger });
    const error = await errorOf(
      handler({ SecretId: secretId, ClientRequestToken: token, Step: 'setSecret' }),
    );
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toMatch(/AWSCURRENT credential .* does not log in/);
    expect(error.message).toContain(JSON.stringify(user));
    expectNoPassword(`${error.message}\n${error.stack}`, 'the error');
    const clone = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [`${user}_clone`]);
    expect(clone.rowCount).toBe(0);
  });

  it('fails clearly without a masterarn, or with a name too long to clone', async () => {
    const user = `multi_nomaster_${randomUUID().slice(0, 8)}`;
    const secretId = await newSecret(user, await createUser(user));
    const token = randomUUID();
    await begin(secretId, rotator, token);
    const handler = createRotationHandler({ rotator, client: sm, logger });
    const error = await errorOf(
      handler({ SecretId: secretId, ClientRequestToken: token, Step: 'setSecret' }),
    );
    expect(error).toBeInstanceOf(RotationError);
    expect(error.message).toContain('masterarn');

    const long = `l${'x'.repeat(57)}`;
    const longId = await newSecret(long, newPassword(), { masterarn: masterArn });
    const tooLong = await errorOf(begin(longId, rotator, randomUUID()));
    expect(tooLong).toBeInstanceOf(RotationError);
    expect(tooLong.message).toContain('63 bytes');
  });

  it('ownerRole: objects either user creates stay usable by both', async () => {
    const user = `owned_${randomUUID().slice(0, 8)}`;
    const owner = `${user}_owner`;
    const schema = `${user}_schema`;
    const initial = await createUser(user);
    await admin.query(`CREATE SCHEMA ${schema} AUTHORIZATION ${user}`);
    const original = { username: user, password: initial };
    await asUser(
      original,
      `CREATE TABLE ${schema}.before_rotation (id int); INSERT INTO ${schema}.before_rotation VALUES (1)`,
    );
    const secretId = await newSecret(user, initial, { masterarn: masterArn });
    const options = { ownerRole: owner };
    const owned = alternatingUsers(options);

    await rotate(secretId, owned);
    const clone = await versionValue(secretId, { stage: 'AWSCURRENT' });
    const role = await admin.query<{ rolcanlogin: boolean }>(
      'SELECT rolcanlogin FROM pg_roles WHERE rolname = $1',
      [owner],
    );
    expect(role.rows).toEqual([{ rolcanlogin: false }]);
    // Both users' sessions run as the owner role, which now owns what the user had.
    expect(await sessionRole(clone)).toBe(owner);
    expect(await sessionRole(original)).toBe(owner);
    const tableOwner = await admin.query<{ tableowner: string }>(
      'SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = $2',
      [schema, 'before_rotation'],
    );
    expect(tableOwner.rows[0]?.tableowner).toBe(owner);
    // The table the user created before rotation is usable by the clone, owner's rights included.
    await asUser(
      clone,
      `INSERT INTO ${schema}.before_rotation VALUES (2); ALTER TABLE ${schema}.before_rotation ADD COLUMN note text`,
    );
    expect((await asUser(clone, `SELECT count(*)::int AS n FROM ${schema}.before_rotation`)).rows).toEqual([
      { n: 2 },
    ]);
    await asUser(clone, `CREATE TABLE ${schema}.by_clone (id int)`);

    // Back to the original user: the clone's table is as much its own.
    await rotate(secretId, owned);
    const back = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(back.username).toBe(user);
    await asUser(
      back,
      `INSERT INTO ${schema}.by_clone VALUES (1); ALTER TABLE ${schema}.by_clone ADD COLUMN note text`,
    );
    await asUser(back, `DROP TABLE ${schema}.by_clone`);
    // Rerunning the setup (a third rotation) changes nothing else.
    await rotate(secretId, owned);
    expect(await sessionRole(await versionValue(secretId, { stage: 'AWSCURRENT' }))).toBe(owner);
  });

  it("without ownerRole (AWS behaviour), the clone uses the original user's tables", async () => {
    const user = `plain_${randomUUID().slice(0, 8)}`;
    const initial = await createUser(user);
    const schema = `${user}_schema`;
    await admin.query(`CREATE SCHEMA ${schema} AUTHORIZATION ${user}`);
    await asUser({ username: user, password: initial }, `CREATE TABLE ${schema}.t (id int)`);
    const secretId = await newSecret(user, initial, { masterarn: masterArn });
    await rotate(secretId, rotator);
    const clone = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(await sessionRole(clone)).toBe(clone.username);
    await asUser(clone, `INSERT INTO ${schema}.t VALUES (1)`);
  });
});

describe('identifiers are quoted', () => {
  const weird = `we"ird; user' ${randomUUID().slice(0, 4)}`;

  it('singleUser rotates a user named with quotes, spaces and ;', async () => {
    const initial = await createUser(weird);
    const secretId = await newSecret(weird, initial);
    await rotate(secretId, singleUser());
    const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(current.username).toBe(weird);
    expect(await logsIn(current)).toBe(true);
    expect(await logsIn({ username: weird, password: initial })).toBe(false);
  });

  it('alternatingUsers rotates it too, with an owner role named as oddly', async () => {
    const user = `${weird} multi`;
    const owner = `own"er'; DROP ROLE x; --`;
    const initial = await createUser(user);
    const secretId = await newSecret(user, initial, { masterarn: masterArn });
    const rotator = alternatingUsers({ ownerRole: owner });
    await rotate(secretId, rotator);
    const clone = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(clone.username).toBe(`${user}_clone`);
    expect(await sessionRole(clone)).toBe(owner);
    await rotate(secretId, rotator);
    const back = await versionValue(secretId, { stage: 'AWSCURRENT' });
    expect(back.username).toBe(user);
    expect(await sessionRole(back)).toBe(owner);
    expect(await logsIn(clone)).toBe(true);
    const roles = await admin.query<{ rolname: string }>(
      'SELECT rolname FROM pg_roles WHERE rolname LIKE $1 OR rolname LIKE $2 ORDER BY rolname',
      ['%ird;%', '%DROP ROLE%'],
    );
    expect(roles.rows.map((row) => row.rolname).sort()).toEqual([weird, user, `${user}_clone`, owner].sort());
  });
});

describe('no password leaks', () => {
  it("no password is in the handler logs, the Secrets Manager audit log, or PostgreSQL's log", async () => {
    // Collect every version of every secret: all generated passwords become canaries too.
    const { SecretList = [] } = await sm.send(new ListSecretsCommand({}));
    for (const secret of SecretList) {
      const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: secret.ARN ?? '' }));
      for (const version of versions.Versions ?? []) {
        await versionValue(secret.ARN ?? '', { id: version.VersionId ?? '' });
      }
    }
    expect(passwords.size).toBeGreaterThan(40);
    expect(logger.calls.length).toBeGreaterThan(0);
    expectNoPassword(JSON.stringify(logger.calls), 'the handler log');
    expectNoPassword(JSON.stringify(server.audit.recent()), 'the audit log');
    const pgLog = db.logs();
    expect(pgLog).toContain('ALTER ROLE');
    expect(pgLog).toContain('SCRAM-SHA-256$4096:');
    expectNoPassword(pgLog, "PostgreSQL's log");
  });
});
