import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
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
  startTestServer,
  uniqueName,
} from '@coffer/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ClosedError,
  getDescription,
  getMany,
  InvalidSecretFormatError,
  Secret,
  SecretBatchError,
  SecretCache,
  type SecretCacheOptions,
  SecretNotFoundError,
  type SecretResult,
  type StandardSchemaV1,
} from '../src/index.js';

let server: LocalSecretsManager;
let admin: SecretsManagerClient;
let client: SecretsManagerClient;
const caches: SecretCache[] = [];
/** Everything a test got back (results, errors, stats): none of it may show a secret value. */
const seen: unknown[] = [];
const consoleCalls: unknown[][] = [];

function newCache(options: SecretCacheOptions = {}): SecretCache {
  const cache = new SecretCache({ client, ...options });
  caches.push(cache);
  return cache;
}

const calls = () => server.audit.callCounts();
const reveal = (result: SecretResult<string>) => result.value.reveal();

async function put(secretId: string, value: string, stages?: string[]): Promise<string> {
  const out = await admin.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      SecretString: value,
      ...(stages && { VersionStages: stages }),
    }),
  );
  return out.VersionId ?? '';
}

beforeAll(async () => {
  server = await startTestServer();
  admin = clientFor(server);
  client = clientFor(server);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleCalls.push(args);
    });
  }
});

