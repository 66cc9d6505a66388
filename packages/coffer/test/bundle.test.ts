import { fileURLToPath } from 'node:url';
import { LAMBDA_BUNDLE_OPTIONS } from '@coffer/testing/lambda-bundle';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** The modules (relative to the package's src/) a handler's bundle holds, bundled as the README says. */
async function modulesOf(handler: string): Promise<string[]> {
  const result = await build({
    ...LAMBDA_BUNDLE_OPTIONS,
    stdin: { contents: handler.replaceAll('COFFER', JSON.stringify(entry)), resolveDir: process.cwd() },
  });
  const output = Object.values(result.metafile.outputs)[0];
  return Object.entries(output?.inputs ?? {})
    .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
    .map(([file]) => file.replace(/^.*packages\/coffer\/src\//, ''));
}

const OPT_IN = [
  'cache/batch.ts',
  'sdk/batch-get.ts',
  'cache/descriptions.ts',
  'cache/failover.ts',
  'sdk/write-calls.ts',
];

describe('a Lambda bundle', () => {
  it('leaves out what a handler does not import: batch reads, descriptions, failover, rotation calls', async () => {
    const plain = await modulesOf(`
      import { getSecret, SecretCache } from COFFER;
      const cache = new SecretCache();
      export const handler = async () =>
        (await cache.get('prod/api-key')).value.reveal() + (await getSecret('prod/other')).value.reveal();`);
    expect(plain).toContain('cache/secret-cache.ts');
    for (const module of OPT_IN) expect(plain).not.toContain(module);

    const secretOnly = await modulesOf(`
      import { getSecret } from COFFER;
      export const handler = async () => (await getSecret('prod/other')).value.reveal();`);
    expect(secretOnly).not.toContain('cache/secret-cache.ts');
  }, 60_000);

  it('brings each opt-in feature in with its import', async () => {
    const all = await modulesOf(`
      import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
      import { getDescription, getMany, replicaFailover, SecretCache } from COFFER;
      const cache = new SecretCache({ replicas: replicaFailover([new SecretsManagerClient({})]) });
      export const handler = async () => [await getMany(cache, ['a']), await getDescription(cache, 'a')];`);
    for (const module of OPT_IN.filter((m) => m !== 'sdk/write-calls.ts')) expect(all).toContain(module);
  }, 60_000);
});
