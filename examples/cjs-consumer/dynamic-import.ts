// examples/cjs-consumer/dynamic-import.ts
// A CommonJS project on "module": "node16" (or "node18"), where TypeScript refuses require() of an ES module
// (TS1479): load coffer with import(), which TypeScript leaves as is and Node runs in CommonJS. Name its types
// with an import type that resolves the way import() does.
type SecretCache = import('coffer', { with: { 'resolution-mode': 'import' }}).SecretCache;

async function readApiKey(cache: SecretCache): Promise<string> {
  const { value } = await cache.get('prod/api-key');
  return `${value}`;
}

async function main(): Promise<void> {
  const { SecretCache } = await import('coffer');
  const { defineSettings } = await import('@coffer/settings');
  const { RotatingPool } = await import('coffer/pg');
  const cache = new SecretCache();
  const settings = defineSettings({ schema: {}, env: false, dotenv: false });
  console.log(`${await readApiKey(cache)} ${typeof settings.load} ${typeof RotatingPool}`);
  await cache.close();
}

void main();