afterEach(async () => {
  for (const cache of caches.splice(0)) {
    seen.push(cache.stats());
    await cache.close();
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  admin.destroy();
  client.destroy();
  await server.close();
  for (const [i, thing] of seen.entries()) expectNoCanary(thing, `seen[${i}]`);
  for (const args of consoleCalls) expectNoCanary(args, 'console');
});

describe('SecretCache against the local server', () => {
  it('has a leak check that notices a leaked value and lets a masked one pass', () => {
    const value = canary();
    expect(() => expectNoCanary({ nested: [value] })).toThrow(/leaked/);
    expect(() => expectNoCanary(new Error('x', { cause: new Error(value) }))).toThrow(/leaked/);
    expectNoCanary({ secret: new Secret(value) });
  });

  it('turns 1,000 concurrent cold reads of one secret into one GetSecretValue', async () => {
    const value = canary();
    const name = uniqueName('stampede');
    await createSecret(admin, { Name: name, SecretString: value });
    const cache = newCache();
    server.audit.resetCounts();
    const results = await Promise.all(Array.from({ length: 1000 }, () => cache.get(name)));
    expect(calls()).toEqual({ GetSecretValue: 1 });
    expect(new Set(results.map(reveal))).toEqual(new Set([value]));
    // Every caller gets the same ready, frozen result.
    expect(new Set(results).size).toBe(1);
    expect(cache.stats().apiCalls).toEqual({ GetSecretValue: 1 });
    seen.push(results[0]);
  });

  it('fetches again once the TTL has passed, and not before', async () => {
    const name = uniqueName('ttl');
    const first = canary();
    const second = canary();
    await createSecret(admin, { Name: name, SecretString: first });
    const cache = newCache({ ttl: 1000, jitter: 0, refreshAhead: 1 });
    server.audit.resetCounts();
    expect(reveal(await cache.get(name))).toBe(first);
    await put(name, second);
    server.audit.resetCounts();
    expect(reveal(await cache.get(name))).toBe(first);
    expect(calls().GetSecretValue).toBeUndefined();
    await sleep(1200);
    expect(reveal(await cache.get(name))).toBe(second);
    expect(calls().GetSecretValue).toBeGreaterThanOrEqual(1);
  });

  it('refreshes a value read near expiry in the background, and only when read', async () => {
    const name = uniqueName('ahead');
    const first = canary();
    const second = canary();
    await createSecret(admin, { Name: name, SecretString: first });
    const cache = newCache({ ttl: 4000, jitter: 0, refreshAhead: 0.25 });
    expect(reveal(await cache.get(name))).toBe(first);
    await put(name, second);
    // It was read, so at refreshAhead × ttl the next value is fetched before anyone has to wait for it.
    // stats().refreshes counts a refresh when it starts; wait until its value has landed.
    await vi.waitFor(() => expect(cache.peek(name)?.value.reveal()).toBe(second), { timeout: 5000 });
    expect(cache.stats().refreshes).toBe(1);
    server.audit.resetCounts();
    expect(reveal(await cache.get(name))).toBe(second);
    expect(calls()).toEqual({});
    await cache.close();

    // Not read since a refresh: the next refresh-ahead point passes without a call.
    const unread = newCache({ ttl: 4000, jitter: 0, refreshAhead: 0.1 });
    server.audit.resetCounts();
    await getMany(unread, [name]);
    await vi.waitFor(() => expect(unread.stats().refreshes).toBe(1)); // at 400 ms: read once, refreshed
    await sleep(700); // past the next point (~800 ms): nobody read since, so no call
    expect(calls()).toEqual({ BatchGetSecretValue: 1, GetSecretValue: 1 });
    expect(unread.stats().refreshes).toBe(1);
  });

  it('evicts the least recently used secret beyond maxEntries', async () => {
    const names = ['a', 'b', 'c', 'd'].map((n) => uniqueName(`lru-${n}`));
    for (const name of names) await createSecret(admin, { Name: name, SecretString: canary() });
    const [a, b, c, d] = names as [string, string, string, string];
    const cache = newCache({ maxEntries: 3 });
    await cache.get(a);
    await cache.get(b);
    await cache.get(c);
    await cache.get(a); // a is now more recent than b and c
    await cache.get(d); // evicts b
    expect(cache.stats()).toMatchObject({ entries: 3, evictions: 1 });
    expect(cache.peek(b)).toBeUndefined();
    expect(cache.peek(a)).toBeDefined();
    server.audit.resetCounts();
    await cache.get(a);
    await cache.get(d);
    expect(calls().GetSecretValue).toBeUndefined();
    await cache.get(b); // back in, evicting c
    expect(calls()).toEqual({ GetSecretValue: 1 });
    expect(cache.peek(c)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 3, evictions: 2 });
  });

  it('detects a rotation on refresh() and emits rotated with both version ids', async () => {
    const name = uniqueName('rotate');
    const created = await createSecret(admin, { Name: name, SecretString: canary() });
    const logger = captureLogger();
    const cache = newCache({ logger });
    const rotated = vi.fn();
    cache.on('rotated', rotated);
    const before = await cache.get(name);
    expect(before.versionId).toBe(created.versionId);
    const next = canary();
    const newVersion = await put(name, next);
    // refresh() bypasses freshness: the cached value is fresh, yet the new one comes back.
    const after = await cache.refresh(name);
    expect(reveal(after)).toBe(next);
    expect(rotated).toHaveBeenCalledTimes(1);
    expect(rotated).toHaveBeenCalledWith(
      expect.objectContaining({
        name,
        arn: created.arn,
        previousVersionId: created.versionId,
        versionId: newVersion,
      }),
    );
    expect(reveal(await cache.get(name))).toBe(next);
    // A refresh that finds the same version is not a rotation.
    await cache.refresh(name);
    expect(rotated).toHaveBeenCalledTimes(1);
    seen.push(logger.calls, rotated.mock.calls);
  });

  it('with versionAware, checks with DescribeSecret and fetches the value only when AWSCURRENT moved', async () => {
    const name = uniqueName('version-aware');
    const first = canary();
    await createSecret(admin, { Name: name, SecretString: first });
    const cache = newCache({ ttl: 200, jitter: 0, refreshAhead: 1, versionAware: true });
    const rotated = vi.fn();
    cache.on('rotated', rotated);
    await cache.get(name);
    server.audit.resetCounts();
    await sleep(300);
    expect(reveal(await cache.get(name))).toBe(first);
    expect(calls().DescribeSecret).toBeGreaterThanOrEqual(1);
    expect(calls().GetSecretValue).toBeUndefined();

    const second = canary();
    // Reset before the put: a refresh ahead already in flight may check the version between the
    // put and the next line, and its DescribeSecret belongs to this rotation.
    server.audit.resetCounts();
    const newVersion = await put(name, second);
    await vi.waitFor(async () => expect(reveal(await cache.get(name))).toBe(second));
    expect(calls().DescribeSecret).toBeGreaterThanOrEqual(1);
    expect(calls().GetSecretValue).toBe(1);
    expect(rotated).toHaveBeenCalledTimes(1);
    expect(rotated.mock.calls[0]?.[0]).toMatchObject({ versionId: newVersion });
    expect(cache.stats().apiCalls.DescribeSecret).toBeGreaterThanOrEqual(2);
  });

  it('reads binary secrets as bytes, JSON secrets as frozen objects and fields()', async () => {
    const binName = uniqueName('binary');
    const bytes = new Uint8Array([0xff, 0xfe, 0, 1, 2, ...Buffer.from(canary())]);
    await admin.send(new CreateSecretCommand({ Name: binName, SecretBinary: bytes }));
    const jsonName = uniqueName('json');
    const password = canary();
    const username = canary();
    await createSecret(admin, {
      Name: jsonName,
      SecretString: JSON.stringify({ username, password, db: { port: 5432, host: canary() } }),
    });
    const cache = newCache();

    const bin = await cache.get(binName, { as: 'bytes' });
    expect(Buffer.from(bin.value.reveal()).equals(Buffer.from(bytes))).toBe(true);
    // Bytes are copied on every reveal: writing to one copy changes nothing.
    const copy = bin.value.reveal();
    copy.fill(0);
    expect(bin.value.reveal()).not.toBe(copy);
    expect(Buffer.from(bin.value.reveal()).equals(Buffer.from(bytes))).toBe(true);
    expect(
      Buffer.from((await cache.get(binName, { as: 'bytes' })).value.reveal()).equals(Buffer.from(bytes)),
    ).toBe(true);
    // Not UTF-8: as a string it is a format error, not mojibake.
    const notText = await cache.get(binName).catch((e: unknown) => e);
    expect(notText).toBeInstanceOf(InvalidSecretFormatError);

    const json = await cache.get(jsonName, { as: 'json' });
    const value = json.value.reveal();
    expect(value).toEqual({ username, password, db: { port: 5432, host: expect.any(String) } });
    expect(Object.isFrozen(json)).toBe(true);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.db)).toBe(true);
    expect(Object.isFrozen(json.versionStages)).toBe(true);
    expect(() => {
      (value as Record<string, unknown>).password = 'changed';
    }).toThrow(TypeError);
    const fields = json.value.fields();
    expect(fields.password?.reveal()).toBe(password);
    expect(inspect(fields)).not.toContain(password);
    // The same secret as a string and as bytes is still one entry.
    expect(JSON.parse(reveal(await cache.get(jsonName))).username).toBe(username);
    expect(cache.stats().entries).toBe(2);
    seen.push(bin, json, fields, notText);
  });

  it('validates JSON with a Standard Schema, and its failures name paths, never values', async () => {
    const name = uniqueName('schema');
    const password = canary();
    const badPort = canary();
    await createSecret(admin, { Name: name, SecretString: JSON.stringify({ password, port: 5432 }) });
    type Db = { password: string; port: number };
    const validations = vi.fn();
    const dbSchema: StandardSchemaV1<unknown, Db> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate(input) {
          validations();
          const v = input as Record<string, unknown>;
          const issues: StandardSchemaV1.Issue[] = [];
          // Like some real validators, quote what was received.
          if (typeof v.password !== 'string')
            issues.push({
              message: `expected a string, got ${JSON.stringify(v.password)}`,
              path: ['password'],
            });
          if (typeof v.port !== 'number')
            issues.push({ message: `expected a number, got "${String(v.port)}"`, path: [{ key: 'port' }] });
          return issues.length > 0
            ? { issues }
            : { value: { password: String(v.password), port: Number(v.port) } };
        },
      },
    };
    const cache = newCache();
    const ok = await cache.get(name, { schema: dbSchema });
    expect(ok.value.reveal()).toEqual({ password, port: 5432 });
    expect(Object.isFrozen(ok.value.reveal())).toBe(true);
    // Validated once per value, then served from the cache.
    await cache.get(name, { schema: dbSchema });
    expect(validations).toHaveBeenCalledTimes(1);

    await put(name, JSON.stringify({ password: 42, port: badPort }));
    const error = await cache.refresh(name, { schema: dbSchema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSecretFormatError);
    const formatError = error as InvalidSecretFormatError;
    expect(formatError.paths).toEqual(['password', 'port']);
    expect(formatError.message).toContain(name);
    expect(formatError.message).not.toContain(badPort);
    // A failed validation is not remembered: a fixed value validates on the next read.
    await put(name, JSON.stringify({ password, port: 6543 }));
    expect((await cache.refresh(name, { schema: dbSchema })).value.reveal().port).toBe(6543);
    seen.push(ok, error);
  });

  it('keeps one entry per secret whether it is named by name, full ARN or partial ARN', async () => {
    const name = uniqueName('aliases');
    const value = canary();
    const { arn } = await createSecret(admin, { Name: name, SecretString: value });
    const cache = newCache();
    server.audit.resetCounts();
    expect(reveal(await cache.get(name))).toBe(value);
    expect(reveal(await cache.get(arn))).toBe(value);
    expect(reveal(await cache.get(arn.slice(0, -7)))).toBe(value);
    expect(calls()).toEqual({ GetSecretValue: 1 });
    expect(cache.stats().entries).toBe(1);
    // Starting from the ARN works too, and invalidating by any name drops the one entry.
    expect(cache.peek(name)).toBeDefined();
    cache.invalidate(arn);
    expect(cache.peek(name)).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });

  it('caches explicit stages separately from AWSCURRENT', async () => {
    const name = uniqueName('stages');
    const v1 = canary();
    const v2 = canary();
    const v3 = canary();
    await createSecret(admin, { Name: name, SecretString: v1 });
    await put(name, v2); // v1 becomes AWSPREVIOUS
    const pendingVersion = await put(name, v3, ['AWSPENDING']);
    const cache = newCache();
    server.audit.resetCounts();
    expect(reveal(await cache.get(name))).toBe(v2);
    expect(reveal(await cache.get(name, { versionStage: 'AWSCURRENT' }))).toBe(v2);
    expect(reveal(await cache.get(name, { versionStage: 'AWSPREVIOUS' }))).toBe(v1);
    const pending = await cache.get(name, { versionStage: 'AWSPENDING' });
    expect(reveal(pending)).toBe(v3);
    expect(pending.versionStages).toContain('AWSPENDING');
    expect(reveal(await cache.get(name, { versionId: pendingVersion }))).toBe(v3);
    expect(calls()).toEqual({ GetSecretValue: 4 });
    expect(cache.stats().entries).toBe(4);
    // Warm reads of each stage call nothing.
    server.audit.resetCounts();
    await cache.get(name, { versionStage: 'AWSPREVIOUS' });
    await cache.get(name, { versionStage: 'AWSPENDING' });
    expect(calls()).toEqual({});
    expect(reveal(cache.peek(name, { versionStage: 'AWSPREVIOUS' }) as SecretResult<string>)).toBe(v1);
  });

  it('getMany fetches cold secrets with BatchGetSecretValue, 20 at a time', async () => {
    const names = Array.from({ length: 45 }, (_, i) => uniqueName(`batch-${i}`));
    const values = new Map<string, string>();
    for (const name of names) {
      values.set(name, canary());
      await createSecret(admin, { Name: name, SecretString: values.get(name) });
    }
    const cache = newCache();
    server.audit.resetCounts();
    const results = await getMany(cache, names);
    expect(calls()).toEqual({ BatchGetSecretValue: 3 });
    expect(results.map(reveal)).toEqual(names.map((n) => values.get(n)));
    expect(cache.stats().entries).toBe(45);
    server.audit.resetCounts();
    await getMany(cache, names);
    await cache.get(names[44] as string);
    expect(calls()).toEqual({});
    seen.push(results);
  });

  it('lets get() share a getMany batch in flight', async () => {
    const names = Array.from({ length: 5 }, (_, i) => uniqueName(`share-${i}`));
    for (const name of names) await createSecret(admin, { Name: name, SecretString: canary() });
    const cache = newCache();
    server.audit.resetCounts();
    const many = getMany(cache, names);
    const one = cache.get(names[2] as string);
    const jsonOne = cache.get(names[3] as string, { as: 'bytes' });
    const [results, single] = await Promise.all([many, one, jsonOne]);
    expect(calls()).toEqual({ BatchGetSecretValue: 1 });
    expect(single.value.reveal()).toBe(results[2]?.value.reveal());
  });

  it('getMany names the secrets it could not read in a SecretBatchError', async () => {
    const found = uniqueName('batch-found');
    const missing = uniqueName('batch-missing');
    const value = canary();
    await createSecret(admin, { Name: found, SecretString: value });
    const cache = newCache();
    server.audit.resetCounts();
    const error = await getMany(cache, [found, missing]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretBatchError);
    const batchError = error as SecretBatchError;
    expect(batchError.message).toContain(missing);
    expect(batchError.message).not.toContain(found);
    expect(batchError.errors.get(missing)).toBeInstanceOf(SecretNotFoundError);
    expect(batchError.results.get(found)?.value.reveal()).toBe(value);
    // The batch already said it is missing: no second call per missing secret.
    expect(calls()).toEqual({ BatchGetSecretValue: 1 });
    seen.push(error);
  });

  it('never caches a failure as a value', async () => {
    const name = uniqueName('later');
    const cache = newCache();
    const notFound = await cache.get(name).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(SecretNotFoundError);
    expect(cache.peek(name)).toBeUndefined();
    const value = canary();
    await createSecret(admin, { Name: name, SecretString: value });
    expect(reveal(await cache.get(name))).toBe(value);
    const next = canary();
    await put(name, next);
    expect(reveal(await cache.get(name))).toBe(value); // still fresh
    expect(reveal(await cache.refresh(name))).toBe(next);
    seen.push(notFound);
  });

  it('peek() returns nothing when cold and the value when warm; stats() counts', async () => {
    const name = uniqueName('peek');
    const value = canary();
    await createSecret(admin, { Name: name, SecretString: value });
    const cache = newCache();
    expect(cache.peek(name)).toBeUndefined();
    server.audit.resetCounts();
    expect(calls()).toEqual({});
    await cache.get(name);
    const peeked = cache.peek(name);
    expect(peeked && reveal(peeked)).toBe(value);
    expect(cache.peek(name, { as: 'json' })).toBeUndefined(); // not JSON: nothing to peek, no throw
    await cache.get(name);
    await cache.get(name);
    const stats = cache.stats();
    expect(stats).toMatchObject({ misses: 1, hits: 2, entries: 1, errors: 0, staleServes: 0, evictions: 0 });
    expect(stats.apiCalls).toEqual({ GetSecretValue: 1 });
    await cache.get(uniqueName('nope')).catch(() => {});
    expect(cache.stats()).toMatchObject({ misses: 2, errors: 1 });
  });

  it('getMany and getDescription refuse anything but a SecretCache with a TypeError that says what to pass', async () => {
    await expect(getMany({} as SecretCache, ['x'])).rejects.toThrow(
      /getMany takes a SecretCache as its first argument/,
    );
    await expect(getDescription(undefined as unknown as SecretCache, 'x')).rejects.toThrow(
      /getDescription takes a SecretCache/,
    );
  });

  it('rejects every read after close() or Symbol.asyncDispose with ClosedError', async () => {
    const name = uniqueName('closed');
    await createSecret(admin, { Name: name, SecretString: canary() });
    const cache = newCache();
    await cache.get(name);
    await cache[Symbol.asyncDispose]();
    await expect(cache.get(name)).rejects.toBeInstanceOf(ClosedError);
    await expect(cache.get(name, { as: 'json' })).rejects.toBeInstanceOf(ClosedError);
    await expect(cache.refresh(name)).rejects.toBeInstanceOf(ClosedError);
    await expect(getMany(cache, [name])).rejects.toBeInstanceOf(ClosedError);
    await expect(getDescription(cache, name)).rejects.toBeInstanceOf(ClosedError);
    expect(cache.peek(name)).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
    await cache.close(); // idempotent

    const other = new SecretCache({ client });
    await other.close();
    await expect(other.get(name)).rejects.toThrow(/closed/);
  });

  it('a partial ARN is never answered with another secret whose name extends it', async () => {
    const base = uniqueName('cache/db');
    const mine = canary();
    const other = canary();
    const { arn } = await createSecret(client, { Name: base, SecretString: mine });
    await createSecret(client, { Name: `${base}-2`, SecretString: other });
    const partial = arn.slice(0, -7);
    await using cache = new SecretCache({ client: client });
    const [second, first] = await getMany(cache, [`${base}-2`, partial]);
    expect(second?.value.reveal()).toBe(other);
    expect(first?.value.reveal()).toBe(mine);
    expect(first?.name).toBe(base);
  });
});
