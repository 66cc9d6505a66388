import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import {
  canaries,
  canary,
  captureLogger,
  clientFor,
  createSecret,
  expectNoCanary,
  lambdaArn,
  startTestServer,
  uniqueName,
} from '@coffer/testing';
import { mariadbAvailable, startTestMariadb, type TestMariadb } from '@coffer/testing/mariadb';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, SecretCache } from '../src/index.js';
import {
  createRotatingPool,
  DatabaseAuthenticationError,
  type RotatingPool,
  type RotatingPoolSwitchReason,
} from '../src/mysql/index.js';
import { createRotationHandler, RotationContext, type Rotator } from '../src/rotation/index.js';
import { mysqlNativePasswordHash, singleUser } from '../src/rotation/mysql/index.js';

/**
 * coffer/mysql's rotating pool against a real MariaDB and the local Secrets Manager. The zero-downtime tests
 * rotate through RotateSecret, the local server running the rotation functions in child processes; the others
 * drive the rotation handler in-process, step by step, to stop inside a rotation.
 */
const dist = (path: string) => pathToFileURL(fileURLToPath(new URL(`../dist/${path}`, import.meta.url))).href;
const FUNCTIONS = {
  singleUser: lambdaArn('pool-single-user'),
  alternatingUsers: lambdaArn('pool-alternating'),
};

let db: TestMariadb;
let admin: mysql.Connection;
let server: LocalSecretsManager;
let sm: SecretsManagerClient;
let masterArn: string;
let dir: string;
const poolLogger = captureLogger();
const rotationLogger = captureLogger();
const rotationOutput: string[] = [];
const caches: SecretCache[] = [];
const pools: RotatingPool[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

const newUser = (): string => `app_${randomUUID().slice(0, 8)}`;

/** An account whose password reaches MariaDB only as its hash, so the general log never holds it. */
async function createAccount(user: string, password: string): Promise<void> {
  await admin.query(
    `CREATE USER \`${user}\`@'%' IDENTIFIED BY PASSWORD '${mysqlNativePasswordHash(password)}'`,
  );
  await admin.query(`GRANT ALL PRIVILEGES ON \`${db.database}\`.* TO \`${user}\`@'%'`);
}

interface DatabaseSecret {
  name: string;
  arn: string;
  user: string;
  password: string;
}

async function databaseSecret(
  options: { master?: boolean; password?: string } = {},
): Promise<DatabaseSecret> {
  const user = newUser();
  const password = canary();
  await createAccount(user, password);
  const name = uniqueName('db');
  const { arn } = await createSecret(sm, {
    Name: name,
    SecretString: db.secretJson(
      user,
      options.password ?? password,
      options.master ? { masterarn: masterArn } : {},
    ),
  });
  return { name, arn, user, password };
}

function newCache(options: { ttl?: number } = {}): SecretCache {
  const cache = new SecretCache({ client: sm, ttl: options.ttl ?? 60 * 60_000 });
  caches.push(cache);
  return cache;
}

function track(pool: RotatingPool): RotatingPool {
  pools.push(pool);
  return pool;
}

async function currentVersion(secretId: string): Promise<string> {
  const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  return (
    Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0] ?? ''
  );
}

/** The generated password of a version is a secret value too: the leak checks look for it. */
async function watchPassword(secretId: string, versionId: string): Promise<void> {
  const pending = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
  canaries.push((JSON.parse(pending.SecretString ?? '{}') as { password: string }).password);
}

/** One rotation through createRotationHandler in this process, step by step (see pg-pool.test.ts). */
function startRotation(rotator: Rotator, secretId: string) {
  const token = randomUUID();
  const handler = createRotationHandler({ rotator, client: sm, logger: rotationLogger });
  const run = (Step: 'setSecret' | 'testSecret' | 'finishSecret') =>
    handler({ SecretId: secretId, ClientRequestToken: token, Step });
  return {
    token,
    createSecret: async () => {
      await rotator.createSecret(
        new RotationContext({ secretId, token, step: 'createSecret', client: sm, logger: rotationLogger }),
      );
      await watchPassword(secretId, token);
    },
    setSecret: () => run('setSecret'),
    testSecret: () => run('testSecret'),
    finishSecret: () => run('finishSecret'),
  };
}

