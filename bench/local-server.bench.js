// GetSecretValue through the Coffer local Secrets Manager (SigV4 verification on) vs a no-op node:http
// server, both driven by the same autocannon load generator in the same run, each server in its own
// child process. Then the AWS SDK's own per-call client overhead: sequential `client.send()` vs a raw
// keep-alive `http.request` replaying the SDK's exact signed request against the same server.
//
//   node bench/local-server.bench.js             (after `npm run build`)
//   node bench/local-server.bench.js --profile   also write a CPU profile of the local server and print its hot spots
//
// Environment: BENCH_DURATION (seconds per load measurement, default 5), BENCH_ROUNDS (repeated 50-connection
// rounds for the spread, default 5), BENCH_ROUND_SECONDS (default 3), BENCH_SDK_CALLS (default 2000).
// No assertions: it prints numbers.
import { mkdtempSync, readdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { printCpuProfileSummary } from './cpuprofile.js';
import { load as loadCell, signGetSecretValue } from './http-load.js';
import { killChildren, loadLine, machineLine, median, percentile, printTable, startServer } from './lib.js';

// The SDK warns once that future versions will need Node 22; that is not what this bench is about.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP_S = 1;
const CONCURRENCY = [1, 10, 50];
const SDK_CALLS = Number(process.env.BENCH_SDK_CALLS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_S = Number(process.env.BENCH_ROUND_SECONDS ?? 3);
/** The targets at 50 connections: throughput at least this share of the no-op's, p99 at most this multiple. */
const TARGET_THROUGHPUT = 0.5;
const TARGET_P99 = 2;
const SDK_WARMUP_CALLS = 300;
const SDK_ROUNDS = 8;
const PROFILE = process.argv.includes('--profile');
const SECRET_ID = 'bench/db';
const SECRET_STRING = '{"user":"app","password":"correct horse battery staple"}';

// --- requests -----------------------------------------------------------------------------------------

function stats(latencies) {
  let sum = 0;
  for (const value of latencies) sum += value;
  return {
    count: latencies.length,
    mean: sum / latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** One load cell of GetSecretValue against `server`, with the server's CPU per request. */
async function load(server, connections, seconds) {
  const request = await signGetSecretValue(server, SECRET_ID);
  return loadCell({ url: server.endpoint, connections, seconds, request, cpuMicros: server.cpuMicros });
}

// --- SDK per-call overhead ------------------------------------------------------------------------------

/** The SDK client, plus the exact signed request it sends (captured at the innermost step). */
function sdkClient(server) {
  const client = new SecretsManagerClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    maxAttempts: 1,
  });
  const captured = { request: undefined };
  client.middlewareStack.add(
    (next) => async (args) => {
      captured.request = args.request;
      return next(args);
    },
    { step: 'deserialize', name: 'benchCaptureRequest' },
  );
  return { client, captured };
}

/** Sends the pre-signed request over one keep-alive socket and reads the whole answer. */
function rawSend(agent, server, request) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port: server.port,
        method: request.method,
        path: request.path,
        headers: request.headers,
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`raw request: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString()}`));
          } else {
            resolve(Buffer.concat(chunks));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

async function timeCalls(count, call, into) {
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await call();
    into?.push(performance.now() - started);
  }
}

