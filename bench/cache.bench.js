// bench-flags: --expose-gc
// Coffer's SecretCache vs @aws-lambda-powertools/parameters' SecretsProvider, both reading from the same
// in-process Coffer local Secrets Manager in the same run. API calls are counted on the server's side
// (its audit log), never by the clients. Four measurements:
//   1. hot cached read, ns/op (plus an awaited Map lookup as the floor, and SecretCache.peek)
//   2. API calls for 1,000 concurrent cold gets of one secret
//   3. API calls per secret per hour at steady state, by a time-scaled simulation
//   4. heap retained by 10,000 cached 1 KB secrets (needs --expose-gc; bench/run.js passes it)
//
//   node --expose-gc bench/cache.bench.js        (after `npm run build`), or `node bench/run.js cache`
//
// Environment: BENCH_HOT_ITERATIONS (awaits per round, default 2,000,000), BENCH_SIM_SECONDS (real seconds
// of the steady-state simulation, default 5). No assertions: it prints numbers.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { getMany, SecretCache } from '../packages/coffer/dist/index.js';
import { startLocalSecretsManager } from '../packages/local/dist/index.js';
import { killChildren, machineLine, median, printTable, startServer } from './lib.js';

// The SDK warns once that future versions will need Node 22; that is not what this bench is about.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HOT_ITERATIONS = Number(process.env.BENCH_HOT_ITERATIONS ?? 2_000_000);
const HOT_WARMUP_ITERATIONS = 200_000;
const HOT_ROUNDS = 5;
const COLD_GETS = 1_000;
/** Coffer's steady state runs 10,000x faster than real time: the default 15 min TTL becomes 90 ms. */
const SCALE = 10_000;
const DEFAULT_TTL_MS = 15 * 60_000; // SecretCache's documented default
const DEFAULT_REFRESH_AHEAD = 0.8;
const DEFAULT_JITTER = 0.1;
/**
 * Powertools' maxAge is whole seconds (ExpirableValue uses Date#setSeconds, which drops fractions), so its
 * default 5 s can only be scaled down to 1 s: 5x.
 */
const POWERTOOLS_SCALE = 5;
const POWERTOOLS_DEFAULT_MAX_AGE_S = 5;
const SIM_SECONDS = Number(process.env.BENCH_SIM_SECONDS ?? 5);
const READ_EVERY_MS = 1;
const HEAP_SECRETS = 10_000;
const HEAP_VALUE_BYTES = 1024;
/** Powertools' cache time for the hot and heap measurements, so nothing expires mid-measurement. */
const POWERTOOLS_LONG = Object.freeze({ maxAge: 3600 });

/** Written to at the end of every timed loop, so the loops' results are observably used. */
let sink = 0;

// --- 1. hot cached reads ----------------------------------------------------------------------------------
// One loop function per subject (no shared helper taking a callback), so each call site stays monomorphic.

async function hotCoffer(cache, id, n) {
  let acc = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const result = await cache.get(id);
    acc += result.versionId.length;
  }
  const elapsed = process.hrtime.bigint() - started;
  sink ^= acc;
  return Number(elapsed) / n;
}

async function hotPowertools(provider, id, n) {
  let acc = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const value = await provider.get(id, POWERTOOLS_LONG);
    acc += value.length;
  }
  const elapsed = process.hrtime.bigint() - started;
  sink ^= acc;
  return Number(elapsed) / n;
}

async function hotAwaitedMap(map, id, n) {
  let acc = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const result = await map.get(id);
    acc += result.versionId.length;
  }
  const elapsed = process.hrtime.bigint() - started;
  sink ^= acc;
  return Number(elapsed) / n;
}

async function hotAsyncMap(getAsync, id, n) {
  let acc = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const result = await getAsync(id);
    acc += result.versionId.length;
  }
  const elapsed = process.hrtime.bigint() - started;
  sink ^= acc;
  return Number(elapsed) / n;
}

function hotPeek(cache, id, n) {
  let acc = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const result = cache.peek(id);
    acc += result.versionId.length;
  }
  const elapsed = process.hrtime.bigint() - started;
  sink ^= acc;
  return Number(elapsed) / n;
}

function hotSyncMap(map, id, n) {
  let acc = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const result = map.get(id);
    acc += result.versionId.length;
  }
  const elapsed = process.hrtime.bigint() - started;
  sink ^= acc;
  return Number(elapsed) / n;
}

