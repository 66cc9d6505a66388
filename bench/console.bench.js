// The web console's Secrets page with 10,000 secrets: time to first byte (from Node, and in Chromium)
// and time to interactive in Chromium, against the API call the page wraps (one ListSecrets page of
// 50 through the AWS SDK) as the peer. Target: under 300 ms to first byte. Chromium rows need Debian's
// chromium; without it they are skipped with one line.
import { request } from 'node:http';
import {
  CreateSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CHROMIUM_MISSING, findChromium, launchChromium } from '@coffer/testing/chromium';
import { startLocalSecretsManager } from '../packages/local/dist/index.js';
import { loadLine, machineLine, median, percentile, printTable } from './lib.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SECRETS = 10_000;
const RUNS = 25;
const CONCURRENCY = 32;

const ms = (value) => `${value.toFixed(1)} ms`;

/** Time to the first byte of the answer, and its size, over a fresh connection. */
function timeFirstByte(url, cookie) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByte;
    let size = 0;
    const req = request(url, { headers: { cookie }, agent: false }, (res) => {
      res.on('data', (chunk) => {
        firstByte ??= performance.now() - started;
        size += chunk.length;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
        else
          resolve({
            firstByte: firstByte ?? performance.now() - started,
            total: performance.now() - started,
            size,
          });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function signIn(server) {
  const cookie = await new Promise((resolve, reject) => {
    request(server.console.loginUrl(), (res) => {
      res.resume();
      resolve(String(res.headers['set-cookie']).split(';')[0]);
    })
      .on('error', reject)
      .end();
  });
  return cookie;
}

async function fill(client) {
  let next = 0;
  const worker = async () => {
    while (next < SECRETS) {
      const i = next++;
      await client.send(
        new CreateSecretCommand({
          Name: `team-${i % 20}/service-${String(i).padStart(5, '0')}`,
          Description: i % 3 === 0 ? `Database credentials for service ${i}` : undefined,
          SecretString: JSON.stringify({ username: `user${i}`, password: `bench-password-${i}` }),
          Tags: i % 2 === 0 ? [{ Key: 'team', Value: `team-${i % 20}` }] : undefined,
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const server = await startLocalSecretsManager({ port: 0, inMemory: true, console: true });
try {
  const client = new SecretsManagerClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    maxAttempts: 1,
  });
  console.log(machineLine());
  console.log(loadLine());
  const filling = performance.now();
  await fill(client);
  console.log(
    `${SECRETS.toLocaleString('en-US')} secrets created in ${((performance.now() - filling) / 1000).toFixed(1)} s\n`,
  );

  const cookie = await signIn(server);
  const pages = [
    ['Secrets page (50 by name, first page)', '/console/secrets'],
    ['  by last changed, newest first', '/console/secrets?sort=last-changed-date&order=desc'],
    ['  search "database" in all fields', '/console/secrets?q=database'],
    ['  100 per page', '/console/secrets?size=100'],
    ['  rotation on (filtered by the console: 1,000 read)', '/console/secrets?rotation=on'],
  ];
  const rows = [];
  let firstPageFirstByte = 0;
  for (const [label, path] of pages) {
    const samples = [];
    let size = 0;
    for (let i = 0; i < RUNS; i++) {
      const sample = await timeFirstByte(`${server.endpoint}${path}`, cookie);
      samples.push(sample.firstByte);
      size = sample.size;
    }
    if (firstPageFirstByte === 0) firstPageFirstByte = median(samples);
    rows.push([label, ms(median(samples)), ms(percentile(samples, 90)), `${(size / 1024).toFixed(1)} KiB`]);
  }
  // The peer: the one API call behind the first page, through the AWS SDK over HTTP.
  const api = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await client.send(new ListSecretsCommand({ MaxResults: 50, SortBy: 'name', SortOrder: 'asc' }));
    api.push(performance.now() - started);
  }
  rows.push(['peer: ListSecrets (50 by name) via the SDK', ms(median(api)), ms(percentile(api, 90)), '']);
  printTable(
    [
      { title: `Time to first byte, from Node (${RUNS} runs)`, width: 52, align: 'left' },
      { title: 'median', width: 9 },
      { title: 'p90', width: 9 },
      { title: 'page', width: 9 },
    ],
    rows,
  );
  console.log(
    `\nThe Secrets page's first byte takes ${(firstPageFirstByte / median(api)).toFixed(2)}x the ListSecrets call it wraps (target: under 300 ms).`,
  );

  if (findChromium() === undefined) {
    console.log(`\n[skipped] Chromium rows: ${CHROMIUM_MISSING}`);
  } else {
    const chromium = await launchChromium();
    try {
      const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 800 } });
      const [name, value] = cookie.split('=');
      await context.addCookies([{ name, value, url: server.console.url }]);
      const page = await context.newPage();
      const timings = { firstByte: [], interactive: [], loaded: [] };
      let transferred = 0;
      for (let i = 0; i < RUNS; i++) {
        await page.goto(`${server.console.url}/secrets`, { waitUntil: 'load' });
        const t = JSON.parse(
          await page.evaluate(
            "JSON.stringify((({ requestStart, responseStart, domInteractive, domContentLoadedEventEnd, loadEventEnd }) => ({ requestStart, responseStart, domInteractive, domContentLoadedEventEnd, loadEventEnd }))(performance.getEntriesByType('navigation')[0]))",
          ),
        );
        timings.firstByte.push(t.responseStart - t.requestStart);
        // Interactive: the DOM is parsed and the module script (deferred) has run its set-up.
        timings.interactive.push(t.domContentLoadedEventEnd);
        timings.loaded.push(t.loadEventEnd);
        if (i === 0) {
          transferred = Number(
            await page.evaluate(
              "performance.getEntriesByType('navigation')[0].transferSize + performance.getEntriesByType('resource').reduce((sum, r) => sum + r.transferSize, 0)",
            ),
          );
        }
      }
      console.log(
        `\nChromium ${chromium.version}, headless, 1280x800, ${RUNS} navigations (the first one cold):`,
      );
      printTable(
        [
          { title: 'Secrets page in Chromium', width: 52, align: 'left' },
          { title: 'median', width: 9 },
          { title: 'p90', width: 9 },
        ],
        [
          ['time to first byte', ms(median(timings.firstByte)), ms(percentile(timings.firstByte, 90))],
          [
            'time to interactive (DOMContentLoaded end)',
            ms(median(timings.interactive)),
            ms(percentile(timings.interactive, 90)),
          ],
          ['load event end', ms(median(timings.loaded)), ms(percentile(timings.loaded, 90))],
        ],
      );
      console.log(
        `first visit transferred ${(transferred / 1024).toFixed(1)} KiB (page, stylesheet, script, icon)`,
      );
    } finally {
      await chromium.close();
    }
  }
  console.log(`\n${loadLine().replace('at start', 'at end')}`);
} finally {
  await server.close();
}
