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
import { mariadbAvailable, startTestMariadb, type TestMariadb } from '@coffer/testing/mariadb';
import mysql from 'mysql2/promise';
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
  mysqlNativePasswordHash,
  singleUser,
} from '../src/rotation/mysql/index.js';

/**
 * The MySQL rotators against a real MariaDB (Debian's mariadb-server, with the general query log on and TLS) and
 * the local Secrets Manager, through the official SDK and createRotationHandler.
 *
 * As in rotation-postgres.test.ts, the handler runs in-process, step by step (to interrupt and repeat steps), and
 * `begin` stands in for RotateSecret: the rotator's own createSecret stores the pending value with
 * PutSecretValue(AWSPENDING). rotation-mysql-server.test.ts covers RotateSecret on the local server, with the
 * rotation functions in child processes.
 */

let db: TestMariadb;
let server: LocalSecretsManager;
let sm: SecretsManagerClient;
let admin: mysql.Connection;
let masterArn: string;
const logger = captureLogger();
/** Every password the tests create or the rotators generate: none may show in any log or error. */
const passwords = new Set<string>();

interface DbSecret {
  engine: string;
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string;
  masterarn?: string;
  ssl?: unknown;
}

const newPassword = (): string => {
  const password = `canary-${randomUUID()}`;
  passwords.add(password);
  return password;
};

const account = (user: string, host = '%'): string =>
  `\`${user.replaceAll('`', '``')}\`@\`${host.replaceAll('`', '``')}\``;

/** An account made the safe way (its hash), so even the initial passwords never reach MariaDB's log. */
async function createUser(name: string, options: { host?: string; require?: string } = {}): Promise<string> {
  const password = newPassword();
  await admin.query(
    `CREATE USER ${account(name, options.host)} IDENTIFIED BY PASSWORD '${mysqlNativePasswordHash(password)}'${options.require ? ` REQUIRE ${options.require}` : ''}`,
  );
  await admin.query(`GRANT SELECT ON \`${db.database}\`.* TO ${account(name, options.host)}`);
  return password;
}

async function setPassword(name: string, password: string, host = '%'): Promise<void> {
  await admin.query(
    `ALTER USER ${account(name, host)} IDENTIFIED BY PASSWORD '${mysqlNativePasswordHash(password)}'`,
  );
}

