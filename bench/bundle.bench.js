// What a Lambda bundle of Coffer weighs beside the same handler with Powertools' SecretsProvider: each handler
// reads one secret through a module-scope cache and one directly, bundled with esbuild as the README says
// (minified, ESM, the AWS SDK left to the Lambda runtime), same run.
//
//   node bench/bundle.bench.js        (after `npm run build`), or `node bench/run.js bundle`
//
// No assertions: it prints numbers. The target (issue 12) is Coffer at most 1.5x Powertools. A third handler that
// also imports every opt-in cache feature (getMany, getDescription, replicaFailover) shows what opting in costs,
// and one with getSecret alone what the read path the cache shares with it weighs.
//
// Size is a proxy for what a Lambda pays at a cold start, so the bench also measures that directly: each bundle is
// loaded in a fresh node process, after the AWS SDK client it imports (which the Lambda runtime provides), in
// alternating rounds.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { LAMBDA_BUNDLE_OPTIONS } from '@coffer/testing/lambda-bundle';
import { build } from 'esbuild';
import { loadLine, machineLine, median, printTable } from './lib.js';

/** Fresh processes per bundle for the cold-start figures. */
const LOAD_ROUNDS = 21;

const handlers = {
  coffer: `
    import { getSecret, SecretCache } from 'coffer';
    const cache = new SecretCache();
    export const handler = async () => {
      const { value } = await cache.get('prod/api-key');
      const direct = await getSecret('prod/other');
      return value.reveal().length + direct.value.reveal().length;
    };`,
  // As \`coffer\`, with the SDK client made at module scope as Powertools makes its own: separates what creating
  // the client costs from what Coffer's first reads cost.
  cofferClientAtLoad: `
    import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
    import { getSecret, SecretCache } from 'coffer';
    const client = new SecretsManagerClient({});
    const cache = new SecretCache({ client });
    export const handler = async () => {
      const { value } = await cache.get('prod/api-key');
      const direct = await getSecret('prod/other', { client });
      return value.reveal().length + direct.value.reveal().length;
    };`,
  cofferGetSecretOnly: `
    import { getSecret } from 'coffer';
    export const handler = async () => (await getSecret('prod/other')).value.reveal().length;`,
  cofferAllFeatures: `
    import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
    import { getDescription, getMany, getSecret, replicaFailover, SecretCache } from 'coffer';
    const cache = new SecretCache({ replicas: replicaFailover([new SecretsManagerClient({ region: 'eu-west-1' })]) });
    export const handler = async () => {
      const { value } = await cache.get('prod/api-key');
      const direct = await getSecret('prod/other');
      const many = await getMany(cache, ['prod/a', 'prod/b']);
      const { Tags } = await getDescription(cache, 'prod/api-key');
      return value.reveal().length + direct.value.reveal().length + many.length + (Tags?.length ?? 0);
    };`,
  powertools: `
    import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
    const provider = new SecretsProvider();
    export const handler = async () => {
      const value = await provider.get('prod/api-key');
      const direct = await provider.get('prod/other', { forceFetch: true });
      return String(value).length + String(direct).length;
    };`,
};

