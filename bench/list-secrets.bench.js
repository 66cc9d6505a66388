// ListSecrets page time as the number of secrets grows: a page should cost what it returns, not what the
// region holds. The local server in this process, in memory; each page through the official SDK client.
//
//   node bench/list-secrets.bench.js        (after `npm run build`), or `node bench/run.js list-secrets`
//
// Environment: BENCH_PAGES (timed pages per row, default 40). No assertions: it prints numbers.
import {
  CreateSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startLocalSecretsManager } from '../packages/local/dist/index.js';
import { machineLine, median, printTable } from './lib.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const PAGES = Number(process.env.BENCH_PAGES ?? 40);
const SIZES = [1_000, 50_000];

async function timePages(client, input) {
  const times = [];
  let token;
  for (let i = 0; i < PAGES; i++) {
    const started = performance.now();
    const out = await client.send(new ListSecretsCommand({ MaxResults: 100, ...input, NextToken: token }));
    times.push(performance.now() - started);
    token = out.NextToken;
  }
  return median(times);
}

async function main() {
  console.log('list-secrets bench: ListSecrets page time (100 per page) with 1,000 and 50,000 secrets');
  console.log(machineLine());
  const rows = [];
  for (const count of SIZES) {
    const server = await startLocalSecretsManager({ port: 0, inMemory: true });
    const client = new SecretsManagerClient({
      endpoint: server.endpoint,
      region: server.region,
      credentials: server.credentials,
      maxAttempts: 1,
    });
    const started = performance.now();
    for (let i = 0; i < count; i += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, count - i) }, (_, j) =>
          client.send(
            new CreateSecretCommand({
              Name: `bench/app-${String(i + j).padStart(6, '0')}`,
              SecretString: 'x',
              ...((i + j) % 10 === 0 && { Tags: [{ Key: 'team', Value: 'payments' }] }),
            }),
          ),
        ),
      );
    }
    const fill = performance.now() - started;
    rows.push([
      count.toLocaleString('en-US'),
      `${(await timePages(client, {})).toFixed(2)} ms`,
      `${(await timePages(client, { SortBy: 'name', SortOrder: 'desc' })).toFixed(2)} ms`,
      `${(await timePages(client, { Filters: [{ Key: 'tag-value', Values: ['payments'] }] })).toFixed(2)} ms`,
      `${(fill / 1000).toFixed(1)} s`,
    ]);
    await server.close();
  }
  printTable(
    [
      { title: 'secrets', width: 8 },
      { title: 'page, created-date', width: 19 },
      { title: 'page, name desc', width: 16 },
      { title: 'page, 1 in 10 tagged', width: 21 },
      { title: 'to create them', width: 15 },
    ],
    rows,
  );
  console.log(
    `\nmethod: median of ${PAGES} consecutive pages (each after the previous NextToken), in-process server.`,
  );
}

await main();