/** Date.now() alone: the clock read that SecretCache's get() and peek() make on every call. */
function hotClock(n) {
  let acc = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) acc += Date.now() & 1;
  const elapsed = process.hrtime.bigint() - started;
  sink ^= acc;
  return Number(elapsed) / n;
}

async function measureHot(client) {
  const id = 'bench/hot';
  await client.send(
    new CreateSecretCommand({ Name: id, SecretString: '{"user":"app","password":"correct horse battery"}' }),
  );
  const cache = new SecretCache({ client });
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  const map = new Map([[id, await cache.get(id)]]);
  const getAsync = async (key) => map.get(key);
  await provider.get(id, POWERTOOLS_LONG);

  // Interleaved rounds, so machine noise hits every subject alike; the first round is a warm-up.
  const subjects = {
    coffer: (n) => hotCoffer(cache, id, n),
    powertools: (n) => hotPowertools(provider, id, n),
    awaitedMap: (n) => hotAwaitedMap(map, id, n),
    asyncMap: (n) => hotAsyncMap(getAsync, id, n),
    peek: async (n) => hotPeek(cache, id, n),
    syncMap: async (n) => hotSyncMap(map, id, n),
    clock: async (n) => hotClock(n),
  };
  const rounds = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
  for (const run of Object.values(subjects)) await run(HOT_WARMUP_ITERATIONS);
  for (let round = 0; round < HOT_ROUNDS; round++) {
    for (const [name, run] of Object.entries(subjects)) rounds[name].push(await run(HOT_ITERATIONS));
  }
  const calls = cache.stats().apiCalls;
  await cache.close();
  return { ...Object.fromEntries(Object.entries(rounds).map(([name, ns]) => [name, median(ns)])), calls };
}

// --- 2. concurrent cold gets --------------------------------------------------------------------------------

const secretReads = (counts) =>
  (counts.GetSecretValue ?? 0) + (counts.BatchGetSecretValue ?? 0) + (counts.DescribeSecret ?? 0);

async function measureCold(client, local) {
  const id = 'bench/cold';
  await client.send(new CreateSecretCommand({ Name: id, SecretString: 'cold-start-password' }));

  const cache = new SecretCache({ client });
  let before = secretReads(local.audit.callCounts());
  let started = performance.now();
  await Promise.all(Array.from({ length: COLD_GETS }, () => cache.get(id)));
  const coffer = { calls: secretReads(local.audit.callCounts()) - before, ms: performance.now() - started };
  await cache.close();

  const provider = new SecretsProvider({ awsSdkV3Client: client });
  before = secretReads(local.audit.callCounts());
  started = performance.now();
  await Promise.all(Array.from({ length: COLD_GETS }, () => provider.get(id, POWERTOOLS_LONG)));
  const powertools = {
    calls: secretReads(local.audit.callCounts()) - before,
    ms: performance.now() - started,
  };
  return { coffer, powertools };
}

// --- 3. steady-state calls per hour (time-scaled) --------------------------------------------------------

/**
 * Reads one secret every READ_EVERY_MS (real) for SIM_SECONDS (real) and records when the server saw each
 * call for it. Coffer runs on default options except ttl / SCALE, so time runs SCALE times fast; Powertools
 * runs with maxAge / POWERTOOLS_SCALE. Rate = calls after the first read / time from the first read to the
 * last call (whole refresh periods, so a window that ends mid-period does not bias the figure), scaled.
 */
