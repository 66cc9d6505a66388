import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import {
  canary,
  clientFor,
  expectNoCanary,
  type FaultProxy,
  startProxy,
  startTestServer,
} from '@coffer/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  getMany,
  type ReplicaFailover,
  replicaFailover,
  SecretCache,
  type SecretCacheEvents,
  type SecretCacheOptions,
  SecretNotFoundError,
  SecretsManagerUnavailableError,
  ThrottledError,
} from '../src/index.js';

/**
 * SecretCache failing over to replica regions, against the local server's own replicas: the primary
 * region (us-east-1) is reached through a fault proxy that can refuse or throttle every call; the
 * replica region (eu-west-1) is the same server, signed for eu-west-1.
 */
describe('SecretCache failover to replica regions', () => {
  let server: LocalSecretsManager;
  let proxy: FaultProxy;
  let admin: SecretsManagerClient;
  let primary: SecretsManagerClient;
  let replica: SecretsManagerClient;
  const caches: SecretCache[] = [];
  const values: Record<string, string> = {};
  const arns: Record<string, string> = {};

  /** Server-side count of GetSecretValue calls per region, from the audit log. */
  const servedByServer = () => {
    const counts: Record<string, number> = {};
    for (const entry of server.audit.recent()) {
      if (entry.operation !== 'GetSecretValue' && entry.operation !== 'BatchGetSecretValue') continue;
      if (entry.outcome !== 'success' || entry.region === undefined) continue;
      counts[entry.region] = (counts[entry.region] ?? 0) + 1;
    }
    return counts;
  };

  function newCache(options: SecretCacheOptions = {}) {
    const cache = new SecretCache({
      client: primary,
      replicas: replicaFailover([replica]),
      requestTimeout: 5_000,
      backoff: { initialMs: 50, maxMs: 100 },
      ...options,
    });
    caches.push(cache);
    const events: {
      apiCall: SecretCacheEvents['apiCall'][];
      refreshError: SecretCacheEvents['refreshError'][];
    } = {
      apiCall: [],
      refreshError: [],
    };
    cache.on('apiCall', (event) => events.apiCall.push(event));
    cache.on('refreshError', (event) => events.refreshError.push(event));
    return { cache, events };
  }

  beforeAll(async () => {
    server = await startTestServer();
    proxy = await startProxy(server.endpoint);
    admin = clientFor(server);
    primary = clientFor(server, { endpoint: proxy.endpoint, region: 'us-east-1' });
    replica = clientFor(server, { region: 'eu-west-1' });
    for (const name of ['fo/db', 'fo/api', 'fo/batch-1', 'fo/batch-2', 'fo/unreplicated']) {
      values[name] = canary();
      const created = await admin.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: values[name],
          ...(name !== 'fo/unreplicated' && { AddReplicaRegions: [{ Region: 'eu-west-1' }] }),
        }),
      );
      arns[name] = created.ARN ?? '';
    }
  });
  afterEach(async () => {
    proxy.mode = 'pass';
    await Promise.all(caches.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('reads from the primary region while it answers, and says so', async () => {
    const { cache, events } = newCache();
    const result = await cache.get('fo/db');
    expect(result.value.reveal()).toBe(values['fo/db']);
    expect(result.arn).toBe(arns['fo/db']);
    expect(cache.stats()).toMatchObject({ servedBy: { 'us-east-1': 1 }, failovers: 0 });
    expect(events.apiCall).toEqual([
      expect.objectContaining({ operation: 'GetSecretValue', ok: true, region: 'us-east-1' }),
    ]);
  });

  it('fails over to the replica when the primary region is unreachable, then skips it while it is down', async () => {
    // A backoff far longer than the test: under load, the default 50-100 ms could end before the next read.
    const { cache, events } = newCache({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await cache.get('fo/db');
    proxy.mode = 'refuse';
    const before = servedByServer()['eu-west-1'] ?? 0;
    const refreshed = await cache.refresh('fo/db');
    expect(refreshed.value.reveal()).toBe(values['fo/db']);
    // One entry per secret: a replica's answer keeps the primary region's ARN.
    expect(refreshed.arn).toBe(arns['fo/db']);
    expect(cache.stats()).toMatchObject({
      servedBy: { 'us-east-1': 1, 'eu-west-1': 1 },
      failovers: 1,
      entries: 1,
    });
    expect(events.apiCall.slice(-2)).toEqual([
      expect.objectContaining({ operation: 'GetSecretValue', ok: false, region: 'us-east-1' }),
      expect.objectContaining({ operation: 'GetSecretValue', ok: true, region: 'eu-west-1', failover: true }),
    ]);
    expect(servedByServer()['eu-west-1']).toBe(before + 1);

    // While the primary backs off, a cold read goes straight to the replica: nothing waits on the primary.
    const attempts = proxy.requests;
    const cold = await cache.get('fo/api');
    expect(cold.value.reveal()).toBe(values['fo/api']);
    expect(cold.arn).toBe(arns['fo/api']);
    expect(proxy.requests).toBe(attempts);
    // Asked by its ARN (the primary region's), the replica is asked by its own.
    const byArn = await cache.refresh(arns['fo/api'] ?? '');
    expect(byArn.arn).toBe(arns['fo/api']);
    expect(events.apiCall.at(-1)).toMatchObject({
      region: 'eu-west-1',
      secretId: arns['fo/api']?.replace(':us-east-1:', ':eu-west-1:'),
    });
    for (const event of events.apiCall) expectNoCanary(event, 'apiCall event');
  });

  it('fails over when the primary region throttles, and a batch read fails over as a whole', async () => {
    const { cache } = newCache();
    proxy.mode = 'throttle';
    const [one, two] = await getMany(cache, ['fo/batch-1', 'fo/batch-2']);
    expect(one?.value.reveal()).toBe(values['fo/batch-1']);
    expect(two?.arn).toBe(arns['fo/batch-2']);
    expect(cache.stats().servedBy).toEqual({ 'eu-west-1': 1 });
    expect(cache.stats().apiCalls).toMatchObject({ BatchGetSecretValue: 2 });
  });

  it('comes back to the primary region once it answers again', async () => {
    const { cache } = newCache();
    proxy.mode = 'refuse';
    await cache.get('fo/db');
    expect(cache.stats().servedBy).toEqual({ 'eu-west-1': 1 });
    proxy.mode = 'pass';
    // The primary was skipped for a backoff of at most 100 ms here; after it, it is asked first again.
    for (let i = 0; i < 100 && (cache.stats().servedBy['us-east-1'] ?? 0) === 0; i++) {
      await sleep(50);
      await cache.refresh('fo/db');
    }
    expect(cache.stats().servedBy['us-east-1']).toBeGreaterThan(0);
  });

  it('never fails over on not found or access denied: every region would say the same', async () => {
    const { cache, events } = newCache();
    const missing = await cache.get('fo/missing').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(SecretNotFoundError);
    expect(events.apiCall.map((e) => e.region)).toEqual(['us-east-1']);

    // A credential allowed in eu-west-1 only: the primary region denies, and the replica is not asked.
    const westOnly = server.addCredential({
      userName: 'west-only',
      policy: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: 'arn:aws:secretsmanager:eu-west-1:*',
          },
        ],
      },
    });
    const denied = new SecretCache({
      client: clientFor(server, { endpoint: proxy.endpoint, credentials: westOnly }),
      replicas: replicaFailover([clientFor(server, { region: 'eu-west-1', credentials: westOnly })]),
    });
    caches.push(denied);
    const calls: string[] = [];
    denied.on('apiCall', (event) => calls.push(`${event.region} ${event.ok}`));
    expect(await denied.get('fo/db').catch((error: unknown) => error)).toBeInstanceOf(AccessDeniedError);
    expect(calls).toEqual(['us-east-1 false']);
    expect(denied.stats().failovers).toBe(0);
  });

  it('when every region fails, reports the last one in refreshError and serves the last good value', async () => {
    const deadReplicaProxy = await startProxy(server.endpoint);
    try {
      const { cache, events } = newCache({
        replicas: replicaFailover([
          clientFor(server, { endpoint: deadReplicaProxy.endpoint, region: 'eu-west-1' }),
        ]),
        ttl: 60_000,
      });
      await cache.get('fo/db');
      proxy.mode = 'refuse';
      deadReplicaProxy.mode = 'refuse';
      const error = await cache.refresh('fo/db').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretsManagerUnavailableError);
      // The primary region's outage is the one reported; the apiCall events show every region tried.
      expect(events.refreshError.at(-1)).toMatchObject({
        secretId: 'fo/db',
        region: 'us-east-1',
        servingStale: true,
      });
      expect(events.apiCall.slice(-2).map((e) => [e.region, e.ok])).toEqual([
        ['us-east-1', false],
        ['eu-west-1', false],
      ]);
      // A secret that is not replicated: the replica's "not found" is no answer during the primary's outage.
      proxy.mode = 'throttle';
      deadReplicaProxy.mode = 'pass';
      const unreplicated = await cache.get('fo/unreplicated').catch((e: unknown) => e);
      expect(unreplicated).toBeInstanceOf(ThrottledError);
      expect(events.apiCall.slice(-2).map((e) => [e.region, e.ok])).toEqual([
        ['us-east-1', false],
        ['eu-west-1', false],
      ]);
      expect(await cache.get('fo/db').then((r) => r.value.reveal())).toBe(values['fo/db']);
    } finally {
      await deadReplicaProxy.close();
    }
  });

  it('follows the primary: a new value written there is read from the replica during an outage', async () => {
    const { cache } = newCache({ ttl: 60_000 });
    await cache.get('fo/api');
    const next = canary();
    await admin.send(new PutSecretValueCommand({ SecretId: 'fo/api', SecretString: next }));
    proxy.mode = 'refuse';
    const rotated: string[] = [];
    cache.on('rotated', ({ name }) => rotated.push(name));
    expect((await cache.refresh('fo/api')).value.reveal()).toBe(next);
    expect(rotated).toEqual(['fo/api']);
  });

  it('refuses replicas that are not SDK clients, with a clear TypeError', () => {
    expect(() => replicaFailover([{} as SecretsManagerClient])).toThrow(
      /replicaFailover takes a list of SecretsManagerClient/,
    );
    expect(() => replicaFailover('eu-west-1' as unknown as SecretsManagerClient[])).toThrow(TypeError);
    // A plain list of clients (what `replicas` took before replicaFailover) says what to write instead.
    const clients = [new SecretsManagerClient({ region: 'eu-west-1' })];
    expect(() => new SecretCache({ replicas: clients as unknown as ReplicaFailover })).toThrow(
      /replicas takes replicaFailover\(\[\.\.\.clients\]\)/,
    );
  });
});
