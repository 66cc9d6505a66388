// `coffer agent` (@coffer/agent) answering GET /secretsmanager/get for a cached secret vs a no-op node:http
// responder with a body of the same shape, each in its own child process, driven by the same autocannon load
// generator in the same run, at 1, 10 and 50 keep-alive connections; the agent with and without its access log.
// Rounds alternate the subjects so that load from other work on the machine hits them alike; the table shows
// the median of the rounds and their spread (min-max), and the load average before and after.
// Then the upstream calls per secret per hour at default settings under steady reads, from a time-scaled run
// (calls counted by the local server), beside AWS's agent's documented behaviour.
//
//   node bench/agent.bench.js            (after `npm run build`), or `node bench/run.js agent`
//
// Environment: BENCH_DURATION (seconds per load cell, default 4), BENCH_ROUNDS (default 3),
// BENCH_SIM_SECONDS (real seconds of the upstream-calls run, default 12). No assertions: it prints numbers.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startAgent } from '../packages/agent/dist/index.js';
import { startLocalSecretsManager } from '../packages/local/dist/index.js';
import { load as loadCell } from './http-load.js';
import { killChildren, machineLine, median, printTable, startServer } from './lib.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIM_SECONDS = Number(process.env.BENCH_SIM_SECONDS ?? 12);
const CONCURRENCY = [1, 10, 50];
const TOKEN = 'bench-agent-token';
const SECRET_ID = 'bench/db';
const SECRET_STRING = '{"user":"app","password":"correct horse battery staple"}';
/** The agent's default TTL (AWS's too), and the scale of the upstream-calls run: 300 s become 1 s. */
const DEFAULT_TTL_S = 300;
const READ_EVERY_MS = 10;

// --- throughput and latency ----------------------------------------------------------------------------

/** One autocannon cell against an agent target (a GET with its token header). */
const load = (target, connections, seconds) =>
  loadCell({
    url: `${target.endpoint}${target.path}`,
    connections,
    seconds,
    request: { method: 'GET', headers: target.headers },
  });

const summary = (cells) => ({
  rps: median(cells.map((c) => c.rps)),
  rpsMin: Math.min(...cells.map((c) => c.rps)),
  rpsMax: Math.max(...cells.map((c) => c.rps)),
  p50: median(cells.map((c) => c.p50)),
  p99: median(cells.map((c) => c.p99)),
  p99Max: Math.max(...cells.map((c) => c.p99)),
  errors: cells.reduce((sum, c) => sum + c.errors, 0),
});

// --- upstream calls per secret per hour ------------------------------------------------------------------

/**
 * Reads one secret every 10 ms through an in-process agent whose TTL is 1 s instead of 300 s, for SIM_SECONDS,
 * and counts the calls the local server saw; per hour at the default TTL, that is calls x 3600 / (SIM_SECONDS x 300).
 */
async function upstreamCalls(server, { versionAware, rotateEverySeconds }) {
  const client = new SecretsManagerClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
  });
  const name = `bench/calls-${versionAware ? 'va' : 'plain'}-${rotateEverySeconds ?? 'never'}`;
  await client.send(new CreateSecretCommand({ Name: name, SecretString: SECRET_STRING }));
  const agent = await startAgent({
    listen: '127.0.0.1:0',
    token: TOKEN,
    ttlSeconds: 1,
    versionAware,
    clientConfig: { endpoint: server.endpoint, region: server.region, credentials: server.credentials },
  });
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port: agent.address.port,
            path: `/secretsmanager/get?secretId=${name}`,
            headers: { 'X-Aws-Parameters-Secrets-Token': TOKEN },
            agent: httpAgent,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          },
        )
        .on('error', reject);
    });
  await get();
  const before = server.audit.callCounts();
  const started = Date.now();
  let rotations = 0;
  let nextRotation =
    rotateEverySeconds === undefined ? Number.POSITIVE_INFINITY : started + rotateEverySeconds * 1000;
  while (Date.now() - started < SIM_SECONDS * 1000) {
    if (Date.now() >= nextRotation) {
      await client.send(
        new PutSecretValueCommand({ SecretId: name, SecretString: SECRET_STRING + rotations }),
      );
      rotations++;
      nextRotation += rotateEverySeconds * 1000;
    }
    await get();
    await sleep(READ_EVERY_MS);
  }
  const after = server.audit.callCounts();
  await agent.close();
  httpAgent.destroy();
  client.destroy();
  const perHour = (op) => (((after[op] ?? 0) - (before[op] ?? 0)) * 3600) / (SIM_SECONDS * DEFAULT_TTL_S);
  return { describe: perHour('DescribeSecret'), get: perHour('GetSecretValue') };
}

// --- main -----------------------------------------------------------------------------------------------

const int = (value) => Math.round(value).toLocaleString('en-US');
const ms = (value) => (Number.isFinite(value) ? value.toFixed(2) : '-');
const load1 = () => os.loadavg()[0].toFixed(2);

