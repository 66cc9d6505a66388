import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DeleteSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import {
  canary,
  captureLogger,
  clientFor,
  createSecret,
  expectNoCanary,
  type FaultProxy,
  startProxy,
  startTestServer,
  uniqueName,
} from '@coffer/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AccessDeniedError,
  ClosedError,
  getMany,
  getSecret,
  SecretBatchError,
  SecretCache,
  type SecretCacheEvents,
  type SecretCacheOptions,
  SecretNotFoundError,
  type SecretResult,
  SecretScheduledForDeletionError,
  SecretsManagerUnavailableError,
  ThrottledError,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
let server: LocalSecretsManager;
let proxy: FaultProxy;
let admin: SecretsManagerClient;
/** Goes through the proxy, so tests can make Secrets Manager fail, hang or throttle. */
let viaProxy: SecretsManagerClient;
let throttle = false;
const caches: SecretCache[] = [];
const seen: unknown[] = [];
const consoleCalls: unknown[][] = [];

function newCache(options: SecretCacheOptions = {}): SecretCache {
  const cache = new SecretCache({ client: viaProxy, ...options });
  caches.push(cache);
  return cache;
}

const calls = () => server.audit.callCounts();
const reveal = (result: SecretResult<string>) => result.value.reveal();
const errorOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

async function put(secretId: string, value: string): Promise<string> {
  const out = await admin.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
  return out.VersionId ?? '';
}

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startProxy(server.endpoint);
  admin = clientFor(server);
  viaProxy = clientFor(server, { endpoint: proxy.endpoint });
  // A fault the local server cannot produce: AWS throttling, shaped as the SDK reports it.
  viaProxy.middlewareStack.add(
    (next) => async (args) => {
      if (throttle) {
        throw Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'testThrottle' },
  );
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleCalls.push(args);
    });
  }
});