async function sdkOverhead(server) {
  const { client, captured } = sdkClient(server);
  const command = () => client.send(new GetSecretValueCommand({ SecretId: SECRET_ID }));
  await command();
  const sdkRequest = captured.request;
  if (!sdkRequest) throw new Error('did not capture the SDK request');
  const raw = {
    method: sdkRequest.method,
    path: sdkRequest.path,
    headers: { ...sdkRequest.headers },
    body: sdkRequest.body,
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = () => rawSend(agent, server, raw);
  try {
    await timeCalls(SDK_WARMUP_CALLS, command);
    await timeCalls(SDK_WARMUP_CALLS, send);
    // Interleave the two in rounds so machine noise hits both alike.
    const sdk = [];
    const rawTimes = [];
    const perRound = Math.ceil(SDK_CALLS / SDK_ROUNDS);
    for (let round = 0; round < SDK_ROUNDS; round++) {
      await timeCalls(perRound, send, rawTimes);
      await timeCalls(perRound, command, sdk);
    }
    return { sdk: stats(sdk), raw: stats(rawTimes) };
  } finally {
    client.destroy();
    agent.destroy();
  }
}

// --- output ---------------------------------------------------------------------------------------------

const ms = (value) => (Number.isFinite(value) ? value.toFixed(3) : '-');
const int = (value) => Math.round(value).toLocaleString('en-US');

function describeMachine() {
  console.log(
    'local-server bench: GetSecretValue through @coffer/local (SigV4 verified) vs a no-op node:http',
  );
  console.log(machineLine());
  console.log(loadLine());
  console.log(
    `load: autocannon ${DURATION_S}s per cell (after ${WARMUP_S}s warm-up), keep-alive, pipelining 1; servers in their own processes`,
  );
  if (os.availableParallelism() <= 2) {
    console.log('note: with 2 cores, load generator and server each get ~one core; numbers are noisy');
  }
  console.log('');
}

const TABLE_COLUMNS = [
  { title: 'scenario', width: 26, align: 'left' },
  { title: 'concurrency', width: 11 },
  { title: 'req/s', width: 9 },
  { title: 'p50 ms', width: 8 },
  { title: 'p99 ms', width: 8 },
  { title: 'ratio vs no-op', width: 14 },
  { title: 'server CPU us/req', width: 17 },
  { title: 'errors', width: 6 },
];

// --- main -----------------------------------------------------------------------------------------------

async function main() {
  describeMachine();
  const profileDir = PROFILE ? mkdtempSync(join(os.tmpdir(), 'coffer-bench-prof-')) : undefined;
  // With --profile, both servers are profiled, so their costs per request can be compared.
  const execArgv = (kind) =>
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${kind}.cpuprofile`] : [];
  const [noop, local] = await Promise.all([
    startServer('noop', execArgv('noop')),
    startServer('local', execArgv('local')),
  ]);
  try {
    const { client } = sdkClient(local);
    await client.send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: SECRET_STRING }));
    client.destroy();

    for (const server of [noop, local]) await load(server, 10, WARMUP_S);

    const rows = [];
    const results = new Map();
    for (const connections of CONCURRENCY) {
      const base = await load(noop, connections, DURATION_S);
      const ours = await load(local, connections, DURATION_S);
      results.set(connections, { base, ours });
      process.stderr.write(`  measured ${connections} connection(s)\n`);
    }
    for (const connections of CONCURRENCY) {
      const { base } = results.get(connections);
      rows.push([
        'no-op node:http',
        connections,
        int(base.rps),
        ms(base.p50),
        ms(base.p99),
        '1.00',
        base.cpuPerRequest.toFixed(1),
        base.errors,
      ]);
    }
    for (const connections of CONCURRENCY) {
      const { base, ours } = results.get(connections);
      rows.push([
        'coffer local (SigV4 on)',
        connections,
        int(ours.rps),
        ms(ours.p50),
        ms(ours.p99),
        (ours.rps / base.rps).toFixed(2),
        ours.cpuPerRequest.toFixed(1),
        ours.errors,
      ]);
    }
    console.log('');
    printTable(TABLE_COLUMNS, rows);

    // The machine is shared: one measurement can land in a quiet or a busy moment. Rounds at 50 connections,
    // no-op and local back to back (in alternating order), give each ratio within one moment, and the spread.
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const pair = {};
      for (const kind of round % 2 === 0 ? ['noop', 'local'] : ['local', 'noop']) {
        pair[kind] = await load(kind === 'noop' ? noop : local, 50, ROUND_S);
      }
      rounds.push({
        throughput: pair.local.rps / pair.noop.rps,
        p99: pair.local.p99 / pair.noop.p99,
        cpu: pair.local.cpuPerRequest / pair.noop.cpuPerRequest,
      });
      process.stderr.write(`  round ${round + 1}/${ROUNDS} at 50 connections\n`);
    }
    const summary = (pick) => {
      const values = rounds.map(pick);
      return `median ${median(values).toFixed(2)}x (spread ${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}x)`;
    };
    const met = (value, ok) => (ok ? `${value}: met` : `${value}: NOT met`);
    console.log('');
    console.log(`${ROUNDS} rounds of ${ROUND_S} s at 50 connections, no-op and coffer local back to back:`);
    console.log(
      `  per round, coffer/no-op throughput: ${rounds.map((r) => r.throughput.toFixed(2)).join(' ')}; p99: ${rounds.map((r) => r.p99.toFixed(2)).join(' ')}`,
    );
    console.log(
      `  target throughput >= ${TARGET_THROUGHPUT.toFixed(2)}x no-op: ${met(
        summary((r) => r.throughput),
        median(rounds.map((r) => r.throughput)) >= TARGET_THROUGHPUT,
      )}`,
    );
    console.log(
      `  target p99 <= ${TARGET_P99.toFixed(2)}x no-op's: ${met(
        summary((r) => r.p99),
        median(rounds.map((r) => r.p99)) <= TARGET_P99,
      )}`,
    );
    console.log(`  server CPU per request, coffer/no-op: ${summary((r) => r.cpu)}`);
    console.log(`  ${loadLine().replace(' at start', ' at the end')}`);

    console.log('');
    console.log(
      `AWS SDK per-call client overhead (sequential, 1 keep-alive connection, ${SDK_CALLS} calls each, same server):`,
    );
    const overhead = await sdkOverhead(local);
    const line = (label, s) =>
      console.log(
        `  ${label.padEnd(42)} mean ${ms(s.mean).padStart(7)} ms   p50 ${ms(s.p50).padStart(7)} ms   p99 ${ms(s.p99).padStart(7)} ms`,
      );
    line('client.send(GetSecretValueCommand)', overhead.sdk);
    line('raw http.request, same signed request', overhead.raw);
    line('=> SDK overhead per call (difference)', {
      mean: overhead.sdk.mean - overhead.raw.mean,
      p50: overhead.sdk.p50 - overhead.raw.p50,
      p99: overhead.sdk.p99 - overhead.raw.p99,
    });
  } finally {
    await Promise.all([noop.stop(), local.stop()]);
  }

  if (profileDir) {
    const files = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort();
    console.log('');
    if (files.length === 0) console.log(`no CPU profile was written to ${profileDir}`);
    for (const file of files) printCpuProfileSummary(join(profileDir, file), 25);
  }
}

main().catch((error) => {
  console.error(error);
  killChildren();
  process.exit(1);
});