async function main() {
  console.log('agent bench: coffer agent GET /secretsmanager/get (cached) vs a no-op node:http responder');
  console.log(machineLine());
  console.log(
    `load: autocannon ${DURATION_S}s per cell, ${ROUNDS} rounds alternating the subjects, keep-alive, pipelining 1; each subject in its own process`,
  );
  const loadBefore = load1();
  console.log(`load average (1 min) before: ${loadBefore} on ${os.availableParallelism()} cores`);
  console.log('');

  const local = await startServer('local');
  const upstream = { endpoint: local.endpoint, region: local.region, credentials: local.credentials };
  const client = new SecretsManagerClient({ ...upstream, maxAttempts: 1 });
  await client.send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: SECRET_STRING }));
  client.destroy();
  process.env.BENCH_AGENT_UPSTREAM = JSON.stringify(upstream);
  process.env.BENCH_AGENT_TOKEN = TOKEN;
  const noop = await startServer('noop');
  const quiet = await startServer('agent');
  const logDir = mkdtempSync(join(os.tmpdir(), 'coffer-bench-agent-'));
  process.env.BENCH_AGENT_ACCESS_LOG = join(logDir, 'access.log');
  const logging = await startServer('agent');
  const subjects = [
    { label: 'no-op node:http', target: { endpoint: noop.endpoint, path: '/', headers: {} } },
    ...[
      ['coffer agent', quiet],
      ['coffer agent + access log', logging],
    ].map(([label, server]) => ({
      label,
      target: {
        endpoint: server.endpoint,
        path: `/secretsmanager/get?secretId=${SECRET_ID}`,
        headers: { 'X-Aws-Parameters-Secrets-Token': TOKEN },
      },
    })),
  ];
  try {
    // Warm every subject (and the agents' caches) before measuring.
    for (const { target } of subjects) await load(target, 10, 1);
    const rows = [];
    for (const connections of CONCURRENCY) {
      const cells = subjects.map(() => []);
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? subjects.keys() : [...subjects.keys()].reverse();
        for (const i of order) cells[i].push(await load(subjects[i].target, connections, DURATION_S));
      }
      const [base, ...others] = cells.map(summary);
      rows.push([
        subjects[0].label,
        connections,
        int(base.rps),
        `${int(base.rpsMin)}-${int(base.rpsMax)}`,
        ms(base.p50),
        ms(base.p99),
        '1.00x',
        '1.00x',
        base.errors,
      ]);
      for (const [i, s] of others.entries()) {
        rows.push([
          subjects[i + 1].label,
          connections,
          int(s.rps),
          `${int(s.rpsMin)}-${int(s.rpsMax)}`,
          ms(s.p50),
          ms(s.p99),
          `${(s.rps / base.rps).toFixed(2)}x`,
          `${(s.p99 / base.p99).toFixed(2)}x`,
          s.errors,
        ]);
      }
    }
    printTable(
      [
        { title: 'subject', width: 26, align: 'left' },
        { title: 'connections', width: 11 },
        { title: 'req/s', width: 7 },
        { title: 'req/s spread', width: 13 },
        { title: 'p50 ms', width: 6 },
        { title: 'p99 ms', width: 6 },
        { title: 'req/s vs no-op', width: 14 },
        { title: 'p99 vs no-op', width: 12 },
        { title: 'errors', width: 6 },
      ],
      rows,
    );
    console.log('(medians of the rounds; target at 50 connections: req/s >= 0.5x and p99 <= 2x the no-op)');
  } finally {
    await Promise.all([noop.stop(), quiet.stop(), logging.stop(), local.stop()]);
    rmSync(logDir, { recursive: true, force: true });
  }
  console.log(`load average (1 min) after: ${load1()}`);
  console.log('');

  console.log(
    `upstream calls per secret per hour, default settings (TTL ${DEFAULT_TTL_S} s), one read every ${READ_EVERY_MS} ms: ${SIM_SECONDS} s run at 1/300 time scale, counted by the server`,
  );
  const server = await startLocalSecretsManager({ port: 0, inMemory: true });
  try {
    const unchanged = await upstreamCalls(server, { versionAware: true });
    const rotating = await upstreamCalls(server, { versionAware: true, rotateEverySeconds: 1 });
    const plain = await upstreamCalls(server, { versionAware: false });
    const perHourAws = 3600 / DEFAULT_TTL_S;
    printTable(
      [
        { title: 'agent', width: 44, align: 'left' },
        { title: 'secret', width: 22, align: 'left' },
        { title: 'DescribeSecret/h', width: 16 },
        { title: 'GetSecretValue/h', width: 16 },
      ],
      [
        [
          'coffer agent (version-aware, default)',
          'unchanged',
          unchanged.describe.toFixed(1),
          unchanged.get.toFixed(1),
        ],
        [
          'coffer agent (version-aware, default)',
          'rotated every 300 s',
          rotating.describe.toFixed(1),
          rotating.get.toFixed(1),
        ],
        ['coffer agent --no-version-aware', 'unchanged', plain.describe.toFixed(1), plain.get.toFixed(1)],
        ["AWS's agent (documented; computed)", 'unchanged', perHourAws.toFixed(1), '0.0'],
        [
          "AWS's agent (documented; computed)",
          'rotated every 300 s',
          perHourAws.toFixed(1),
          perHourAws.toFixed(1),
        ],
      ],
    );
    console.log(
      "(AWS's agent: on the first read after the TTL, a DescribeSecret, then a GetSecretValue if the version changed; the read waits for them. " +
        'Coffer refreshes in the background at 80% of a TTL shortened by up to 10% jitter, so reads never wait, at the cost of more frequent checks.)',
    );
  } finally {
    await server.close();
  }
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(killChildren);