async function bundle(source) {
  const result = await build({
    ...LAMBDA_BUNDLE_OPTIONS,
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const inputs = Object.entries(Object.values(result.metafile.outputs)[0]?.inputs ?? {})
    .map(([file, { bytesInOutput }]) => ({
      file: file.replace(/^.*node_modules\//, '').replace(/^.*packages\//, ''),
      bytes: bytesInOutput,
    }))
    .sort((a, b) => b.bytes - a.bytes);
  return { bytes: code.length, gzip: gzipSync(code).length, inputs, code };
}

// Inside node_modules so that the bundles' external `@aws-sdk/client-secrets-manager` resolves as in a Lambda.
const LOAD_DIR = join(process.cwd(), 'node_modules', '.cache', 'coffer-bundle-bench');

/**
 * A cold start in a fresh process, in ms: loading the SDK client (the Lambda runtime's), loading the bundle, and the
 * handler's first invocation, which creates the SDK client, signs and sends its calls. The calls go to an
 * endpoint in the same process that answers every GetSecretValue at once, so the figures are the libraries' own.
 */
const LOADER = `
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
const server = createServer((request, response) => {
  request.resume().on('end', () => {
    response.setHeader('content-type', 'application/x-amz-json-1.1');
    response.end(JSON.stringify({
      ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-key-AbCdEf',
      Name: 'prod/api-key',
      VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1',
      VersionStages: ['AWSCURRENT'],
      SecretString: 'bench-value',
      CreatedDate: 1700000000,
    }));
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench-secret-key',
  AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:' + server.address().port,
});
const started = performance.now();
await import('@aws-sdk/client-secrets-manager');
const sdkLoaded = performance.now();
const { handler } = await import(pathToFileURL(process.argv[2]).href);
const bundleLoaded = performance.now();
await handler();
const invoked = performance.now();
server.close();
console.log(JSON.stringify({ sdk: sdkLoaded - started, bundle: bundleLoaded - sdkLoaded, invoke: invoked - bundleLoaded }));
`;

/** Median cold-start times of each bundle, from alternating rounds of fresh processes. */
async function coldStarts(bundles) {
  await mkdir(LOAD_DIR, { recursive: true });
  const loader = join(LOAD_DIR, 'load.mjs');
  await writeFile(loader, LOADER);
  const files = {};
  for (const [name, { code }] of Object.entries(bundles)) {
    files[name] = join(LOAD_DIR, `${name}.mjs`);
    await writeFile(files[name], code);
  }
  const phases = ['sdk', 'bundle', 'invoke'];
  const samples = {};
  for (let round = 0; round < LOAD_ROUNDS; round++) {
    for (const name of Object.keys(bundles)) {
      const { stdout } = await promisify(execFile)(process.execPath, [loader, files[name]]);
      const times = JSON.parse(stdout);
      samples[name] ??= [];
      samples[name].push({ ...times, total: phases.reduce((sum, phase) => sum + times[phase], 0) });
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, runs]) => [
      name,
      Object.fromEntries([...phases, 'total'].map((phase) => [phase, median(runs.map((run) => run[phase]))])),
    ]),
  );
}

async function main() {
  console.log(
    'bundle bench: a Lambda handler with Coffer vs the same handler with Powertools SecretsProvider',
  );
  console.log(machineLine());
  console.log(loadLine());
  const coffer = await bundle(handlers.coffer);
  const cofferAll = await bundle(handlers.cofferAllFeatures);
  const getSecretOnly = await bundle(handlers.cofferGetSecretOnly);
  const powertools = await bundle(handlers.powertools);
  const clientAtLoad = await bundle(handlers.cofferClientAtLoad);
  const loads = await coldStarts({ coffer, powertools, clientAtLoad });
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  const ms = (value) => `${value.toFixed(2)} ms`;
  printTable(
    [
      { title: 'bundle (esbuild, minified, SDK external)', width: 42, align: 'left' },
      { title: 'Coffer', width: 9 },
      { title: 'Powertools', width: 10 },
      { title: 'ratio', width: 6 },
      { title: 'note', width: 20, align: 'left' },
    ],
    [
      [
        'size',
        kb(coffer.bytes),
        kb(powertools.bytes),
        `${(coffer.bytes / powertools.bytes).toFixed(2)}x`,
        'target <= 1.50x',
      ],
      ['gzip', kb(coffer.gzip), kb(powertools.gzip), `${(coffer.gzip / powertools.gzip).toFixed(2)}x`, ''],
      ['size, getSecret alone (no cache)', kb(getSecretOnly.bytes), '', '', `gzip ${kb(getSecretOnly.gzip)}`],
      [
        'size, + getMany, getDescription, replicas',
        kb(cofferAll.bytes),
        kb(powertools.bytes),
        `${(cofferAll.bytes / powertools.bytes).toFixed(2)}x`,
        `gzip ${kb(cofferAll.gzip)}`,
      ],
      ...[
        ['cold start: load the bundle', 'bundle', `median, ${LOAD_ROUNDS} processes`],
        ['cold start: first invocation (2 reads)', 'invoke', 'creates the client'],
        ['  the same, Coffer given a client at load', 'invoke', 'as Powertools makes', 'clientAtLoad'],
        ['cold start: SDK + bundle + first invocation', 'total', ''],
      ].map(([label, phase, note, coffer = 'coffer']) => [
        label,
        ms(loads[coffer][phase]),
        ms(loads.powertools[phase]),
        `${(loads[coffer][phase] / loads.powertools[phase]).toFixed(2)}x`,
        note,
      ]),
    ],
  );
  console.log(`  ${loadLine().replace(' at start', ' at the end')}`);
  console.log('\nlargest parts of the Coffer bundle:');
  for (const { file, bytes } of coffer.inputs.slice(0, 12))
    console.log(`  ${kb(bytes).padStart(8)}  ${file}`);
}

await main();
