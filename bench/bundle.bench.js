// What a Lambda bundle of Coffer weighs beside the same handler with Powertools' SecretsProvider: each handler
// reads one secret through a module-scope cache and one directly, bundled with esbuild as the README says
// (minified, ESM, the AWS SDK left to the Lambda runtime), same run.
//
//   node bench/bundle.bench.js        (after `npm run build`), or `node bench/run.js bundle`
//
// No assertions: it prints numbers. The target (issue 12) is Coffer at most 1.5x Powertools. A third handler that
// also imports every opt-in cache feature (getMany, getDescription, replicaFailover) shows what opting in costs,
// and one with getSecret alone what the read path the cache shares with it weighs.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { machineLine, printTable } from './lib.js';

const handlers = {
  coffer: `
    import { getSecret, SecretCache } from 'coffer';
    const cache = new SecretCache();
    export const handler = async () => {
      const { value } = await cache.get('prod/api-key');
      const direct = await getSecret('prod/other');
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
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const inputs = Object.entries(Object.values(result.metafile.outputs)[0]?.inputs ?? {})
    .map(([file, { bytesInOutput }]) => ({
      file: file.replace(/^.*node_modules\//, '').replace(/^.*packages\//, ''),
      bytes: bytesInOutput,
    }))
    .sort((a, b) => b.bytes - a.bytes);
  return { bytes: code.length, gzip: gzipSync(code).length, inputs };
}

async function main() {
  console.log(
    'bundle bench: a Lambda handler with Coffer vs the same handler with Powertools SecretsProvider',
  );
  console.log(machineLine());
  const coffer = await bundle(handlers.coffer);
  const cofferAll = await bundle(handlers.cofferAllFeatures);
  const getSecretOnly = await bundle(handlers.cofferGetSecretOnly);
  const powertools = await bundle(handlers.powertools);
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
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
    ],
  );
  console.log('\nlargest parts of the Coffer bundle:');
  for (const { file, bytes } of coffer.inputs.slice(0, 12))
    console.log(`  ${kb(bytes).padStart(8)}  ${file}`);
}

await main();