afterEach(async () => {
  proxy.mode = 'pass';
  proxy.release();
  throttle = false;
  for (const cache of caches.splice(0)) {
    seen.push(cache.stats());
    await cache.close();
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  admin.destroy();
  viaProxy.destroy();
  await proxy.close();
  await server.close();
  for (const [i, thing] of seen.entries()) expectNoCanary(thing, `seen[${i}]`);
  for (const args of consoleCalls) expectNoCanary(args, 'console');
});

describe('SecretCache when Secrets Manager is slow, down or refusing', () => {
  it('serves the cached value at once while a refresh-ahead waits on a hung server', async () => {
    const name = uniqueName('slow');
    const first = canary();
    await createSecret(admin, { Name: name, SecretString: first });
    const cache = newCache({ ttl: 5000, jitter: 0, refreshAhead: 0.05 });
    expect(reveal(await cache.get(name))).toBe(first);
    proxy.mode = 'hold';
    // Past refreshAhead × ttl the background refresh starts, and hangs at the proxy.
    await vi.waitFor(() => expect(proxy.held).toBe(1));
    // get() does not wait for it (if it did, this would never resolve while the request is held).
    expect(reveal(await cache.get(name))).toBe(first);
    expect(reveal(await cache.get(name, { as: 'string' }))).toBe(first);
    expect(proxy.held).toBe(1);

    const second = canary();
    await put(name, second);
    proxy.mode = 'pass';
    proxy.release();
    await vi.waitFor(async () => expect(reveal(await cache.get(name))).toBe(second));
  });

  it('does not let a slow refresh that started earlier undo a forced refresh', async () => {
    const name = uniqueName('overtaken');
    const first = canary();
    const { versionId: firstVersion } = await createSecret(admin, { Name: name, SecretString: first });
    const cache = newCache({ ttl: 5000, jitter: 0, refreshAhead: 0.05 });
    const rotated = vi.fn<(event: SecretCacheEvents['rotated']) => void>();
    cache.on('rotated', rotated);
    await cache.get(name);
    // The background refresh reads the old value, and its answer is held on the way back.
    proxy.mode = 'holdResponse';
    await vi.waitFor(() => expect(proxy.held).toBe(1));
    const second = canary();
    const secondVersion = await put(name, second);
    proxy.mode = 'pass';
    expect(reveal(await cache.refresh(name))).toBe(second);
    proxy.release(); // the old answer arrives last
    await vi.waitFor(() => expect(calls().GetSecretValue).toBeGreaterThanOrEqual(3));
    await sleep(50);
    expect(reveal(await cache.get(name))).toBe(second);
    expect(rotated.mock.calls.map(([e]) => [e.previousVersionId, e.versionId])).toEqual([
      [firstVersion, secondVersion],
    ]);
  });

  it('serves the last good value up to maxStale while the server is down, then fails clearly', async () => {
    const name = uniqueName('outage');
    const value = canary();
    await createSecret(admin, { Name: name, SecretString: value });
    const logger = captureLogger();
    const cache = newCache({
      ttl: 200,
      jitter: 0,
      refreshAhead: 1,
      maxStale: 1000,
      backoff: { initialMs: 50, maxMs: 100 },
      logger,
    });
    const refreshErrors: SecretCacheEvents['refreshError'][] = [];
    cache.on('refreshError', (event) => refreshErrors.push(event));
    expect(reveal(await cache.get(name))).toBe(value);
    proxy.mode = 'refuse';

    let error: unknown;
    let staleReads = 0;
    for (let i = 0; i < 400 && error === undefined; i++) {
      try {
        expect(reveal(await cache.get(name))).toBe(value);
        if (cache.stats().staleServes > 0) staleReads++;
      } catch (e) {
        error = e;
      }
      await sleep(20);
    }
    expect(staleReads).toBeGreaterThan(5);
    expect(cache.stats().staleServes).toBeGreaterThan(5);
    expect(error).toBeInstanceOf(SecretsManagerUnavailableError);
    expect((error as Error).message).toMatch(/unavailable/i);
    expect(refreshErrors.some((e) => e.servingStale)).toBe(true);
    expect(refreshErrors[0]).toMatchObject({ secretId: name, servingStale: true });
    expect(refreshErrors[0]?.error).toBeInstanceOf(SecretsManagerUnavailableError);
    // Structured warnings name the secret and the failure, never the value.
    const warning = logger.calls.find((c) => c.level === 'warn');
    expect(warning?.fields).toMatchObject({
      secretId: name,
      code: 'SECRETS_MANAGER_UNAVAILABLE',
      servingStale: true,
    });
    expect(typeof warning?.fields.retryInMs).toBe('number');
    expect(warning?.message).toContain(name);
    expect(cache.peek(name)).toBeUndefined(); // past maxStale nothing is servable

    // Back up: the next read past the backoff fetches again.
    proxy.mode = 'pass';
    await vi.waitFor(async () => expect(reveal(await cache.get(name))).toBe(value));
    seen.push(error, refreshErrors, logger.calls);
  });

  it('keeps serving stale without waiting once the server is known to be failing, even if it then hangs', async () => {
    const name = uniqueName('hang');
    const value = canary();
    await createSecret(admin, { Name: name, SecretString: value });
    const cache = newCache({
      ttl: 200,
      jitter: 0,
      refreshAhead: 1,
      maxStale: 60_000,
      backoff: { initialMs: 20, maxMs: 40 },
    });
    await cache.get(name);
    proxy.mode = 'refuse';
    await sleep(250);
    expect(reveal(await cache.get(name))).toBe(value); // stale, after one refused refresh
    proxy.mode = 'hold';
    await vi.waitFor(async () => {
      expect(reveal(await cache.get(name))).toBe(value);
      expect(proxy.held).toBe(1);
    });
    for (let i = 0; i < 5; i++) expect(reveal(await cache.get(name))).toBe(value);
    expect(cache.stats().staleServes).toBeGreaterThanOrEqual(6);
  });

  it('spaces retries with exponential backoff however often it is read', async () => {
    const name = uniqueName('backoff');
    await createSecret(admin, { Name: name, SecretString: canary() });
    const cache = newCache({
      ttl: 100,
      jitter: 0,
      refreshAhead: 1,
      maxStale: 60_000,
      backoff: { initialMs: 100, maxMs: 400 },
    });
    await cache.get(name);
    proxy.mode = 'refuse';
    await sleep(150);
    proxy.requests = 0;
    let reads = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await cache.get(name);
      reads++;
      await sleep(5);
    }
    // Delays of at least 50, 100, 200, 200, ... ms: about 9 attempts in 1.5 s. Without backoff, one per read.
    expect(reads).toBeGreaterThan(100);
    expect(proxy.requests).toBeGreaterThanOrEqual(3);
    expect(proxy.requests).toBeLessThanOrEqual(14);

    // Cold secrets back off too: a failed first fetch is not retried on every read.
    const cold = newCache({ backoff: { initialMs: 100, maxMs: 400 } });
    proxy.requests = 0;
    const coldUntil = Date.now() + 1000;
    while (Date.now() < coldUntil) {
      expect(await errorOf(cold.get(name))).toBeInstanceOf(SecretsManagerUnavailableError);
      await sleep(5);
    }
    expect(proxy.requests).toBeGreaterThanOrEqual(2);
    expect(proxy.requests).toBeLessThanOrEqual(10);
    // refresh() bypasses the backoff.
    proxy.mode = 'pass';
    await expect(cold.refresh(name)).resolves.toBeDefined();
  });

  it('makes one batch call in an outage, not one call per secret', async () => {
    const names = Array.from({ length: 10 }, (_, i) => uniqueName(`outage-batch-${i}`));
    for (const name of names) await createSecret(admin, { Name: name, SecretString: canary() });
    const cache = newCache();
    proxy.mode = 'refuse';
    proxy.requests = 0;
    const error = await errorOf(getMany(cache, names));
    expect(error).toBeInstanceOf(SecretBatchError);
    const batchError = error as SecretBatchError;
    expect(batchError.errors.size).toBe(10);
    expect(batchError.errors.get(names[0] as string)).toBeInstanceOf(SecretsManagerUnavailableError);
    expect(proxy.requests).toBe(1);
    seen.push(error);
  });

  it('serves stale values while throttled, and reports ThrottledError when cold', async () => {
    const name = uniqueName('throttled');
    const value = canary();
    await createSecret(admin, { Name: name, SecretString: value });
    const cache = newCache({ ttl: 100, jitter: 0, refreshAhead: 1, backoff: { initialMs: 50, maxMs: 50 } });
    const refreshErrors: SecretCacheEvents['refreshError'][] = [];
    cache.on('refreshError', (event) => refreshErrors.push(event));
    await cache.get(name);
    throttle = true;
    const coldError = await errorOf(getSecret(name, { client: viaProxy }));
    expect(coldError).toBeInstanceOf(ThrottledError);
    expect((coldError as ThrottledError).code).toBe('THROTTLED');
    expect((coldError as Error).message).toMatch(/throttled GetSecretValue/);
    await sleep(150);
    expect(reveal(await cache.get(name))).toBe(value);
    expect(cache.stats().staleServes).toBeGreaterThanOrEqual(1);
    expect(refreshErrors[0]?.error).toBeInstanceOf(ThrottledError);
    expect(refreshErrors[0]?.servingStale).toBe(true);
    seen.push(coldError, refreshErrors);
  });

  it('maps real server answers to AccessDenied, NotFound and ScheduledForDeletion errors', async () => {
    const allowed = uniqueName('denied-ok');
    const blocked = uniqueName('denied-no');
    const { arn: allowedArn } = await createSecret(admin, { Name: allowed, SecretString: canary() });
    await createSecret(admin, { Name: blocked, SecretString: canary() });
    const restricted = server.addCredential({
      userName: 'cache-reader',
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: allowedArn }],
      },
    });
    const restrictedClient = clientFor(server, { credentials: restricted });
    try {
      const cache = newCache({ client: restrictedClient });
      await cache.get(allowed);
      const denied = await errorOf(cache.get(blocked));
      expect(denied).toBeInstanceOf(AccessDeniedError);
      const accessDenied = denied as AccessDeniedError;
      expect(accessDenied.action).toBe('secretsmanager:GetSecretValue');
      // As on AWS, the denial names the secret as it was asked for, not its ARN.
      expect(accessDenied.resource).toBe(blocked);
      expect(accessDenied.message).toContain(`allow secretsmanager:GetSecretValue on ${blocked}`);
      expect(accessDenied.secretId).toBe(blocked);
      // Without BatchGetSecretValue permission, getMany falls back to one GetSecretValue per secret.
      server.audit.resetCounts();
      const other = newCache({ client: restrictedClient });
      const [one] = await getMany(other, [allowed]);
      expect(one?.arn).toBe(allowedArn);
      expect(calls()).toEqual({ BatchGetSecretValue: 1, GetSecretValue: 1 });
      seen.push(denied);
    } finally {
      restrictedClient.destroy();
      server.removeCredential('cache-reader');
    }

    const cache = newCache();
    const missing = await errorOf(cache.get(uniqueName('missing')));
    expect(missing).toBeInstanceOf(SecretNotFoundError);
    expect((missing as SecretNotFoundError).code).toBe('SECRET_NOT_FOUND');

    const doomed = uniqueName('doomed');
    await createSecret(admin, { Name: doomed, SecretString: canary() });
    await cache.get(doomed);
    await admin.send(new DeleteSecretCommand({ SecretId: doomed, RecoveryWindowInDays: 7 }));
    const scheduled = await errorOf(cache.refresh(doomed));
    expect(scheduled).toBeInstanceOf(SecretScheduledForDeletionError);
    expect((scheduled as Error).message).toMatch(/RestoreSecret/);
    const cold = await errorOf(newCache().get(doomed));
    expect(cold).toBeInstanceOf(SecretScheduledForDeletionError);
    const direct = await errorOf(getSecret(doomed, { client: admin }));
    expect(direct).toBeInstanceOf(SecretScheduledForDeletionError);
    seen.push(missing, scheduled, cold, direct);
  });

  it('does not serve a deleted secret once its value expires', async () => {
    const name = uniqueName('deleted-expired');
    await createSecret(admin, { Name: name, SecretString: canary() });
    const cache = newCache({ ttl: 500, jitter: 0, refreshAhead: 1 });
    await cache.get(name);
    await admin.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    await sleep(700);
    const error = await errorOf(cache.get(name));
    expect(error).toBeInstanceOf(SecretScheduledForDeletionError);
    expect(cache.peek(name)).toBeUndefined();
    seen.push(error);
  });

  it('close() during a cold fetch answers the waiting caller and leaves nothing behind', async () => {
    const name = uniqueName('closing');
    const value = canary();
    await createSecret(admin, { Name: name, SecretString: value });
    const cache = newCache();
    proxy.mode = 'hold';
    const waiting = cache.get(name);
    await vi.waitFor(() => expect(proxy.held).toBe(1));
    const closing = cache.close();
    proxy.mode = 'pass';
    proxy.release();
    await closing;
    expect(reveal(await waiting)).toBe(value);
    expect(cache.stats().entries).toBe(0);
    expect(cache.peek(name)).toBeUndefined();
    await expect(cache.get(name)).rejects.toBeInstanceOf(ClosedError);
  });

  it('never keeps the process alive: a script with a warm cache exits on its own', async () => {
    const script = `
      const { SecretCache } = await import(${JSON.stringify(pathToFileURL(join(here, '../dist/index.js')).href)});
      const { startLocalSecretsManager } = await import(${JSON.stringify(pathToFileURL(join(here, '../../local/dist/index.js')).href)});
      const { SecretsManagerClient, CreateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
      const server = await startLocalSecretsManager({ port: 0, inMemory: true });
      const client = new SecretsManagerClient({ endpoint: server.endpoint, region: server.region, credentials: server.credentials, maxAttempts: 1 });
      await client.send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'x'.repeat(10) }));
      const cache = new SecretCache({ client, ttl: 200, jitter: 0, refreshAhead: 0.5, backoff: { initialMs: 50, maxMs: 100 } });
      cache.on('rotated', () => {}); // keeps the refresh timer armed even when nobody reads
      await cache.get('app/db');
      await server.close();
      // Let refreshes run and fail against the closed server, so retry timers are armed too.
      await new Promise((resolve) => setTimeout(resolve, 600));
      console.log('main done', JSON.stringify(cache.stats().apiCalls));
    `;
    const outcome = await new Promise<{ code: number | null; signal: string | null; stdout: string }>(
      (resolve) => {
        const child = execFile(
          process.execPath,
          ['--input-type=module', '-e', script],
          { cwd: join(here, '..'), timeout: 10_000, env: { ...process.env } },
          (_error, stdout) => resolve({ code: child.exitCode, signal: child.signalCode, stdout }),
        );
      },
    );
    expect(outcome.signal).toBeNull();
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('main done');
    // It did try to refresh after the server went away.
    expect(JSON.parse(outcome.stdout.split('main done ')[1] ?? '{}').GetSecretValue).toBeGreaterThanOrEqual(
      2,
    );
  });
});
