// `coffer exec` start-up overhead against running the command directly, and the CLI's cold start
// (`coffer --version`), same run. Every figure is the wall time of a whole child process, from spawn to exit,
// timed here with performance.now(); the runs of all commands are interleaved, so machine noise hits them alike.
// The secrets come from a Coffer local Secrets Manager (inMemory) in this process, through the CLI's usual
// environment (AWS_ENDPOINT_URL_SECRETS_MANAGER and static credentials).
//
//   node bench/cli.bench.js        (after `npm run build`), or `node bench/run.js cli`
//
// Environment: BENCH_RUNS (timed runs per command, default 30). No assertions: it prints numbers.
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startLocalSecretsManager } from '../packages/local/dist/index.js';
import { killChildren, loadLine, machineLine, median, percentile, printTable, timeProcess } from './lib.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const WARMUP_RUNS = 3;
const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
const node = process.execPath;

async function main() {
  console.log('cli bench: `coffer exec` start-up overhead vs running the command directly; CLI cold start');
  console.log(machineLine());
  console.log(loadLine());
  const server = await startLocalSecretsManager({ port: 0, inMemory: true });
  const admin = new SecretsManagerClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
  });
  await admin.send(
    new CreateSecretCommand({
      Name: 'bench/db',
      SecretString: JSON.stringify({
        engine: 'postgres',
        host: 'db.internal',
        port: 5432,
        username: 'app',
        password: 'correct horse battery staple',
        dbname: 'app',
      }),
    }),
  );
  // The CLI's environment: nothing from this machine's own AWS configuration.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  Object.assign(env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: server.endpoint,
    AWS_REGION: server.region,
    AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });

  const subjects = [
    { key: 'direct', label: 'node -e 0 (directly)', args: ['-e', '0'] },
    { key: 'version', label: 'coffer --version', args: [BIN, '--version'] },
    { key: 'execNone', label: 'coffer exec -- node -e 0', args: [BIN, 'exec', '--', node, '-e', '0'] },
    {
      key: 'execOne',
      label: 'coffer exec -s bench/db -- node -e 0',
      args: [BIN, 'exec', '-s', 'bench/db', '--', node, '-e', '0'],
    },
  ];
  const times = Object.fromEntries(subjects.map((s) => [s.key, []]));
  try {
    for (let round = 0; round < WARMUP_RUNS + RUNS; round++) {
      for (const subject of subjects) {
        const ms = await timeProcess(node, subject.args, { env });
        if (round >= WARMUP_RUNS) times[subject.key].push(ms);
      }
    }
    server.audit.resetCounts();
    await timeProcess(node, subjects[3].args, { env });
    const callsOne = server.audit.callCounts();
    server.audit.resetCounts();
    await timeProcess(node, subjects[2].args, { env });
    const callsNone = Object.values(server.audit.callCounts()).reduce((a, b) => a + b, 0);

    const stat = (key) => ({ median: median(times[key]), p90: percentile(times[key], 90) });
    const direct = stat('direct');
    const ms = (value) => value.toFixed(1);
    const rows = subjects.map((subject) => {
      const s = stat(subject.key);
      return [
        subject.label,
        ms(s.median),
        ms(s.p90),
        `${(s.median / direct.median).toFixed(2)}x`,
        subject.key === 'direct' ? '' : `+${ms(s.median - direct.median)}`,
      ];
    });
    console.log('');
    printTable(
      [
        { title: 'command', width: 38, align: 'left' },
        { title: 'median ms', width: 9 },
        { title: 'p90 ms', width: 7 },
        { title: 'vs direct', width: 9 },
        { title: 'overhead ms', width: 11 },
      ],
      rows,
    );
    const execOne = stat('execOne');
    const execNone = stat('execNone');
    const version = stat('version');
    console.log('');
    console.log(
      `coffer exec overhead over the bare command: ${ms(execNone.median - direct.median)} ms with no secret, ${ms(execOne.median - direct.median)} ms with one secret`,
    );
    console.log(
      `  (with -s minus without, i.e. fetching one secret: ${ms(execOne.median - execNone.median)} ms; the CLI's own cold start, coffer --version: ${ms(version.median)} ms,`,
    );
    console.log(`  i.e. ${ms(version.median - direct.median)} ms above a bare node start)`);
    console.log('');
    console.log('method:');
    console.log(
      `  ${RUNS} timed runs per command after ${WARMUP_RUNS} warm-up runs, the commands interleaved round by round; one run = spawn`,
    );
    console.log(
      '  of a fresh process to its exit, by performance.now() in this process (no hyperfine); median and p90 (nearest rank).',
    );
    console.log(
      `  Every command runs under ${node} (${process.version}); coffer is packages/cli/dist/bin.js run with node directly (no npx).`,
    );
    console.log(
      `  exec: the child is \`node -e 0\`; with -s, one JSON secret (6 keys) from the local server in this process, fetched with`,
    );
    console.log(
      `  ${Object.entries(callsOne)
        .map(([op, n]) => `${n} ${op}`)
        .join(
          ', ',
        )} per run (counted by the server; ${callsNone} call(s) without -s); output masking on (the default).`,
    );
  } finally {
    admin.destroy();
    await server.close();
  }
}

main().catch((error) => {
  console.error(error);
  killChildren();
  process.exit(1);
});
