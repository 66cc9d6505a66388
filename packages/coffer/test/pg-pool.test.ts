import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
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
  startTestServer,
  uniqueName,
} from '@coffer/testing';
import { startTestPostgres, type TestPostgres } from '@coffer/testing/postgres';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, SecretCache } from '../src/index.js';
import {
  createRotatingPool,
  DatabaseAuthenticationError,
  type RotatingPool,
  type RotatingPoolSwitchReason,
} from '../src/pg/index.js';
import { createRotationHandler, RotationContext, type Rotator } from '../src/rotation/index.js';
import { alternatingUsers, scramSha256Verifier, singleUser } from '../src/rotation/postgres/index.js';

let db: TestPostgres;
let admin: pg.Client;
let server: LocalSecretsManager;
let sm: SecretsManagerClient;
let masterArn: string;
const poolLogger = captureLogger();
const rotationLogger = captureLogger();
const caches: SecretCache[] = [];
const pools: RotatingPool[] = [];

beforeAll(async () => {
  [db, server] = await Promise.all([startTestPostgres(), startTestServer()]);
  sm = clientFor(server);
  admin = await db.admin();
  // The alternating-users rotator's master: the superuser, in AWS's layout.
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
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

const newUser = (): string => `app_${randomUUID().slice(0, 8)}`;

/** A login role whose password reaches PostgreSQL only as a SCRAM verifier, so the log never holds it. */
async function createRole(user: string, password: string): Promise<void> {
  await admin.query(
    `CREATE ROLE ${admin.escapeIdentifier(user)} LOGIN PASSWORD ${admin.escapeLiteral(scramSha256Verifier(password))}`,
  );
}

const secretJson = (username: string, password: string, extra: Record<string, unknown> = {}): string =>
  db.secretJson(username, password, extra);

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
  await createRole(user, password);
  const name = uniqueName('db');
  const { arn } = await createSecret(sm, {
    Name: name,
    SecretString: secretJson(
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
  const entry = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes('AWSCURRENT'),
  );
  return entry?.[0] ?? '';
}

/**
 * One rotation through createRotationHandler, step by step. Secrets Manager's RotateSecret stages an empty
 * AWSPENDING version before it calls createSecret; the local server has no RotateSecret, so createSecret runs
 * directly and stages the version itself; the handler (with its guard) runs the other three steps.
 */
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
      // The generated password is a secret value too: the leak checks look for it.
      const pending = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: token }));
      canaries.push((JSON.parse(pending.SecretString ?? '{}') as { password: string }).password);
    },
    setSecret: () => run('setSecret'),
    testSecret: () => run('testSecret'),
    finishSecret: () => run('finishSecret'),
  };
}

async function rotate(rotator: Rotator, secretId: string, windowMs = 0): Promise<string> {
  const rotation = startRotation(rotator, secretId);
  await rotation.createSecret();
  await rotation.setSecret();
  // Single-user: between setSecret and finishSecret only the pending password logs in.
  if (windowMs > 0) await sleep(windowMs);
  await rotation.testSecret();
  await rotation.finishSecret();
  return rotation.token;
}

const currentUser = async (queryable: { query: RotatingPool['query'] }): Promise<string> => {
  const { rows } = await queryable.query<{ user: string }>('select current_user as "user"');
  return rows[0]?.user ?? '';
};