async function rotateInProcess(rotator: Rotator, secretId: string): Promise<string> {
  const rotation = startRotation(rotator, secretId);
  await rotation.createSecret();
  await rotation.setSecret();
  await rotation.testSecret();
  await rotation.finishSecret();
  return rotation.token;
}

/** One rotation as Secrets Manager runs it: RotateSecret, the server's child process runs the four steps. */
async function rotateThroughServer(secretId: string, strategy: keyof typeof FUNCTIONS): Promise<void> {
  const { VersionId } = await sm.send(
    new RotateSecretCommand({ SecretId: secretId, RotationLambdaARN: FUNCTIONS[strategy] }),
  );
  const outcome = await server.waitForRotation(secretId, { timeoutMs: 60_000 });
  if (outcome?.outcome !== 'success') throw new Error(`rotation failed: ${outcome?.error}`);
  await watchPassword(secretId, VersionId ?? '');
}

const currentUser = async (queryable: Pick<RotatingPool, 'query'>): Promise<string> => {
  const [rows] = await queryable.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS who');
  const who = String(rows[0]?.who ?? '');
  return who.slice(0, who.lastIndexOf('@'));
};

describe.skipIf(!mariadbAvailable('coffer/mysql rotating pool'))('createRotatingPool (mysql2)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-mysql-pool-'));
    for (const [strategy, arn] of Object.entries(FUNCTIONS)) {
      // As deployed, except that single-user rotation holds its window (setSecret done, AWSCURRENT not yet
      // moved) open for 400 ms, so new connections meet it.
      const file = join(dir, `${strategy}.mjs`);
      writeFileSync(
        file,
        `import { createRotationHandler } from ${JSON.stringify(dist('rotation/index.js'))};
import { ${strategy} } from ${JSON.stringify(dist('rotation/mysql/index.js'))};
const inner = createRotationHandler({ rotator: ${strategy}() });
export async function handler(event) {
  await inner(event);
  if (event.Step === 'setSecret' && ${strategy === 'singleUser'}) await new Promise((r) => setTimeout(r, 400));
}
`,
      );
      FUNCTIONS[strategy as keyof typeof FUNCTIONS] = arn;
    }
    [db, server] = await Promise.all([
      startTestMariadb(),
      startTestServer({ onRotationOutput: (line) => rotationOutput.push(line) }),
    ]);
    for (const [strategy, arn] of Object.entries(FUNCTIONS))
      server.registerRotationFunction(arn, join(dir, `${strategy}.mjs`));
    sm = clientFor(server);
    admin = await db.admin();
    ({ arn: masterArn } = await createSecret(sm, {
      Name: uniqueName('master'),
      SecretString: db.secretJson(),
    }));
  });

  afterAll(async () => {
    await Promise.allSettled(pools.map((pool) => pool.end()));
    await Promise.allSettled(caches.map((cache) => cache.close()));
    await admin?.end().catch(() => {});
    sm?.destroy();
    await server?.close();
    await db?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('queries, executes, checks out and releases connections, and ends', async () => {
    const secret = await databaseSecret();
    const cache = newCache();
    const pool = track(createRotatingPool({ secretId: secret.name, cache, connectionLimit: 3 }));
    const events: string[] = [];
    for (const event of ['connection', 'acquire', 'release'] as const)
      pool.on(event, () => events.push(event));
    expect(pool.versionId).toBeUndefined();

    const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS who, ? + 1 AS n', [41]);
    expect(rows).toEqual([{ who: `${secret.user}@%`, n: 42 }]);
    expect(pool.user).toBe(secret.user);
    expect(pool.versionId).toBe(await currentVersion(secret.name));
    expect(events).toEqual(['connection', 'acquire', 'release']);

    const [executed] = await pool.execute<mysql.RowDataPacket[]>('SELECT ? AS t', ['prepared']);
    expect(executed).toEqual([{ t: 'prepared' }]);
    const [byOptions] = await pool.query<mysql.RowDataPacket[]>({
      sql: 'SELECT ? AS t',
      values: ['options'],
    });
    expect(byOptions).toEqual([{ t: 'options' }]);
    expect(pool.format('SELECT ?? FROM t WHERE a = ?', ['col', "it's"])).toBe(
      "SELECT `col` FROM t WHERE a = 'it\\'s'",
    );
    expect(pool.escape("o'k")).toBe("'o\\'k'");
    expect(pool.escapeId('db.t')).toBe('`db`.`t`');

    const connection = await pool.getConnection();
    await connection.beginTransaction();
    await connection.query('CREATE TEMPORARY TABLE t (n INT)');
    await connection.query('INSERT INTO t VALUES (1), (2)');
    const [count] = await connection.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS c FROM t');
    expect(count[0]?.c).toBe(2);
    await connection.commit();
    connection.release();

    // mysql2's own errors pass through untouched, and the connection goes back.
    await expect(pool.query('SELEC 1')).rejects.toMatchObject({ code: 'ER_PARSE_ERROR' });
    expect((await pool.query<mysql.RowDataPacket[]>('SELECT 1 AS one'))[0]).toEqual([{ one: 1 }]);

    await pool.end();
    expect(pool.ended).toBe(true);
    await expect(pool.query('SELECT 1')).rejects.toThrow(ClosedError);
    await expect(pool.getConnection()).rejects.toThrow(ClosedError);
    await pool[Symbol.asyncDispose]();
  });

  it('rejects options that the secret provides', () => {
    const cache = newCache();
    for (const key of ['password', 'user', 'uri', 'passwordSha1']) {
      expect(() => createRotatingPool({ secretId: 'x', cache, [key]: 'nope' } as never)).toThrow(
        new RegExp(`${key} comes from the secret`),
      );
    }
    expect(() => createRotatingPool({ secretId: '', cache })).toThrow(TypeError);
    expect(() => createRotatingPool({ secretId: 'x' } as never)).toThrow(/SecretCache/);
  });

  it('takes host, port and database from the pool options over the secret', async () => {
    const secret = await databaseSecret();
    const name = uniqueName('db');
    await createSecret(sm, {
      Name: name,
      SecretString: JSON.stringify({
        engine: 'mariadb',
        host: 'db.invalid',
        port: 1,
        username: secret.user,
        password: secret.password,
      }),
    });
    const pool = track(
      createRotatingPool({
        secretId: name,
        cache: newCache(),
        host: db.host,
        port: db.port,
        database: db.database,
      }),
    );
    expect(await currentUser(pool)).toBe(secret.user);
    const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT DATABASE() AS d');
    expect(rows[0]?.d).toBe(db.database);
    await pool.end();
  });

  it('follows a new AWSCURRENT written by hand, for a different user, when the cache sees it', async () => {
    const secret = await databaseSecret();
    const cache = newCache();
    const pool = track(createRotatingPool({ secretId: secret.arn, cache, logger: poolLogger }));
    const switches: RotatingPoolSwitchReason[] = [];
    pool.on('rotated', (event) => switches.push(event.reason));
    expect(await currentUser(pool)).toBe(secret.user);

    const user = newUser();
    const password = canary();
    await createAccount(user, password);
    await sm.send(
      new PutSecretValueCommand({ SecretId: secret.name, SecretString: db.secretJson(user, password) }),
    );
    await cache.refresh(secret.name);

    expect(pool.user).toBe(user);
    expect(await currentUser(pool)).toBe(user);
    expect(switches).toEqual(['initial', 'rotated']);
    await eventually(() => pool.drainingCount === 0, 'the old pool drained');
    await pool.end();
  });

  it('after a refused password, refreshes AWSCURRENT and retries with the new credential', async () => {
    const secret = await databaseSecret();
    // An hour's TTL: only the authentication failure can make the pool notice the rotation.
    const cache = newCache();
    const pool = track(createRotatingPool({ secretId: secret.name, cache, logger: poolLogger }));
    const switches: RotatingPoolSwitchReason[] = [];
    pool.on('rotated', (event) => switches.push(event.reason));
    expect(await currentUser(pool)).toBe(secret.user);

    const token = await rotateInProcess(singleUser(), secret.name);
    // The idle connection still works (a password change ends no session); a second one needs a new login.
    const first = await pool.getConnection();
    const second = await pool.getConnection();
    expect(await currentUser(second)).toBe(secret.user);
    expect(await currentUser(first)).toBe(secret.user);
    first.release();
    second.release();
    expect(pool.versionId).toBe(token);
    expect(switches).toHaveLength(2);
    expect(['refreshed', 'rotated']).toContain(switches[1]);
    expect(cache.stats().apiCalls.GetSecretValue).toBe(2);
    await pool.end();
  });

  it('bridges the single-user window with AWSPENDING: the database has the new password, AWSCURRENT the old', async () => {
    const secret = await databaseSecret();
    const cache = newCache({ ttl: 1000 });
    const pool = track(
      createRotatingPool({ secretId: secret.name, cache, logger: poolLogger, connectionLimit: 20 }),
    );
    const switches: RotatingPoolSwitchReason[] = [];
    pool.on('rotated', (event) => switches.push(event.reason));
    await pool.query('SELECT 1');
    const before = pool.versionId;

    const rotation = startRotation(singleUser(), secret.name);
    await rotation.createSecret();
    await rotation.setSecret();
    expect(await currentVersion(secret.name)).toBe(before);
    const held = await pool.getConnection();
    // Eight new connections at once: each is refused AWSCURRENT's password, and together they switch once.
    const fresh = await Promise.all(Array.from({ length: 8 }, () => pool.getConnection()));
    for (const connection of fresh) expect(await currentUser(connection)).toBe(secret.user);
    expect(pool.versionId).toBe(rotation.token);
    expect(switches).toEqual(['initial', 'pending']);
    const burst = await Promise.all(Array.from({ length: 5 }, () => currentUser(pool)));
    expect(burst).toEqual(Array(5).fill(secret.user));
    // The connection made with the old password is not interrupted.
    expect(await currentUser(held)).toBe(secret.user);
    held.release();
    for (const connection of fresh) connection.release();

    await rotation.testSecret();
    await rotation.finishSecret();
    await cache.refresh(secret.name);
    expect(pool.versionId).toBe(rotation.token);
    expect(await currentUser(pool)).toBe(secret.user);
    expect(switches).toEqual(['initial', 'pending']);
    await pool.end();
  });

  for (const strategy of ['singleUser', 'alternatingUsers'] as const) {
    it(`does not interrupt checked-out connections when it replaces the pool (${strategy})`, async () => {
      const secret = await databaseSecret({ master: strategy === 'alternatingUsers' });
      const cache = newCache();
      const pool = track(createRotatingPool({ secretId: secret.arn, cache, connectionLimit: 2 }));
      const connection = await pool.getConnection();
      await connection.beginTransaction();
      const [[{ id }]] = (await connection.query('SELECT CONNECTION_ID() AS id')) as unknown as [
        [{ id: number }],
      ];
      await connection.query('CREATE TEMPORARY TABLE work (n INT)');

      await rotateThroughServer(secret.name, strategy);
      await cache.refresh(secret.arn);
      expect(pool.versionId).toBe(await currentVersion(secret.name));
      expect(pool.drainingCount).toBe(1);
      const expectedUser = strategy === 'singleUser' ? secret.user : `${secret.user}_clone`;
      expect(await Promise.all([currentUser(pool), currentUser(pool), currentUser(pool)])).toEqual(
        Array(3).fill(expectedUser),
      );
      // The old connection carries on in its transaction.
      await connection.query('INSERT INTO work VALUES (1)');
      const [[again]] = (await connection.query('SELECT CONNECTION_ID() AS id')) as unknown as [
        [{ id: number }],
      ];
      expect(again.id).toBe(id);
      expect(await currentUser(connection)).toBe(secret.user);
      await connection.commit();
      expect(pool.drainingCount).toBe(1);
      connection.release();
      await eventually(() => pool.drainingCount === 0, 'the old pool ended');
      await eventually(async () => {
        const [rows] = await admin.query('SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
        return (rows as unknown[]).length === 0;
      }, 'the old connection closed');
      expect(await currentUser(pool)).toBe(expectedUser);
      await pool.end();
    }, 60_000);
  }

  it('throws DatabaseAuthenticationError with mysql2’s error as cause when no credential works', async () => {
    const secret = await databaseSecret({ password: canary() });
    const pool = track(createRotatingPool({ secretId: secret.name, cache: newCache(), logger: poolLogger }));
    const error = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseAuthenticationError);
    expect(error).toMatchObject({
      code: 'DATABASE_AUTHENTICATION_FAILED',
      sqlState: '28000',
      errno: 1045,
      secretId: secret.name,
    });
    expect((error as Error).message).toContain(`"${secret.user}"`);
    expect((error as Error).cause).toMatchObject({ errno: 1045 });
    expectNoCanary(error, 'the authentication error');
    await pool.end();
  });

  for (const strategy of ['singleUser', 'alternatingUsers'] as const) {
    it(`zero downtime: 20 query loops while the secret rotates 10 times through RotateSecret (${strategy})`, async () => {
      const secret = await databaseSecret({ master: strategy === 'alternatingUsers' });
      // Rotation on (AWS runs testSecret on the current version when it is turned on without rotating).
      await sm.send(
        new RotateSecretCommand({
          SecretId: secret.name,
          RotationLambdaARN: FUNCTIONS[strategy],
          RotationRules: { AutomaticallyAfterDays: 30 },
          RotateImmediately: false,
        }),
      );
      await server.waitForRotation(secret.name, { timeoutMs: 60_000 });
      // A short TTL, so the cache notices most rotations by itself; the access-denied path covers the rest.
      const cache = newCache({ ttl: 2000 });
      const pool = track(
        createRotatingPool({
          secretId: secret.name,
          cache,
          connectionLimit: 10,
          // Idle connections close after a second, so logins happen throughout each rotation.
          maxIdle: 2,
          idleTimeout: 1000,
          logger: poolLogger,
        }),
      );
      const reasons: Record<string, number> = {};
      pool.on('rotated', (event) => {
        reasons[event.reason] = (reasons[event.reason] ?? 0) + 1;
      });

      const started = Date.now();
      let rotations = 0;
      let rotating = true;
      const rotationsDone = (async () => {
        try {
          for (let i = 0; i < 10; i++) {
            await sleep(Math.max(0, started + 500 + i * 2_000 - Date.now()));
            await rotateThroughServer(secret.name, strategy);
            rotations++;
          }
        } finally {
          rotating = false;
        }
      })();

      let queries = 0;
      const failures: string[] = [];
      const users = new Set<string>();
      const loop = async (n: number) => {
        for (let i = 0; rotating || Date.now() < started + 3_000; i++) {
          try {
            if (n % 4 === 0) {
              // Some loops check out a connection and now and then drop it, so new logins keep happening.
              const connection = await pool.getConnection();
              users.add(await currentUser(connection));
              if (i % 10 === 0) connection.destroy();
              else connection.release();
            } else {
              users.add(await currentUser(pool));
            }
            queries++;
          } catch (error) {
            failures.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
            expectNoCanary(error, 'a query error');
          }
        }
      };
      await Promise.all([...Array.from({ length: 20 }, (_, n) => loop(n)), rotationsDone]);
      expectNoCanary(pool, 'the pool');

      console.log(
        `zero downtime (${strategy}, mysql2): ${queries} queries, ${failures.length} failed, ${rotations} rotations in ${
          Date.now() - started
        } ms; pool switches by reason: ${JSON.stringify(reasons)}`,
      );
      expect(rotations).toBe(10);
      expect(failures).toEqual([]);
      expect(queries).toBeGreaterThan(0);
      if (strategy === 'alternatingUsers')
        expect(users).toEqual(new Set([secret.user, `${secret.user}_clone`]));
      await cache.refresh(secret.name);
      expect(pool.versionId).toBe(await currentVersion(secret.name));
      await eventually(() => pool.drainingCount === 0, 'every old pool ended');
      await pool.end();
    }, 180_000);
  }

  it('never shows a password in inspect, errors, logs or the database’s logs', async () => {
    const secret = await databaseSecret();
    const pool = track(createRotatingPool({ secretId: secret.name, cache: newCache(), logger: poolLogger }));
    const connection = await pool.getConnection();
    expectNoCanary(pool, 'the pool');
    expect(inspect(pool)).toContain(secret.user);
    expectNoCanary(connection, 'a pooled connection');
    expect(inspect(connection, { depth: 8, showHidden: true })).not.toMatch(/canary-/);
    connection.release();
    expectNoCanary(JSON.parse(JSON.stringify(pool)), 'the pool as JSON');
    await pool.end();
    expect(canaries.length).toBeGreaterThan(20);
    expectNoCanary(poolLogger.calls, 'the pool logger');
    expectNoCanary(rotationLogger.calls, 'the rotation logger');
    expectNoCanary(rotationOutput, "the rotation functions' output");
    expect(poolLogger.calls.some((call) => call.level === 'info')).toBe(true);
    const general = db.generalLog();
    expect(general).toContain('Access denied');
    for (const value of canaries) expect(general.includes(value), 'MariaDB logged a password').toBe(false);
    for (const value of canaries)
      expect(db.errorLog().includes(value), 'MariaDB logged a password').toBe(false);
  });
});
