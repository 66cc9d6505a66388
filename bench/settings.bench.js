// Cold load of typed settings: Coffer's defineSettings (one BatchGetSecretValue through the cache) against the
// hand-written pattern (one GetSecretValue per field), same local server, same run. Calls are counted by the server.
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { startLocalSecretsManager } from '../packages/local/dist/index.js';
import { defineSettings, secret } from '../packages/settings/dist/index.js';
import { machineLine, median, printTable } from './lib.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
/** Simulated network round trip to Secrets Manager per call; AWS is typically 20-200 ms away. */
const LATENCIES_MS = [0, 20];

const FIELDS = Array.from({ length: 10 }, (_, i) => `field${i + 1}`);
const secretOf = (i) => (i < 4 ? 'bench/settings/a' : i < 7 ? 'bench/settings/b' : 'bench/settings/c');

function delayed(client, latencyMs) {
  if (latencyMs > 0) {
    client.middlewareStack.add(
      (next) => async (args) => {
        await new Promise((resolve) => setTimeout(resolve, latencyMs));
        return next(args);
      },
      { step: 'finalizeRequest', name: 'simulatedLatency' },
    );
  }
  return client;
}

/** The hand-written approach: a GetSecretValue per field, awaited in turn, then JSON.parse for the key. */
async function handWritten(client) {
  const out = {};
  for (const [i, field] of FIELDS.entries()) {
    const response = await client.send(new GetSecretValueCommand({ SecretId: secretOf(i) }));
    out[field] = JSON.parse(response.SecretString)[field];
  }
  return out;
}

async function main() {
  console.log('settings bench: cold load of 10 secret-backed fields across 3 secrets');
  console.log(machineLine());
  const server = await startLocalSecretsManager({ port: 0, inMemory: true });
  const config = { endpoint: server.endpoint, region: server.region, credentials: server.credentials };
  const admin = new SecretsManagerClient(config);
  for (const name of ['a', 'b', 'c']) {
    const fields = FIELDS.filter((_, i) => secretOf(i).endsWith(`/${name}`));
    await admin.send(
      new CreateSecretCommand({
        Name: `bench/settings/${name}`,
        SecretString: JSON.stringify(Object.fromEntries(fields.map((f) => [f, `value-of-${f}`]))),
      }),
    );
  }
  const schema = Object.fromEntries(FIELDS.map((f) => [f, secret(z.string())]));
  const mapping = Object.fromEntries(FIELDS.map((f, i) => [f, `${secretOf(i)}#${f}`]));

  const rows = [];
  for (const latency of LATENCIES_MS) {
    const rounds = latency === 0 ? ROUNDS : Math.min(ROUNDS, 10);
    const measure = async (load) => {
      const times = [];
      server.audit.resetCounts();
      for (let r = 0; r < rounds; r++) {
        const started = performance.now();
        await load();
        times.push(performance.now() - started);
      }
      const calls = Object.values(server.audit.callCounts()).reduce((a, b) => a + b, 0) / rounds;
      return { ms: median(times), calls };
    };
    // A fresh client and settings (so a fresh cache) per round: every load is a cold start.
    const ours = await measure(async () => {
      const settings = defineSettings({
        schema,
        env: false,
        secrets: mapping,
        client: delayed(new SecretsManagerClient(config), latency),
      });
      await settings.load();
      await settings.close();
    });
    const theirs = await measure(() => handWritten(delayed(new SecretsManagerClient(config), latency)));
    rows.push([`${latency} ms`, 'Coffer defineSettings', ours.calls.toFixed(0), ours.ms.toFixed(2), '']);
    rows.push([
      `${latency} ms`,
      'per-field GetSecretValue',
      theirs.calls.toFixed(0),
      theirs.ms.toFixed(2),
      '',
    ]);
    rows.push([
      '',
      'ratio (Coffer / per-field)',
      (ours.calls / theirs.calls).toFixed(2),
      (ours.ms / theirs.ms).toFixed(2),
      '',
    ]);
  }
  printTable(
    [
      { title: 'latency/call', width: 12, align: 'left' },
      { title: 'approach', width: 28, align: 'left' },
      { title: 'API calls', width: 9 },
      { title: 'cold load ms (median)', width: 21 },
    ],
    rows.map((r) => r.slice(0, 4)),
  );
  console.log(
    `method: ${ROUNDS} cold loads each (10 with simulated latency), fresh client and cache per load;`,
  );
  console.log(
    '  calls counted by the server; simulated latency is an SDK middleware delay before each request.',
  );
  await server.close();
}

await main();