describe('createRotatingPool', () => {
  it('queries, checks out and releases clients, and ends', async () => {
    const secret = await databaseSecret();
    const cache = newCache();
    const pool = track(createRotatingPool({ secretId: secret.name, cache, max: 3 }));
    const events: string[] = [];
    for (const event of ['connect', 'acquire', 'release', 'remove'] as const)
      pool.on(event, () => events.push(event));
    expect(pool.versionId).toBeUndefined();

    const { rows } = await pool.query<{ user: string; n: number }>(
      'select current_user as "user", $1::int as n',
      [42],
    );
    expect(rows).toEqual([{ user: secret.user, n: 42 }]);
    expect(pool.user).toBe(secret.user);
    expect(pool.versionId).toBe(await currentVersion(secret.name));
    expect(events).toEqual(['connect', 'acquire', 'release']);
    expect([pool.totalCount, pool.idleCount, pool.waitingCount]).toEqual([1, 1, 0]);

    const result = await pool.query({ text: 'select $1::text as t', values: ['config'] });
    expect(result.rows[0]?.t).toBe('config');
    const viaCallback = await new Promise<unknown>((resolve, reject) =>
      pool.query('select $1::text as t', ['callback'], (error, res) =>
        error ? reject(error) : resolve(res.rows),
      ),
    );
    expect(viaCallback).toEqual([{ t: 'callback' }]);

    const client = await pool.connect();
    const other = await pool.connect();
    expect([pool.totalCount, pool.idleCount]).toEqual([2, 0]);
    await client.query('begin');
    await client.query('create temp table t (n int)');
    await client.query('insert into t values (1), (2)');
    expect((await client.query('select count(*)::int as c from t')).rows[0]?.c).toBe(2);
    await client.query('commit');
    client.release();
    other.release();
    expect([pool.totalCount, pool.idleCount]).toEqual([2, 2]);

    await new Promise<void>((resolve, reject) =>
      pool.connect((error, c, done) => {
        if (error || c === undefined) return reject(error);
        c.query('select 1').then(() => {
          done();
          resolve();
        }, reject);
      }),
    );

    // pg's own errors pass through untouched.
    await expect(pool.query('selec 1')).rejects.toMatchObject({ code: '42601' });

    await pool.end();
    expect(pool.ended).toBe(true);
    expect(pool.totalCount).toBe(0);
    await eventually(() => events.includes('remove'), 'pg reported the removed clients');
    await expect(pool.query('select 1')).rejects.toThrow(ClosedError);
    await expect(pool.connect()).rejects.toThrow(ClosedError);
    // end() again, or through Symbol.asyncDispose, is harmless.
    await pool[Symbol.asyncDispose]();
  });

  it('rejects options that the secret provides', () => {
    const cache = newCache();
    for (const key of ['password', 'user', 'connectionString']) {
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
    // A secret whose host and port are wrong: the pool options override them.
    await createSecret(sm, {
      Name: name,
      SecretString: JSON.stringify({
        engine: 'postgres',
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
    await createRole(user, password);
    await sm.send(
      new PutSecretValueCommand({ SecretId: secret.name, SecretString: secretJson(user, password) }),
    );
    await cache.refresh(secret.name);

    expect(pool.user).toBe(user);
    expect(await currentUser(pool)).toBe(user);
    expect(switches).toEqual(['initial', 'rotated']);
    await eventually(() => pool.drainingCount === 0, 'the old pool drained');
    expect(pool.totalCount).toBe(1);
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

    const token = await rotate(singleUser(), secret.name);
    // The idle connection still works (a password change ends no session); a second one needs a new login.
    const first = await pool.connect();
    const second = await pool.connect();
    expect(await currentUser(second)).toBe(secret.user);
    expect(await currentUser(first)).toBe(secret.user);
    first.release();
    second.release();
    expect(pool.versionId).toBe(token);
    // The forced refresh moved the cache's AWSCURRENT, so its rotated event may switch the pool first.
    expect(switches).toHaveLength(2);
    expect(['refreshed', 'rotated']).toContain(switches[1]);
    expect(cache.stats().apiCalls.GetSecretValue).toBe(2);
    await pool.end();
  });

  it('bridges the single-user window with AWSPENDING: the database has the new password, AWSCURRENT the old', async () => {
    const secret = await databaseSecret();
    const cache = newCache({ ttl: 1000 });
    const pool = track(createRotatingPool({ secretId: secret.name, cache, logger: poolLogger }));
    const switches: RotatingPoolSwitchReason[] = [];
    pool.on('rotated', (event) => switches.push(event.reason));
    await pool.query('select 1');
    const before = pool.versionId;

    const rotation = startRotation(singleUser(), secret.name);
    await rotation.createSecret();
    await rotation.setSecret();
    // In the window: new connections fail with AWSCURRENT's password.
    expect(await currentVersion(secret.name)).toBe(before);
    const held = await pool.connect();
    // Eight new connections at once: each is refused AWSCURRENT's password, and together they switch once.
    const fresh = await Promise.all(Array.from({ length: 8 }, () => pool.connect()));
    for (const client of fresh) expect(await currentUser(client)).toBe(secret.user);
    expect(pool.versionId).toBe(rotation.token);
    expect(switches).toEqual(['initial', 'pending']);
    // Queries through the pool keep working, including on new connections.
    const burst = await Promise.all(Array.from({ length: 5 }, () => currentUser(pool)));
    expect(burst).toEqual(Array(5).fill(secret.user));
    // The connection made with the old password is not interrupted.
    expect(await currentUser(held)).toBe(secret.user);
    held.release();
    for (const client of fresh) client.release();

    await rotation.testSecret();
    await rotation.finishSecret();
    // AWSCURRENT moves to the version the pool already uses: no further switch.
    await cache.refresh(secret.name);
    expect(pool.versionId).toBe(rotation.token);
    expect(await currentUser(pool)).toBe(secret.user);
    expect(switches).toEqual(['initial', 'pending']);
    await pool.end();
  });

  for (const strategy of ['singleUser', 'alternatingUsers'] as const) {
    it(`does not interrupt checked-out clients when it replaces the pool (${strategy})`, async () => {
      const secret = await databaseSecret({ master: strategy === 'alternatingUsers' });
      const rotator = strategy === 'singleUser' ? singleUser() : alternatingUsers();
      const cache = newCache();
      const pool = track(createRotatingPool({ secretId: secret.arn, cache, max: 2 }));
      const client = await pool.connect();
      await client.query('begin');
      const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
      await client.query('create temp table work (n int)');

      const token = await rotate(rotator, secret.name);
      await cache.refresh(secret.arn);
      expect(pool.versionId).toBe(token);
      expect(pool.drainingCount).toBe(1);
      const expectedUser = strategy === 'singleUser' ? secret.user : `${secret.user}_clone`;
      // New checkouts go to the new pool...
      expect(await Promise.all([currentUser(pool), currentUser(pool), currentUser(pool)])).toEqual(
        Array(3).fill(expectedUser),
      );
      // ...while the old client carries on in its transaction.
      await client.query('insert into work values (1)');
      expect((await client.query('select pg_backend_pid() as pid')).rows[0]?.pid).toBe(pid);
      expect(await currentUser(client)).toBe(secret.user);
      await client.query('commit');
      expect(pool.drainingCount).toBe(1);
      client.release();
      await eventually(() => pool.drainingCount === 0, 'the old pool ended');
      await eventually(async () => {
        const { rows } = await admin.query('select 1 from pg_stat_activity where pid = $1', [pid]);
        return rows.length === 0;
      }, 'the old connection closed');
      expect(await currentUser(pool)).toBe(expectedUser);
      await pool.end();
    });
  }

  it('throws DatabaseAuthenticationError with pg’s error as cause when no credential works', async () => {
    const secret = await databaseSecret({ password: canary() });
    const pool = track(createRotatingPool({ secretId: secret.name, cache: newCache(), logger: poolLogger }));
    const error = await pool.query('select 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseAuthenticationError);
    expect(error).toMatchObject({
      code: 'DATABASE_AUTHENTICATION_FAILED',
      sqlState: '28P01',
      secretId: secret.name,
    });
    expect((error as Error).cause).toMatchObject({ code: '28P01' });
    expectNoCanary(error, 'the authentication error');
    const viaCallback = await new Promise<Error | undefined>((resolve) => pool.connect((e) => resolve(e)));
    expect(viaCallback).toBeInstanceOf(DatabaseAuthenticationError);
    await pool.end();
  });

  for (const strategy of ['singleUser', 'alternatingUsers'] as const) {
    it(`zero downtime: 20 query loops for 30 s while the secret rotates 10 times (${strategy})`, async () => {
      const secret = await databaseSecret({ master: strategy === 'alternatingUsers' });
      const rotator = strategy === 'singleUser' ? singleUser() : alternatingUsers();
      // A short TTL, so the cache notices most rotations by itself; the 28P01 path covers the rest.
      const cache = newCache({ ttl: 2000 });
      const pool = track(
        createRotatingPool({
          secretId: secret.name,
          cache,
          max: 10,
          // Connections are replaced all the time, so logins happen throughout each rotation.
          maxLifetimeSeconds: 2,
          idleTimeoutMillis: 1000,
          logger: poolLogger,
        }),
      );
      const idleErrors: unknown[] = [];
      pool.on('error', (error) => idleErrors.push(error));
      const reasons: Record<string, number> = {};
      pool.on('rotated', (event) => {
        reasons[event.reason] = (reasons[event.reason] ?? 0) + 1;
      });

      const started = Date.now();
      const deadline = started + 30_000;
      let rotations = 0;
      let rotating = true;
      const rotationsDone = (async () => {
        try {
          for (let i = 0; i < 10; i++) {
            const at = started + 500 + i * 2_800;
            await sleep(Math.max(0, at - Date.now()));
            // Single-user: hold the window between setSecret and finishSecret open for a while.
            await rotate(rotator, secret.name, strategy === 'singleUser' ? 400 : 0);
            rotations++;
          }
        } finally {
          rotating = false;
        }
      })();

      let queries = 0;
      const failures: string[] = [];
      const users = new Set<string>();
      const loop = async () => {
        while (Date.now() < deadline || rotating) {
          try {
            users.add(await currentUser(pool));
            queries++;
          } catch (error) {
            failures.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
            expectNoCanary(error, 'a query error');
          }
        }
      };
      await Promise.all([...Array.from({ length: 20 }, loop), rotationsDone]);
      expectNoCanary(pool, 'the pool');

      console.log(
        `zero downtime (${strategy}): ${queries} queries, ${failures.length} failed, ${rotations} rotations in ${
          Date.now() - started
        } ms; pool switches by reason: ${JSON.stringify(reasons)}`,
      );
      expect(rotations).toBe(10);
      expect(failures).toEqual([]);
      expect(idleErrors).toEqual([]);
      expect(queries).toBeGreaterThan(0);
      if (strategy === 'alternatingUsers')
        expect(users).toEqual(new Set([secret.user, `${secret.user}_clone`]));
      // The pool ends up on the last version, and the earlier pools are gone.
      await cache.refresh(secret.name);
      expect(pool.versionId).toBe(await currentVersion(secret.name));
      await eventually(() => pool.drainingCount === 0, 'every old pool ended');
      await pool.end();
    }, 120_000);
  }

  it('never shows a password in inspect, errors, logs or the database log', async () => {
    const secret = await databaseSecret();
    const pool = track(createRotatingPool({ secretId: secret.name, cache: newCache(), logger: poolLogger }));
    const client = await pool.connect();
    expectNoCanary(pool, 'the pool');
    expect(inspect(pool)).toContain(secret.user);
    expect(inspect(client)).not.toMatch(/canary-/);
    client.release();
    expectNoCanary(JSON.parse(JSON.stringify(pool)), 'the pool as JSON');
    await pool.end();
    expect(canaries.length).toBeGreaterThan(20);
    expectNoCanary(poolLogger.calls, 'the pool logger');
    expectNoCanary(rotationLogger.calls, 'the rotation logger');
    expect(poolLogger.calls.some((call) => call.level === 'info')).toBe(true);
    const logs = db.logs();
    expect(logs).toContain('password authentication failed');
    for (const value of canaries) expect(logs.includes(value), 'PostgreSQL logged a password').toBe(false);
  });

  it('a query the client refuses at once (no text) does not leak the pooled connection', async () => {
    const name = uniqueName('pool/refused');
    await createSecret(sm, {
      Name: name,
      SecretString: db.secretJson(),
    });
    await using cache = new SecretCache({ client: sm });
    const pool = createRotatingPool({ secretId: name, cache, max: 1, connectionTimeoutMillis: 2_000 });
    try {
      await expect(pool.query(undefined as unknown as string)).rejects.toThrow(TypeError);
      await expect(pool.query('select 1 as one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await pool.end();
    }
  }, 30_000);
});
