// ListSecrets page time as the number of secrets grows: a page should cost what it returns, not what the
// region holds. The local server in this process, in memory; each page through the official SDK client.
//
//   node bench/list-secrets.bench.js        (after `npm run build`), or `node bench/run.js list-secrets`
//
// Environment: BENCH_PAGES (timed pages per row, default 40), BENCH_SIZES (default 1000,50000). No assertions: it prints numbers.
import {
  CreateSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startLocalSecretsManager } from '../packages/local/dist/index.js';
import { machineLine, median, printTable } from './lib.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const PAGES = Number(process.env.BENCH_PAGES ?? 40);
const SIZES = (process.env.BENCH_SIZES ?? '1000,50000').split(',').map(Number);

/**
 * Median page time two ways: the round trip through the SDK (signing, HTTP, parsing 100 entries into objects) and
 * the server's own time for the call, from its audit entries (verification, the operation, the JSON answer).
 */
async function timePages(server, client, input) {
  const times = [];
  let token;
  for (let i = 0; i < PAGES; i++) {
    const started = performance.now();
    const out = await client.send(new ListSecretsCommand({ MaxResults: 100, ...input, NextToken: token }));
    times.push(performance.now() - started);
    token = out.NextToken;
  }
  const serverTimes = server.audit
    .recent()
    .slice(-PAGES)
    .filter((entry) => entry.operation === 'ListSecrets')
    .map((entry) => entry.durationMs);
  return `${median(times).toFixed(2)} / ${median(serverTimes).toFixed(2)} ms`;
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
      await timePages(server, client, {}),
      await timePages(server, client, { SortBy: 'name', SortOrder: 'desc' }),
      await timePages(server, client, { Filters: [{ Key: 'tag-value', Values: ['payments'] }] }),
      `${(fill / 1000).toFixed(1)} s`,
    ]);
    await server.close();
  }
  printTable(
    [
      { title: 'secrets', width: 8 },
      { title: 'page, created-date', width: 20 },
      { title: 'page, name desc', width: 20 },
      { title: 'page, 1 in 10 tagged', width: 20 },
      { title: 'to create them', width: 15 },
    ],
    rows,
  );
  console.log(
    `\nround trip through the SDK / the server's own time (its audit entries' durationMs); median of ${PAGES} consecutive\npages, each after the previous NextToken; in-process server.`,
  );
}

await main();
