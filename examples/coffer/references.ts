import { parseSecretReference, readSecretReferences, SecretCache, type SecretReference } from 'coffer';

const cache = new SecretCache();
const wanted = ['asm://prod/db#password', 'asm://prod/api-key'].map(
  (text) => parseSecretReference(text) as SecretReference,
);
const reads = await readSecretReferences(cache, wanted);
for (const reference of wanted) {
  const result = reads.get(reference); // a SecretResult<string>, or why it could not be read
  console.log(reference.secretId, result instanceof Error ? result.code : `version ${result?.versionId}`);
}
await cache.close();
