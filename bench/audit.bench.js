// What the durable audit trail costs: GetSecretValue throughput of the local server with a data dir, where each
// event-loop turn's audit lines are written to the file before that turn's answers are sent, against the same
// server in memory (no audit file: the cost's upper bound), in the same run, in rounds that alternate the order.
// With BENCH_BASELINE=<a checkout of an older commit, built>, that build's server with a data dir joins the rounds:
// the figure "before" a change, measured beside "after" on the same machine at the same moment.
//
//   node bench/run.js audit
//   BENCH_BASELINE=/path/to/older/checkout node bench/run.js audit
//
// Environment: BENCH_ROUNDS (default 6), BENCH_ROUND_SECONDS (default 3), BENCH_CONNECTIONS (default 50).
// No assertions: it prints numbers.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { load, signGetSecretValue } from './http-load.js';
import { killChildren, loadLine, machineLine, median, printTable, startServer } from './lib.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const ROUND_S = Number(process.env.BENCH_ROUND_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** The bar: the durable audit no worse than this share of the throughput before it. */
const TARGET = 0.9;
const SECRET_ID = 'bench/db';

async function subject(label, kind, env = {}) {
  const server = await startServer(kind, [], env);
  const client = new SecretsManagerClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    maxAttempts: 1,
  });
  await client.send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: '{"password":"bench"}' }));
  client.destroy();
  const request = await signGetSecretValue(server, SECRET_ID);
  const cell = (seconds) =>
    load({ url: server.endpoint, connections: CONNECTIONS, seconds, request, cpuMicros: server.cpuMicros });
  return { label, server, cell };
}

function baselineDist() {
  const root = process.env.BENCH_BASELINE;
  if (!root) return undefined;
  const dist = join(resolve(root), 'packages/local/dist/index.js');
  if (!existsSync(dist)) {
    throw new Error(
      `BENCH_BASELINE=${root} has no ${dist}: run \`npm install && npm run build\` there first.`,
    );
  }
  return dist;
}

async function main() {
  const baseline = baselineDist();
  console.log('audit bench: GetSecretValue with the audit file written before each answer');
  console.log(machineLine());
  console.log(loadLine());
  console.log(
    `${ROUNDS} rounds of ${ROUND_S} s at ${CONNECTIONS} connections, subjects in alternating order`,
  );
  console.log('');
  const subjects = [
    await subject('data dir, audit before answer', 'local-disk'),
    await subject('in memory, no audit file', 'local'),
  ];
  if (baseline)
    subjects.push(
      await subject(`data dir, ${process.env.BENCH_BASELINE}`, 'local-disk', { BENCH_LOCAL_DIST: baseline }),
    );
  try {
    for (const s of subjects) await s.cell(1);
    const cells = subjects.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const order = subjects.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) cells[i].push(await subjects[i].cell(ROUND_S));
      process.stderr.write(`  round ${round + 1}/${ROUNDS}\n`);
    }
    const rows = subjects.map((s, i) => {
      const mine = cells[i];
      return [
        s.label,
        Math.round(median(mine.map((c) => c.rps))).toLocaleString('en-US'),
        `${Math.round(Math.min(...mine.map((c) => c.rps)))}-${Math.round(Math.max(...mine.map((c) => c.rps)))}`,
        median(mine.map((c) => c.p99)).toFixed(2),
        median(mine.map((c) => c.cpuPerRequest)).toFixed(1),
        mine.reduce((sum, c) => sum + c.errors, 0),
      ];
    });
    printTable(
      [
        { title: 'server', width: 44, align: 'left' },
        { title: 'req/s (median)', width: 14 },
        { title: 'spread', width: 11 },
        { title: 'p99 ms', width: 7 },
        { title: 'CPU us/req', width: 10 },
        { title: 'errors', width: 6 },
      ],
      rows,
    );
    // Ratios per round (both measured within one moment), then their median.
    const ratio = (a, b) => median(cells[a].map((c, round) => c.rps / (cells[b][round]?.rps ?? Number.NaN)));
    console.log('');
    console.log(
      `  audit file / in memory: ${ratio(0, 1).toFixed(2)}x (the whole cost of a data dir, audit included)`,
    );
    if (baseline) {
      const before = ratio(0, 2);
      console.log(
        `  this build / baseline, both with a data dir: ${before.toFixed(2)}x (target >= ${TARGET}x: ${before >= TARGET ? 'met' : 'NOT met'})`,
      );
    } else {
      console.log(
        '  (set BENCH_BASELINE to an older built checkout to compare with the figure before a change)',
      );
    }
    console.log(`  ${loadLine().replace(' at start', ' at the end')}`);
  } finally {
    await Promise.all(subjects.map((s) => s.server.stop()));
  }
}

main().catch((error) => {
  console.error(error);
  killChildren();
  process.exitCode = 1;
});