async function measureSteadyState(client, local) {
  const scenarios = [
    { key: 'default', versionAware: false, rotate: false },
    { key: 'versionAware', versionAware: true, rotate: false },
    { key: 'defaultRotating', versionAware: false, rotate: true },
    { key: 'versionAwareRotating', versionAware: true, rotate: true },
  ];
  /** Server-side calls by secret ARN: [performance.now(), operation][]. */
  const perArn = new Map();
  const unsubscribe = local.audit.subscribe((entry) => {
    if (entry.secretArn === undefined) return;
    const calls = perArn.get(entry.secretArn) ?? [];
    calls.push([performance.now(), entry.operation]);
    perArn.set(entry.secretArn, calls);
  });

  const readers = [];
  for (const scenario of scenarios) {
    const id = `bench/steady/${scenario.key}`;
    const { ARN } = await client.send(new CreateSecretCommand({ Name: id, SecretString: 'v0' }));
    const cache = new SecretCache({
      client,
      ttl: DEFAULT_TTL_MS / SCALE,
      versionAware: scenario.versionAware,
    });
    readers.push({
      ...scenario,
      id,
      arn: ARN,
      scale: SCALE,
      read: () => cache.get(id),
      close: () => cache.close(),
    });
  }
  const ptId = 'bench/steady/powertools';
  const { ARN: ptArn } = await client.send(new CreateSecretCommand({ Name: ptId, SecretString: 'v0' }));
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  const ptOptions = { maxAge: POWERTOOLS_DEFAULT_MAX_AGE_S / POWERTOOLS_SCALE };
  readers.push({
    key: 'powertools',
    id: ptId,
    arn: ptArn,
    scale: POWERTOOLS_SCALE,
    read: () => provider.get(ptId, ptOptions),
  });

  const deadline = performance.now() + SIM_SECONDS * 1000;
  let reads = 0;
  const loops = readers.map(async (reader) => {
    await reader.read();
    reader.since = performance.now();
    while (performance.now() < deadline) {
      const value = await reader.read();
      if (value !== undefined) reads++;
      await sleep(READ_EVERY_MS);
    }
  });
  // One rotation per scaled hour for the rotating scenarios (PutSecretValue moves AWSCURRENT).
  const scaledHourMs = 3_600_000 / SCALE;
  const rotations = (async () => {
    let rotated = 0;
    while (performance.now() + scaledHourMs < deadline) {
      await sleep(scaledHourMs);
      rotated++;
      for (const reader of readers.filter((r) => r.rotate)) {
        await client.send(new PutSecretValueCommand({ SecretId: reader.id, SecretString: `v${rotated}` }));
      }
    }
    return rotated;
  })();
  await Promise.all(loops);
  const rotated = await rotations;
  unsubscribe();
  for (const reader of readers) await reader.close?.();

  const result = { realSeconds: SIM_SECONDS, reads, rotated };
  for (const reader of readers) {
    const calls = (perArn.get(reader.arn) ?? []).filter(
      ([time, operation]) =>
        time > reader.since && (operation === 'GetSecretValue' || operation === 'DescribeSecret'),
    );
    const last = calls.at(-1)?.[0] ?? reader.since;
    const hours = ((last - reader.since) * reader.scale) / 3_600_000;
    result[reader.key] = {
      get: calls.filter(([, operation]) => operation === 'GetSecretValue').length,
      describe: calls.filter(([, operation]) => operation === 'DescribeSecret').length,
      hours,
      perHour: calls.length === 0 ? 0 : calls.length / hours,
    };
  }
  return result;
}

// --- 4. heap for 10,000 cached 1 KB secrets ---------------------------------------------------------------

async function settledHeap() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
async function pool(count, concurrency, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/**
 * Against a local server in its own process (its read cache would otherwise count in this heap), with a
 * client of its own, warmed up before the first baseline.
 */
async function measureHeap() {
  const server = await startServer('local');
  const client = new SecretsManagerClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
  });
  try {
    return await fillAndWeigh(client);
  } finally {
    client.destroy();
    await server.stop();
  }
}

async function fillAndWeigh(client) {
  const ids = Array.from({ length: HEAP_SECRETS }, (_, i) => `bench/heap/${String(i).padStart(5, '0')}`);
  // 768 random bytes are 1,024 base64 characters: every value distinct, none kept by this process.
  await pool(HEAP_SECRETS, 32, (i) =>
    client.send(
      new CreateSecretCommand({
        Name: ids[i],
        SecretString: randomBytes((HEAP_VALUE_BYTES / 4) * 3).toString('base64'),
      }),
    ),
  );

  // Coffer: warmed with getMany (BatchGetSecretValue, 20 per call), 500 ids per getMany.
  let cache = new SecretCache({ client, maxEntries: HEAP_SECRETS });
  let before = await settledHeap();
  let started = performance.now();
  for (let i = 0; i < ids.length; i += 500) await getMany(cache, ids.slice(i, i + 500));
  const cofferFillMs = performance.now() - started;
  let filled = await settledHeap();
  const { entries, apiCalls } = cache.stats();
  await cache.close();
  cache = undefined;
  const coffer = {
    bytes: filled - before,
    releasedBytes: filled - (await settledHeap()),
    entries,
    fillMs: cofferFillMs,
    calls: apiCalls,
  };

  // Powertools: one GetSecretValue per secret (it has no batch read), 32 in flight.
  let provider = new SecretsProvider({ awsSdkV3Client: client });
  before = await settledHeap();
  started = performance.now();
  await pool(HEAP_SECRETS, 32, (i) => provider.get(ids[i], POWERTOOLS_LONG));
  const powertoolsFillMs = performance.now() - started;
  filled = await settledHeap();
  const powertoolsEntries = provider.store.size;
  provider.clearCache();
  provider = undefined;
  const powertools = {
    bytes: filled - before,
    releasedBytes: filled - (await settledHeap()),
    entries: powertoolsEntries,
    fillMs: powertoolsFillMs,
  };
  return { coffer, powertools };
}