async function newSecret(username: string, password: string, extra: Partial<DbSecret> = {}): Promise<string> {
  const value: DbSecret = {
    engine: 'mariadb',
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

async function versionAt(secretId: string, stage: string): Promise<string | undefined> {
  return Object.entries(await stagesOf(secretId)).find(([, labels]) => labels.includes(stage))?.[0];
}

/** Whether a credential logs in, with TLS (trusting the test server) or without. */
const logsIn = (
  { username, password }: { username: string; password: string },
  tls = false,
): Promise<boolean> => db.logsIn({ username, password, ssl: tls });

/** An account's grants as comparable lines: its own name replaced, the password hash dropped. */
async function grantsOf(user: string, host = '%'): Promise<string[]> {
  const [rows] = await admin.query({ sql: `SHOW GRANTS FOR ${account(user, host)}`, rowsAsArray: true });
  return (rows as string[][])
    .map(([line = '']) =>
      line
        .replaceAll(account(user, host), '<account>')
        .replace(/ IDENTIFIED (BY PASSWORD|VIA \w+ USING) '[^']*'/, ''),
    )
    .sort();
}

/** SHOW CREATE USER without the name and the password: its TLS options and limits. */
async function accountOptions(user: string, host = '%'): Promise<string> {
  const [rows] = await admin.query({ sql: `SHOW CREATE USER ${account(user, host)}`, rowsAsArray: true });
  return String((rows as string[][])[0]?.[0])
    .replace(account(user, host), '<account>')
    .replace(/ IDENTIFIED (BY PASSWORD|VIA \w+ USING) '[^']*'/, '');
}

async function hostsOf(user: string): Promise<string[]> {
  const [rows] = await admin.query({
    sql: 'SELECT Host FROM mysql.user WHERE User = ? ORDER BY Host',
    values: [user],
    rowsAsArray: true,
  });
  return (rows as string[][]).map(([host = '']) => host);
}

/** Runs one query as a user, over TLS that trusts the test server; returns the rows. */
async function asUser(credential: { username: string; password: string }, sql: string): Promise<unknown[]> {
  const connection = await mysql.createConnection({
    host: db.host,
    port: db.port,
    user: credential.username,
    password: credential.password,
    ssl: { ca: db.tlsCa ?? '' },
  });
  try {
    const [rows] = await connection.query(sql);
    return rows as unknown[];
  } finally {
    await connection.end();
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

/** No password, and no hash of one, in `text`. */
function expectNoPassword(text: string, label: string): void {
  for (const password of passwords) {
    expect(text.includes(password), `${label} contains a password`).toBe(false);
    expect(text.includes(mysqlNativePasswordHash(password)), `${label} contains a password hash`).toBe(false);
  }
}

/** An error, its cause chain and its rendering hold no password or hash. */
function expectCleanError(error: Error): void {
  let text = `${error.message}\n${error.stack}\n${JSON.stringify(error)}`;
  for (let cause = error.cause; cause instanceof Error; cause = cause.cause) {
    text += `\n${cause.message}\n${cause.stack}\n${JSON.stringify(cause)}`;
  }
  expectNoPassword(text, 'the error');
}

describe.skipIf(!mariadbAvailable('MySQL rotators'))('MySQL rotators on MariaDB', () => {
  beforeAll(async () => {
    [db, server] = await Promise.all([startTestMariadb({ tls: true }), startTestServer()]);
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

  it("computes the same mysql_native_password hash as MariaDB's PASSWORD()", async () => {
    // Not a secret: a value that may appear in the log.
    for (const text of ['not-a-secret', 'p\u00e4ss w\u00f6rd', "it's"]) {
      const [rows] = await admin.query({ sql: 'SELECT PASSWORD(?) AS hash', values: [text] });
      expect((rows as { hash: string }[])[0]?.hash).toBe(mysqlNativePasswordHash(text));
    }
  });

  describe('singleUser', () => {
    const rotator = singleUser();
    const run = (secretId: string, token: string, steps = STEPS, r: Rotator = rotator) =>
      runSteps(createRotationHandler({ rotator: r, client: sm, logger }), secretId, token, steps);

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
        engine: 'mariadb',
        host: db.host,
        port: db.port,
        username: user,
        dbname: db.database,
      });
      expect(current.password).toHaveLength(32);
      expect([...current.password].some((c) => DEFAULT_EXCLUDED_CHARACTERS.includes(c))).toBe(false);
      expect(await logsIn(current)).toBe(true);
      expect(await logsIn({ username: user, password: initial })).toBe(false);

      const second = await rotate(secretId, rotator);
      const next = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect((await stagesOf(secretId))[second]).toContain('AWSCURRENT');
      expect(next.password).not.toBe(current.password);
      expect(await logsIn(next)).toBe(true);
      expect(await logsIn(current)).toBe(false);
    });

    it('takes password options for GetRandomPassword', async () => {
      const user = `single_opts_${randomUUID().slice(0, 6)}`;
      const secretId = await newSecret(user, await createUser(user));
      await rotate(secretId, singleUser({ password: { length: 48, excludePunctuation: true } }));
      const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(current.password).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(await logsIn(current)).toBe(true);
    });

    it('is idempotent: every step run twice, then the whole rotation again', async () => {
      const user = `single_idem_${randomUUID().slice(0, 6)}`;
      const secretId = await newSecret(user, await createUser(user));
      const token = randomUUID();
      await begin(secretId, rotator, token);
      await begin(secretId, rotator, token);
      const pending = await versionValue(secretId, { stage: 'AWSPENDING', id: token });
      for (const step of STEPS) await run(secretId, token, [step, step]);
      const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(current.password).toBe(pending.password);
      expect(await logsIn(current)).toBe(true);
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
      const user = `single_prev_${randomUUID().slice(0, 6)}`;
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

    it("passes TLS settings to mysql2: the secret's ssl field, overridden by options.ssl", async () => {
      const user = `single_tls_${randomUUID().slice(0, 6)}`;
      const initial = await createUser(user, { require: 'SSL' });
      // The account requires TLS: without it, even the right password is refused.
      expect(await logsIn({ username: user, password: initial })).toBe(false);
      expect(await logsIn({ username: user, password: initial }, true)).toBe(true);
      const secretId = await newSecret(user, initial, { ssl: { ca: db.tlsCa } });
      await rotate(secretId, rotator);
      const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(current.ssl).toEqual({ ca: db.tlsCa });
      expect(await logsIn(current, true)).toBe(true);

      // options.ssl wins over the secret: TLS that does not trust the server's certificate fails clearly.
      const token = randomUUID();
      await begin(secretId, rotator, token);
      const error = await errorOf(run(secretId, token, ['setSecret'], singleUser({ ssl: true })));
      expect(error).toBeInstanceOf(RotationError);
      expect(error.message).toContain(`Could not connect to MySQL as user ${JSON.stringify(user)}`);
      expect(error.message).toMatch(/certificate/i);
      await run(secretId, token);
      expect(await logsIn(await versionValue(secretId, { stage: 'AWSCURRENT' }), true)).toBe(true);
    });

    it('fails clearly, naming user, host, port and step but no password, when no known password logs in', async () => {
      const user = `single_lost_${randomUUID().slice(0, 6)}`;
      const secretId = await newSecret(user, await createUser(user));
      await setPassword(user, newPassword());
      const token = randomUUID();
      await begin(secretId, rotator, token);
      const handler = createRotationHandler({ rotator, client: sm, logger });
      const error = await errorOf(
        handler({ SecretId: secretId, ClientRequestToken: token, Step: 'setSecret' }),
      );
      expect(error).toBeInstanceOf(RotationError);
      expect(error).toMatchObject({ step: 'setSecret', secretId });
      expect(error.message).toContain(JSON.stringify(user));
      expect(error.message).toContain(`${db.host}:${db.port}/${db.database}`);
      expectCleanError(error);
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
      expect(await grantsOf(`${user}_clone`)).toEqual(await grantsOf(user));

      const token2 = await rotate(secretId, rotator);
      const back = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(back.username).toBe(user);
      expect((await stagesOf(secretId))[token1]).toEqual(['AWSPREVIOUS']);
      expect((await stagesOf(secretId))[token2]).toContain('AWSCURRENT');
      expect(await logsIn(back)).toBe(true);
      expect(await logsIn(clone)).toBe(true);
      expect(await logsIn({ username: user, password: initial })).toBe(false);

      await rotate(secretId, rotator);
      const again = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(again.username).toBe(`${user}_clone`);
      expect(await logsIn(again)).toBe(true);
      expect(await logsIn(back)).toBe(true);
      expect(await logsIn(clone)).toBe(false);
    });

    it('copies every grant, the host part, REQUIRE options and limits, and keeps them in sync', async () => {
      const user = `grants_${randomUUID().slice(0, 8)}`;
      const host = '127.0.0.1';
      const db2 = `app_${randomUUID().slice(0, 8)}`;
      const role = `role_${randomUUID().slice(0, 8)}`;
      const initial = newPassword();
      await admin.query(`CREATE DATABASE \`${db2}\``);
      await admin.query(`CREATE TABLE \`${db2}\`.t (id INT, v INT, secret_note TEXT)`);
      await admin.query(`CREATE PROCEDURE \`${db2}\`.p() SELECT 1`);
      await admin.query(`CREATE ROLE \`${role}\``);
      await admin.query(`GRANT SELECT ON \`${db2}\`.* TO \`${role}\``);
      await admin.query(
        `CREATE USER ${account(user, host)} IDENTIFIED BY PASSWORD '${mysqlNativePasswordHash(initial)}' REQUIRE SSL WITH MAX_QUERIES_PER_HOUR 5000 MAX_USER_CONNECTIONS 40`,
      );
      // A second account of the same name, for another host part, with its own grants and TLS option.
      await admin.query(
        `CREATE USER ${account(user, '10.9.%')} IDENTIFIED BY PASSWORD '${mysqlNativePasswordHash(initial)}' REQUIRE X509`,
      );
      await admin.query(`GRANT SELECT ON \`${db2}\`.* TO ${account(user, '10.9.%')}`);
      for (const grant of [
        `GRANT SELECT, INSERT, UPDATE ON \`${db.database}\`.* TO ${account(user, host)}`,
        `GRANT SELECT (id, v), UPDATE (v) ON \`${db2}\`.t TO ${account(user, host)} WITH GRANT OPTION`,
        `GRANT EXECUTE ON PROCEDURE \`${db2}\`.p TO ${account(user, host)}`,
        `GRANT PROCESS ON *.* TO ${account(user, host)}`,
        `GRANT \`${role}\` TO ${account(user, host)}`,
        `SET DEFAULT ROLE \`${role}\` FOR ${account(user, host)}`,
      ]) {
        await admin.query(grant);
      }
      const secretId = await newSecret(user, initial, { masterarn: masterArn, ssl: { ca: db.tlsCa } });

      await rotate(secretId, rotator);
      const clone = `${user}_clone`;
      expect(await hostsOf(clone)).toEqual(await hostsOf(user));
      for (const at of [host, '10.9.%']) {
        expect(await grantsOf(clone, at)).toEqual(await grantsOf(user, at));
        expect(await accountOptions(clone, at)).toEqual(await accountOptions(user, at));
      }
      expect(await accountOptions(clone, host)).toContain('REQUIRE SSL');
      expect(await accountOptions(clone, host)).toContain('MAX_USER_CONNECTIONS 40');
      expect(await accountOptions(clone, '10.9.%')).toContain('REQUIRE X509');
      const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
      // The clone needs TLS as the user did, and uses its privileges and role.
      expect(await logsIn(current)).toBe(false);
      expect(await logsIn(current, true)).toBe(true);
      expect(await asUser(current, `SELECT CURRENT_ROLE() AS r, COUNT(*) AS n FROM \`${db2}\`.t`)).toEqual([
        { r: role, n: 0 },
      ]);
      await asUser(current, `UPDATE \`${db2}\`.t SET v = 1`);
      await asUser(current, `CALL \`${db2}\`.p()`);

      // The current user (the clone) gains and loses privileges; the next rotation brings the user in line.
      await admin.query(`GRANT DELETE ON \`${db.database}\`.* TO ${account(clone, host)}`);
      await admin.query(`REVOKE UPDATE (v) ON \`${db2}\`.t FROM ${account(clone, host)}`);
      await admin.query(`REVOKE PROCESS ON *.* FROM ${account(clone, host)}`);
      await admin.query(`ALTER USER ${account(clone, host)} REQUIRE NONE WITH MAX_QUERIES_PER_HOUR 7`);
      expect(await grantsOf(user, host)).not.toEqual(await grantsOf(clone, host));
      await rotate(secretId, rotator);
      expect((await versionValue(secretId, { stage: 'AWSCURRENT' })).username).toBe(user);
      expect(await grantsOf(user, host)).toEqual(await grantsOf(clone, host));
      expect(await accountOptions(user, host)).toEqual(await accountOptions(clone, host));
      expect(await accountOptions(user, host)).toContain('MAX_QUERIES_PER_HOUR 7');
      expect(await accountOptions(user, host)).not.toContain('REQUIRE');
      expect(await grantsOf(user, host)).toContainEqual(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON \`${db.database}\`.* TO <account>`,
      );
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
      const secretId = await newSecret(user, await createUser(user), { masterarn: masterArn });
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
      expect(await grantsOf(`${user}_clone`)).toEqual(await grantsOf(user));
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
          await begin(secretId, rotator, token);
          for (const step of STEPS) {
            await run(secretId, token, [step]);
            await currentLogsIn();
          }
          expect((await stagesOf(secretId))[token]).toContain('AWSCURRENT');
        }
      }
      expect(await grantsOf(`${user}_clone`)).toEqual(await grantsOf(user));
    });

    it('recovers from a crash inside setSecret, after the clone was created but before its grants', async () => {
      const user = `multi_half_${randomUUID().slice(0, 8)}`;
      const secretId = await newSecret(user, await createUser(user), { masterarn: masterArn });
      const token = randomUUID();
      await begin(secretId, rotator, token);
      // What a crash right after CREATE USER leaves: the clone, with no grants and a password nobody knows.
      await admin.query(
        `CREATE USER ${account(`${user}_clone`)} IDENTIFIED BY PASSWORD '${mysqlNativePasswordHash(randomUUID())}'`,
      );
      await run(secretId, token);
      const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(current.username).toBe(`${user}_clone`);
      expect(await logsIn(current)).toBe(true);
      expect(await grantsOf(`${user}_clone`)).toEqual(await grantsOf(user));
    });

    it('an abandoned rotation is superseded by a new one', async () => {
      const user = `multi_abandon_${randomUUID().slice(0, 6)}`;
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
      const user = `multi_broken_${randomUUID().slice(0, 6)}`;
      const secretId = await newSecret(user, await createUser(user), { masterarn: masterArn });
      await setPassword(user, newPassword());
      const token = randomUUID();
      await begin(secretId, rotator, token);
      const handler = createRotationHandler({ rotator, client: sm, logger });
      const error = await errorOf(
        handler({ SecretId: secretId, ClientRequestToken: token, Step: 'setSecret' }),
      );
      expect(error).toBeInstanceOf(RotationError);
      expect(error).toMatchObject({ step: 'setSecret' });
      expect(error.message).toMatch(/AWSCURRENT credential .* does not log in/);
      expect(error.message).toContain(JSON.stringify(user));
      expect(error.message).toContain(`${db.host}:${db.port}`);
      expectCleanError(error);
      expect(await hostsOf(`${user}_clone`)).toEqual([]);
    });

    it('acts only on the other user of the pair, whatever the pending version names', async () => {
      const user = `multi_deputy_${randomUUID().slice(0, 6)}`;
      const secretId = await newSecret(user, await createUser(user), { masterarn: masterArn });
      const token = randomUUID();
      // A tampered pending version that names the master user.
      const ctx = new RotationContext({ secretId, token, step: 'createSecret', client: sm, logger });
      await ctx.writePending({
        ...(await versionValue(secretId, { stage: 'AWSCURRENT' })),
        username: db.adminUser,
        password: newPassword(),
      });
      const error = await errorOf(run(secretId, token, ['setSecret']));
      expect(error).toBeInstanceOf(RotationError);
      expect(error.message).toContain(`alternatingUsers expects ${JSON.stringify(`${user}_clone`)}`);
      expect(await logsIn({ username: db.adminUser, password: db.adminPassword })).toBe(true);
    });

    it('fails clearly without a masterarn, or with a name too long to clone', async () => {
      const user = `multi_nomaster_${randomUUID().slice(0, 6)}`;
      const secretId = await newSecret(user, await createUser(user));
      const token = randomUUID();
      await begin(secretId, rotator, token);
      const handler = createRotationHandler({ rotator, client: sm, logger });
      const error = await errorOf(
        handler({ SecretId: secretId, ClientRequestToken: token, Step: 'setSecret' }),
      );
      expect(error).toBeInstanceOf(RotationError);
      expect(error.message).toContain('masterarn');

      // 27 characters: with _clone, 33, one more than MySQL takes.
      const long = `l${'x'.repeat(26)}`;
      const longId = await newSecret(long, newPassword(), { masterarn: masterArn });
      const tooLong = await errorOf(begin(longId, rotator, randomUUID()));
      expect(tooLong).toBeInstanceOf(RotationError);
      expect(tooLong.message).toContain('32 characters');
      // A server that takes longer names: say so.
      await createUser(long);
      await setPassword(long, (await versionValue(longId, { stage: 'AWSCURRENT' })).password);
      await rotate(longId, alternatingUsers({ maxUsernameLength: 80 }));
      expect((await versionValue(longId, { stage: 'AWSCURRENT' })).username).toBe(`${long}_clone`);
      expect(() => alternatingUsers({ maxUsernameLength: 0 })).toThrow(TypeError);
    });
  });

  describe('identifiers are quoted', () => {
    const weird = `we\`ird'; user ${randomUUID().slice(0, 4)}`;

    it('singleUser rotates a user named with a backtick, a quote, spaces and ;', async () => {
      const initial = await createUser(weird);
      const secretId = await newSecret(weird, initial);
      await rotate(secretId, singleUser());
      const current = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(current.username).toBe(weird);
      expect(await logsIn(current)).toBe(true);
      expect(await logsIn({ username: weird, password: initial })).toBe(false);
    });

    it('alternatingUsers rotates it too, and copies its grants', async () => {
      const user = `${weird} m`;
      const initial = await createUser(user);
      const secretId = await newSecret(user, initial, { masterarn: masterArn });
      await rotate(secretId, alternatingUsers());
      const clone = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(clone.username).toBe(`${user}_clone`);
      expect(await logsIn(clone)).toBe(true);
      expect(await grantsOf(clone.username)).toEqual(await grantsOf(user));
      await rotate(secretId, alternatingUsers());
      const back = await versionValue(secretId, { stage: 'AWSCURRENT' });
      expect(back.username).toBe(user);
      expect(await logsIn(back)).toBe(true);
      expect(await logsIn(clone)).toBe(true);
    });
  });

  describe('no password leaks', () => {
    it('no password is in the handler logs, the Secrets Manager audit log, or MariaDB’s general query log', async () => {
      const { SecretList = [] } = await sm.send(new ListSecretsCommand({}));
      for (const secret of SecretList) {
        const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: secret.ARN ?? '' }));
        for (const version of versions.Versions ?? []) {
          await versionValue(secret.ARN ?? '', { id: version.VersionId ?? '' });
        }
      }
      expect(passwords.size).toBeGreaterThan(10);
      expect(logger.calls.length).toBeGreaterThan(0);
      const text = JSON.stringify(logger.calls);
      expectNoPassword(text, 'the handler log');
      expectNoPassword(JSON.stringify(server.audit.recent()), 'the audit log');
      const general = db.generalLog();
      expect(general).toContain('SET PASSWORD');
      expect(general).toContain('IDENTIFIED VIA mysql_native_password USING');
      expect(general).toContain('SHOW GRANTS');
      for (const password of passwords) {
        expect(general.includes(password), "MariaDB's general query log contains a password").toBe(false);
      }
      expect(db.errorLog().length).toBeGreaterThan(0);
      expectNoPassword(db.errorLog(), "MariaDB's error log");
    });
  });
});
