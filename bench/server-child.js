// A server under test, run in its own process (forked by a bench with an IPC channel) so the load
// generator and the server never share an event loop.
//
//   node bench/server-child.js local   the Coffer local Secrets Manager (SigV4 verification on), in memory
//   node bench/server-child.js local-disk   the same with a fresh data dir: an encrypted database and the audit file
//                                      (BENCH_LOCAL_DIST: another build's packages/local/dist/index.js, to compare builds)
//   node bench/server-child.js noop    a plain node:http server answering every request with a fixed JSON body
//   node bench/server-child.js agent   `coffer agent` (@coffer/agent) in front of the Secrets Manager named by the
//                                      JSON in BENCH_AGENT_UPSTREAM ({ endpoint, region, credentials }); its token
//                                      is BENCH_AGENT_TOKEN, its access log goes to BENCH_AGENT_ACCESS_LOG if set
//
// Reports `{ type: 'ready', endpoint, port, region, credentials }` to the parent, answers 'cpu' with
// `{ type: 'cpu', usage: process.cpuUsage() }` (so a bench can compute CPU time per request), and serves until
// the parent sends 'stop', disconnects (e.g. it crashed), or a SIGINT/SIGTERM arrives. It always
// exits through process.exit() so that `--cpu-prof` gets to write its profile.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const kind = process.argv[2];

/** Same shape as GetSecretValue's answer, so both servers write a similar number of bytes. */
const NOOP_BODY = JSON.stringify({
  ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/db-AbCdEf',
  Name: 'bench/db',
  VersionId: '00000000-0000-4000-8000-000000000000',
  SecretString: '{"user":"app","password":"correct horse battery staple"}',
  VersionStages: ['AWSCURRENT'],
  CreatedDate: 1_700_000_000,
});

async function startNoop() {
  const server = createServer({ keepAlive: true }, (req, res) => {
    // Read the request like a real handler would, then answer.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(NOOP_BODY),
      });
      res.end(NOOP_BODY);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDNOOP', secretAccessKey: 'noop' },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function startLocal({ onDisk }) {
  const dist = process.env.BENCH_LOCAL_DIST
    ? pathToFileURL(process.env.BENCH_LOCAL_DIST).href
    : '../packages/local/dist/index.js';
  const { startLocalSecretsManager } = await import(dist);
  if (!onDisk) return startLocalSecretsManager({ port: 0, inMemory: true, host: '127.0.0.1' });
  const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-data-'));
  const server = await startLocalSecretsManager({ port: 0, dataDir, host: '127.0.0.1' });
  return {
    endpoint: server.endpoint,
    port: server.port,
    region: server.region,
    credentials: server.credentials,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function startAgentChild() {
  const { startAgent, jsonLinesWriter } = await import('../packages/agent/dist/index.js');
  const { createWriteStream } = await import('node:fs');
  const upstream = JSON.parse(process.env.BENCH_AGENT_UPSTREAM ?? '{}');
  const logTo = process.env.BENCH_AGENT_ACCESS_LOG;
  const log = logTo === undefined ? undefined : createWriteStream(logTo);
  const agent = await startAgent({
    listen: '127.0.0.1:0',
    token: process.env.BENCH_AGENT_TOKEN,
    clientConfig: { ...upstream, maxAttempts: 1 },
    ...(log !== undefined && { accessLog: jsonLinesWriter((text) => log.write(text)) }),
  });
  return {
    endpoint: agent.url,
    port: agent.address.port,
    region: upstream.region,
    credentials: upstream.credentials,
    close: () => agent.close(),
  };
}

async function main() {
  if (!['local', 'local-disk', 'noop', 'agent'].includes(kind)) {
    throw new Error(`usage: node bench/server-child.js local|local-disk|noop|agent (got ${String(kind)})`);
  }
  if (!process.send) throw new Error('server-child.js must be forked with an IPC channel.');
  const server =
    kind === 'local' || kind === 'local-disk'
      ? await startLocal({ onDisk: kind === 'local-disk' })
      : kind === 'agent'
        ? await startAgentChild()
        : await startNoop();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Never hang on close: the profile and the parent both wait for us.
    const timer = setTimeout(() => process.exit(0), 2_000);
    try {
      await server.close();
    } finally {
      clearTimeout(timer);
      process.exit(0);
    }
  };
  process.on('message', (message) => {
    if (message === 'stop') void stop();
    else if (message === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
  });
  process.on('disconnect', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  process.send({
    type: 'ready',
    endpoint: server.endpoint,
    port: server.port,
    region: server.region,
    credentials: { ...server.credentials },
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