// --- output ---------------------------------------------------------------------------------------------

const ns = (value) => `${value.toFixed(1)} ns`;
const x = (value) => `${value.toFixed(2)}x`;
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const perHour = (value) => value.toFixed(1);

async function main() {
  console.log('cache bench: Coffer SecretCache vs @aws-lambda-powertools/parameters SecretsProvider');
  console.log(machineLine());
  console.log(
    'server: Coffer local Secrets Manager (inMemory) in this process; API calls counted by its audit log',
  );
  console.log('');

  const local = await startLocalSecretsManager({ port: 0, inMemory: true });
  const client = new SecretsManagerClient({
    endpoint: local.endpoint,
    region: local.region,
    credentials: local.credentials,
  });
  try {
    process.stderr.write('  1/4 hot cached reads\n');
    const hot = await measureHot(client);
    process.stderr.write('  2/4 concurrent cold gets\n');
    const cold = await measureCold(client, local);
    process.stderr.write(`  3/4 steady state (${SIM_SECONDS} s)\n`);
    const steady = await measureSteadyState(client, local);
    const hasGc = typeof globalThis.gc === 'function';
    process.stderr.write(hasGc ? '  4/4 heap\n' : '  4/4 heap: skipped, run with node --expose-gc\n');
    const heap = hasGc ? await measureHeap() : undefined;

    const expectedPerHour = 3_600_000 / (DEFAULT_TTL_MS * DEFAULT_REFRESH_AHEAD * (1 - DEFAULT_JITTER / 2));
    const calls = (s) => `${perHour(s.perHour)} (${s.get} Get, ${s.describe} Describe)`;
    const rows = [
      ['hot cached get(), ns/op', ns(hot.coffer), ns(hot.powertools), x(hot.coffer / hot.powertools), ''],
      [
        '  floor: await map.get(id)',
        ns(hot.awaitedMap),
        '',
        '',
        `Coffer get = ${x(hot.coffer / hot.awaitedMap)} floor (target <= 1.50x)`,
      ],
      [
        '  floor: await asyncFn(id)',
        ns(hot.asyncMap),
        '',
        '',
        `async fn returning map.get; Coffer get = ${x(hot.coffer / hot.asyncMap)}`,
      ],
      [
        'peek(), ns/op',
        ns(hot.peek),
        'n/a',
        '',
        `target < 30 ns; sync map.get = ${ns(hot.syncMap)}, Date.now() = ${ns(hot.clock)}`,
      ],
      [
        `API calls, ${COLD_GETS.toLocaleString('en-US')} concurrent cold gets`,
        cold.coffer.calls,
        cold.powertools.calls,
        x(cold.coffer.calls / cold.powertools.calls),
        `target 1; took ${cold.coffer.ms.toFixed(0)} ms vs ${cold.powertools.ms.toFixed(0)} ms`,
      ],
      [
        'API calls/secret/hour, defaults',
        calls(steady.default),
        perHour(steady.powertools.perHour),
        x(steady.default.perHour / steady.powertools.perHour),
        `config says ${perHour(expectedPerHour)} vs ${3600 / POWERTOOLS_DEFAULT_MAX_AGE_S}`,
      ],
      ['  + versionAware', calls(steady.versionAware), 'n/a', '', 'DescribeSecret, then Get only on change'],
      ['  + 1 rotation/hour', calls(steady.defaultRotating), 'n/a', '', ''],
      ['  + versionAware, 1 rotation/hour', calls(steady.versionAwareRotating), 'n/a', '', ''],
    ];
    if (heap) {
      rows.push(
        [
          `heap, ${HEAP_SECRETS.toLocaleString('en-US')} cached 1 KB secrets`,
          mb(heap.coffer.bytes),
          mb(heap.powertools.bytes),
          x(heap.coffer.bytes / heap.powertools.bytes),
          `target < 40 MB; freed on close: ${mb(heap.coffer.releasedBytes)} vs ${mb(heap.powertools.releasedBytes)}`,
        ],
        [
          '  time to fill, ms',
          heap.coffer.fillMs.toFixed(0),
          heap.powertools.fillMs.toFixed(0),
          x(heap.coffer.fillMs / heap.powertools.fillMs),
          `Coffer: ${Object.entries(heap.coffer.calls)
            .map(([op, n]) => `${n} ${op}`)
            .join(', ')}; Powertools: ${heap.powertools.entries} GetSecretValue`,
        ],
      );
    }
    printTable(
      [
        { title: 'metric', width: 36, align: 'left' },
        { title: 'Coffer', width: 28 },
        { title: 'Powertools', width: 10 },
        { title: 'Coffer/PT', width: 9 },
        { title: 'notes', width: 5, align: 'left' },
      ],
      rows,
    );

    console.log('');
    console.log('method:');
    console.log(
      `  hot: ${HOT_ROUNDS} interleaved rounds of ${HOT_ITERATIONS.toLocaleString('en-US')} sequential awaits each (after a warm-up round), median round;`,
    );
    console.log(
      `       Coffer SecretCache on defaults; Powertools get(id, { maxAge: ${POWERTOOLS_LONG.maxAge} }) so both are cached.`,
    );
    console.log(
      '  cold: fresh cache / provider, all gets started at once; GetSecretValue + BatchGetSecretValue + DescribeSecret counted by the server.',
    );
    console.log(
      `  steady state: one secret read every ${READ_EVERY_MS} ms (real) for ${steady.realSeconds} s; server-side GetSecretValue + DescribeSecret after the`,
    );
    console.log(
      '    first read; calls/hour = those calls / (time from the first read to the last call), in scaled hours.',
    );
    console.log(
      `    Coffer: default options except ttl = ${DEFAULT_TTL_MS.toLocaleString('en-US')} ms / ${SCALE.toLocaleString('en-US')} = ${DEFAULT_TTL_MS / SCALE} ms, i.e. time runs ${SCALE.toLocaleString('en-US')}x fast:`,
    );
    console.log(
      `    ${steady.default.hours.toFixed(1)} scaled hours measured. Expected from the config: one refresh per`,
    );
    console.log(
      `    ttl x refreshAhead x (1 - jitter/2) = 900 s x ${DEFAULT_REFRESH_AHEAD} x ${1 - DEFAULT_JITTER / 2} = ${((DEFAULT_TTL_MS / 1000) * DEFAULT_REFRESH_AHEAD * (1 - DEFAULT_JITTER / 2)).toFixed(0)} s -> ${perHour(expectedPerHour)}/hour.`,
    );
    console.log(
      `    Rotating scenarios: PutSecretValue once per scaled hour (${steady.rotated} rotations; PutSecretValue itself not counted).`,
    );
    console.log(
      `    Powertools: default maxAge ${POWERTOOLS_DEFAULT_MAX_AGE_S} s scaled ${POWERTOOLS_SCALE}x to ${POWERTOOLS_DEFAULT_MAX_AGE_S / POWERTOOLS_SCALE} s (its maxAge is whole seconds), ${steady.powertools.hours.toFixed(3)} scaled hours;`,
    );
    console.log(
      `    computed: 3600 / ${POWERTOOLS_DEFAULT_MAX_AGE_S} = ${3600 / POWERTOOLS_DEFAULT_MAX_AGE_S} (one fetch per expiry while read continuously).`,
    );
    if (heap) {
      console.log(
        `  heap: process.memoryUsage().heapUsed after gc(), before vs after caching ${HEAP_SECRETS.toLocaleString('en-US')} secrets of ${HEAP_VALUE_BYTES} chars;`,
      );
      console.log(
        `    Coffer with maxEntries ${HEAP_SECRETS.toLocaleString('en-US')} (default 1,024 would evict), warmed with getMany (${heap.coffer.entries} entries);`,
      );
      console.log(
        `    Powertools with get() x ${HEAP_SECRETS.toLocaleString('en-US')}, 32 in flight (${heap.powertools.entries} entries). "freed" = drop after close()/clearCache() + gc.`,
      );
      console.log(
        '    For this part only, the server runs in a child process (its own read cache would count in this heap).',
      );
    }
    if (sink === 0.5) console.log(''); // never true: keeps the loop results observable
  } finally {
    client.destroy();
    await local.close();
  }
}

main().catch((error) => {
  console.error(error);
  killChildren();
  process.exit(1);
});
