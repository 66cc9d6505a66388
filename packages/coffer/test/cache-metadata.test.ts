import { PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import {
  canary,
  clientFor,
  createSecret,
  expectNoCanary,
  type FaultProxy,
  startProxy,
  startTestServer,
  uniqueName,
} from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDescription, SecretCache } from '../src/index.js';

// What SecretCache tells about a cached value besides the value: how it is stored, since when it is stale,
// and the secret's DescribeSecret metadata, cached like values.

let server: LocalSecretsManager;
let proxy: FaultProxy;
let admin: SecretsManagerClient;
const calls = (operation: string) => server.audit.callCounts()[operation] ?? 0;

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startProxy(server.endpoint);
  admin = clientFor(server);
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

describe('SecretCache metadata', () => {
  it('says whether a value is stored as SecretString or SecretBinary', async () => {
    const text = uniqueName('meta/text');
    const binary = uniqueName('meta/binary');
    await createSecret(admin, { Name: text, SecretString: canary() });
    await createSecret(admin, { Name: binary, SecretBinary: new TextEncoder().encode(canary()) });
    await using cache = new SecretCache({ client: admin });
    expect((await cache.get(text)).storedAs).toBe('string');
    expect((await cache.get(binary, { as: 'bytes' })).storedAs).toBe('binary');
  });

  it('caches DescribeSecret: concurrent calls share one request, later ones are hits', async () => {
    const name = uniqueName('meta/describe');
    await createSecret(admin, { Name: name, SecretString: canary(), Tags: [{ Key: 'team', Value: 'a' }] });
    await using cache = new SecretCache({ client: admin });
    const before = calls('DescribeSecret');
    const answers = await Promise.all(Array.from({ length: 20 }, () => getDescription(cache, name)));
    expect(calls('DescribeSecret') - before).toBe(1);
    expect(answers[0]?.Name).toBe(name);
    expect(answers[0]?.Tags).toEqual([{ Key: 'team', Value: 'a' }]);
    expect(answers[0]).not.toHaveProperty('$metadata');
    await getDescription(cache, name);
    expect(calls('DescribeSecret') - before).toBe(1);
    await getDescription(cache, name, { refresh: true });
    expect(calls('DescribeSecret') - before).toBe(2);
    expectNoCanary(answers[0]);
  });

  it('keeps the description a version-aware refresh fetched', async () => {
    const name = uniqueName('meta/version-aware');
    const { arn } = await createSecret(admin, { Name: name, SecretString: canary() });
    await using cache = new SecretCache({ client: admin, ttl: 200, jitter: 0, versionAware: true });
    await cache.get(name);
    await getDescription(cache, name);
    const next = await admin.send(new PutSecretValueCommand({ SecretId: name, SecretString: canary() }));
    await new Promise((resolve) => setTimeout(resolve, 250));
    await cache.get(name);
    // The expired read refreshed through DescribeSecret; that answer now serves getDescription().
    await expect.poll(() => cache.peek(name)?.versionId, { timeout: 10_000 }).toBe(next.VersionId);
    const before = calls('DescribeSecret');
    const description = await getDescription(cache, arn);
    expect(calls('DescribeSecret')).toBe(before);
    expect(Object.keys(description.VersionIdsToStages ?? {})).toContain(next.VersionId);
  });

  it('says since when a served value is stale, and nothing while it is fresh', async () => {
    const name = uniqueName('meta/stale');
    await createSecret(admin, { Name: name, SecretString: canary() });
    await using cache = new SecretCache({
      client: clientFor(server, { endpoint: proxy.endpoint }),
      ttl: 200,
      jitter: 0,
    });
    await cache.get(name);
    expect(cache.staleSince(name)).toBeUndefined();
    expect(cache.staleSince('never/read')).toBeUndefined();
    proxy.mode = 'refuse';
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stale = await cache.get(name);
      expect(stale.name).toBe(name);
      const since = cache.staleSince(name);
      expect(since).toBeInstanceOf(Date);
      expect(since?.getTime()).toBeLessThanOrEqual(Date.now());
    } finally {
      proxy.mode = 'pass';
    }
  });
});
