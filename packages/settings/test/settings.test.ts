import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, startTestServer } from '@coffer/testing';
import { Secret, SecretCache } from 'coffer';
import * as v from 'valibot';
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineSettings, SettingsError, secret } from '../src/index.js';

const canary = () => `canary-${randomUUID()}`;

describe('settings', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  let dir: string;
  const canaries: string[] = [];
  const leak = (value: string) => {
    canaries.push(value);
    return value;
  };

  const createSecret = async (name: string, value: unknown) =>
    client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: typeof value === 'string' ? value : JSON.stringify(value),
      }),
    );

  /** Every way a loaded object or an error could show a value. */
  const expectNoCanary = (...things: unknown[]) => {
    for (const thing of things) {
      const texts = [String(thing), inspect(thing, { depth: 10 }), JSON.stringify(thing) ?? ''];
      if (thing instanceof Error) texts.push(thing.message, inspect(thing.cause, { depth: 10 }));
      for (const text of texts) for (const value of canaries) expect(text).not.toContain(value);
    }
  };

  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-settings-'));
    return () => rmSync(dir, { recursive: true, force: true });
  });

  it('applies the precedence override > env > .env > Secrets Manager > default, for every combination', async () => {
    await createSecret('prec/value', { level: 'secret' });
    const sources = ['override', 'env', 'dotenv', 'secret'] as const;
    for (let mask = 0; mask < 16; mask++) {
      const on = (s: (typeof sources)[number]) => (mask & (1 << sources.indexOf(s))) !== 0;
      writeFileSync(join(dir, '.env'), on('dotenv') ? 'LEVEL=dotenv\n' : '');
      const settings = defineSettings({
        schema: { level: z.string().default('default') },
        env: { source: on('env') ? { LEVEL: 'env' } : {} },
        dotenv: { cwd: dir },
        ...(on('secret') && { secrets: { level: 'prec/value#level' } }),
        cache: new SecretCache({ client }),
      });
      const expected = sources.find(on) ?? 'default';
      const loaded = await settings.load(on('override') ? { level: 'override' } : undefined);
      expect({ mask, level: loaded.level }).toEqual({ mask, level: expected });
    }
  });

  it('never calls Secrets Manager for a field an env var overrides, so local development needs no AWS', async () => {
    server.audit.resetCounts();
    const settings = defineSettings({
      schema: { database: { password: secret(z.string()) } },
      env: { source: { DATABASE__PASSWORD: 'local-dev-password' } },
      dotenv: false,
      secrets: { database: { password: 'nowhere/at-all#password' } },
      cache: new SecretCache({ client }),
    });
    const loaded = await settings.load();
    expect(loaded.database.password.reveal()).toBe('local-dev-password');
    expect(server.audit.callCounts()).toEqual({});
  });

  it('reads .env files in order (.env < .env.local < .env.<NODE_ENV> < .env.<NODE_ENV>.local) without touching process.env', async () => {
    writeFileSync(
      join(dir, '.env'),
      '# base\nA=base\nB=base\nC=base\nD=base\nQUOTED="two words"\nexport EXPORTED=yes\n',
    );
    writeFileSync(join(dir, '.env.local'), 'B=local\nC=local\nD=local\n');
    writeFileSync(join(dir, '.env.test'), 'C=test\nD=test\n');
    writeFileSync(join(dir, '.env.test.local'), 'D=test-local\n');
    const settings = defineSettings({
      schema: {
        a: z.string(),
        b: z.string(),
        c: z.string(),
        d: z.string(),
        quoted: z.string(),
        exported: z.string(),
      },
      env: { source: { NODE_ENV: 'test' } },
      dotenv: { cwd: dir },
    });
    expect(await settings.load()).toEqual({
      a: 'base',
      b: 'local',
      c: 'test',
      d: 'test-local',
      quoted: 'two words',
      exported: 'yes',
    });
    expect(process.env.A).toBeUndefined();
    await expect(
      defineSettings({ schema: { a: z.string() }, dotenv: { cwd: dir, files: ['.env.missing'] } }).load(),
    ).rejects.toThrow(/does not exist/);
  });

  it('maps a key of a JSON secret, a whole JSON secret onto a nested object, and asm:// or ARN references in env vars', async () => {
    const password = leak(canary());
    const apiKey = leak(canary());
    const token = leak(canary());
    const db = await createSecret('map/db', { host: 'db.internal', port: 5432, username: 'app', password });
    await createSecret('map/api', { key: apiKey });
    await createSecret('map/token', token);
    const settings = defineSettings({
      schema: {
        database: { host: z.string(), port: z.number(), username: z.string(), password: secret(z.string()) },
        apiKey: secret(z.string()),
        token: secret(z.string()),
        fromArn: secret(z.string()),
        fromEcsArn: secret(z.string()),
      },
      env: {
        prefix: 'APP_',
        source: {
          APP_TOKEN: 'asm://map/token',
          APP_FROM_ARN: `${db.ARN}#password`,
          APP_FROM_ECS_ARN: `${db.ARN}:password::`,
          UNRELATED: 'ignored',
        },
      },
      dotenv: false,
      secrets: { database: 'map/db', apiKey: 'map/api#key' },
      cache: new SecretCache({ client }),
    });
    const loaded = await settings.load();
    expect(loaded.database.host).toBe('db.internal');
    expect(loaded.database.port).toBe(5432);
    expect(loaded.database.password).toBeInstanceOf(Secret);
    expect(loaded.database.password.reveal()).toBe(password);
    expect(loaded.apiKey.reveal()).toBe(apiKey);
    expect(loaded.token.reveal()).toBe(token);
    expect(loaded.fromArn.reveal()).toBe(password);
    expect(loaded.fromEcsArn.reveal()).toBe(password);
    expectTypeOf(loaded.database.password).toEqualTypeOf<Secret<string>>();
    expectTypeOf(loaded.database.port).toEqualTypeOf<number>();
    expect(Object.isFrozen(loaded)).toBe(true);
    expect(Object.isFrozen(loaded.database)).toBe(true);
    expectNoCanary(loaded);
  });

  it('selects versions and stages in references', async () => {
    const first = await createSecret('map/versioned', { password: 'first' });
    await client.send(
      new PutSecretValueCommand({
        SecretId: 'map/versioned',
        SecretString: JSON.stringify({ password: 'second' }),
      }),
    );
    const loaded = await defineSettings({
      schema: { current: z.string(), previous: z.string(), pinned: z.string() },
      env: {
        source: {
          CURRENT: 'asm://map/versioned#password',
          PREVIOUS: 'asm://map/versioned?stage=AWSPREVIOUS#password',
          PINNED: `asm://map/versioned?version=${first.VersionId}#password`,
        },
      },
      dotenv: false,
      cache: new SecretCache({ client }),
    }).load();
    expect(loaded).toEqual({ current: 'second', previous: 'first', pinned: 'first' });
  });

  it('fetches 10 fields across 3 secrets with one BatchGetSecretValue (counted by the server)', async () => {
    await createSecret('batch/a', { f1: '1', f2: '2', f3: '3', f4: '4' });
    await createSecret('batch/b', { f5: '5', f6: '6', f7: '7' });
    await createSecret('batch/c', { f8: '8', f9: '9', f10: '10' });
    const fields = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i + 1}`, z.string()]));
    const secrets = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [
        `f${i + 1}`,
        `${i < 4 ? 'batch/a' : i < 7 ? 'batch/b' : 'batch/c'}#f${i + 1}`,
      ]),
    );
    server.audit.resetCounts();
    const loaded = await defineSettings({
      schema: fields,
      env: false,
      secrets,
      cache: new SecretCache({ client }),
    }).load();
    expect(Object.values(loaded)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(server.audit.callCounts()).toEqual({ BatchGetSecretValue: 1 });
  });

  it('converts env strings to the numbers, booleans and objects the schema wants, with zod, valibot or a whole schema', async () => {
    const shape = defineSettings({
      schema: {
        port: z.number().int(),
        debug: v.boolean(),
        limits: z.object({ rps: z.number() }),
        name: v.string(),
      },
      env: { source: { PORT: '8080', DEBUG: 'true', LIMITS: '{"rps": 5}', NAME: '42' } },
      dotenv: false,
    });
    expect(await shape.load()).toEqual({ port: 8080, debug: true, limits: { rps: 5 }, name: '42' });

    const whole = defineSettings({
      schema: z.object({ port: z.number(), apiKey: z.string(), database: z.object({ host: z.string() }) }),
      env: {
        prefix: 'SVC_',
        source: { SVC_PORT: '9000', SVC_API_KEY: 'k', SVC_DATABASE__HOST: 'h', PORT: '1' },
      },
      dotenv: false,
    });
    const loaded = await whole.load();
    expect(loaded).toEqual({ port: 9000, apiKey: 'k', database: { host: 'h' } });
    expectTypeOf(loaded.port).toEqualTypeOf<number>();
  });

  it('reports every bad field in one SettingsError with where each value came from, never the value', async () => {
    const password = leak(canary());
    const badPort = leak(`port-${canary()}`);
    await createSecret('errors/db', { password, user: 'app' });
    writeFileSync(join(dir, '.env'), '# comment\n\nMODE=fast\n');
    const error = await defineSettings({
      schema: {
        port: z.number(),
        mode: z.enum(['safe', 'strict']),
        apiKey: z.string(),
        database: { password: secret(z.string().min(100)), user: z.string(), missing: z.string() },
      },
      env: { source: { PORT: badPort } },
      dotenv: { cwd: dir },
      secrets: { database: 'errors/db' },
      cache: new SecretCache({ client }),
    })
      .load()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsError);
    const issues = (error as SettingsError).issues;
    expect(issues.map((i) => i.path).sort()).toEqual([
      'apiKey',
      'database.missing',
      'database.password',
      'mode',
      'port',
    ]);
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath.port?.source).toBe('env var PORT');
    expect(byPath.mode?.source).toBe('.env:3 (MODE)');
    expect(byPath.apiKey?.source).toMatch(/not set; looked for env var API_KEY/);
    expect(byPath['database.password']?.source).toBe('secret errors/db');
    expect((error as SettingsError).code).toBe('INVALID_SETTINGS');
    expect((error as Error).message).toMatch(/5 problems/);
    expectNoCanary(error);
  });

  it('fails clearly when a secret is missing or Secrets Manager is down, naming the secret and the fields', async () => {
    const missing = await defineSettings({
      schema: { password: z.string(), optional: z.string().optional(), withDefault: z.string().default('d') },
      env: false,
      secrets: { password: 'nope/db#password', optional: 'nope/db#x', withDefault: 'nope/db#y' },
      cache: new SecretCache({ client }),
    })
      .load()
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SettingsError);
    expect((missing as SettingsError).issues).toEqual([
      {
        path: 'password',
        source: 'secret nope/db#password',
        message: expect.stringMatching(/could not be read: Secret "nope\/db" was not found/),
      },
    ]);

    const down = await startTestServer();
    const offline = clientFor(down);
    await down.close();
    const unavailable = await defineSettings({
      schema: { database: { user: z.string(), password: secret(z.string()) } },
      env: false,
      secrets: { database: 'prod/db' },
      cache: new SecretCache({ client: offline }),
    })
      .load()
      .catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(SettingsError);
    const message = (unavailable as Error).message;
    expect(message).toMatch(
      /database\.user \(secret prod\/db\): secret prod\/db could not be read: Secrets Manager is unavailable/,
    );
    expect(message).toMatch(/database\.password/);
  });

  it('watch() re-validates after a real PutSecretValue, reports changed paths, and keeps the old object on an invalid version', async () => {
    const first = leak(canary());
    const second = leak(canary());
    await createSecret('watch/db', { password: first, pool: 5 });
    const cache = new SecretCache({ client, ttl: 100_000 });
    const settings = defineSettings({
      schema: { database: { password: secret(z.string()), pool: z.number().max(50) } },
      env: false,
      secrets: { database: 'watch/db' },
      cache,
    });
    const loaded = await settings.load();
    const changes: { settings: typeof loaded; paths: string[] }[] = [];
    const errors: unknown[] = [];
    const logLines: unknown[] = [];
    const stop = settings.watch((next, paths) => changes.push({ settings: next, paths }), {
      onError: (e) => errors.push(e),
    });
    await new Promise((r) => setTimeout(r, 50)); // let watch() take its baseline

    await client.send(
      new PutSecretValueCommand({
        SecretId: 'watch/db',
        SecretString: JSON.stringify({ password: second, pool: 5 }),
      }),
    );
    await cache.refresh('watch/db');
    await expect.poll(() => changes.length).toBe(1);
    expect(changes[0]?.paths).toEqual(['database.password']);
    expect(changes[0]?.settings.database.password.reveal()).toBe(second);

    await client.send(
      new PutSecretValueCommand({
        SecretId: 'watch/db',
        SecretString: JSON.stringify({ password: second, pool: 500 }),
      }),
    );
    await cache.refresh('watch/db');
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toBeInstanceOf(SettingsError);
    expect(changes).toHaveLength(1);
    stop();
    await cache.close();
    expectNoCanary(...changes.map((c) => c.settings), ...errors, logLines);
  });

  it('masks secret fields and values from Secrets Manager in inspect, JSON, errors and logs', async () => {
    const password = leak(canary());
    await createSecret('mask/db', { password, host: 'h' });
    const lines: string[] = [];
    const logger = {
      warn: (fields: object, message: string) => lines.push(JSON.stringify(fields) + message),
    };
    const settings = defineSettings({
      schema: { password: secret(z.string()), host: z.string() },
      env: false,
      secrets: { password: 'mask/db#password', host: 'mask/db#host' },
      cache: new SecretCache({ client, logger }),
      logger,
    });
    const loaded = await settings.load();
    expect(String(loaded.password)).toBe('*****');
    expect(JSON.stringify(loaded)).toBe('{"password":"*****","host":"h"}');
    // A value from Secrets Manager that fails validation is not echoed, even in a field not marked secret.
    const wrongType = await defineSettings({
      schema: { password: z.number() },
      env: false,
      secrets: { password: 'mask/db#password' },
      cache: new SecretCache({ client }),
    })
      .load()
      .catch((e: unknown) => e);
    expect(wrongType).toBeInstanceOf(SettingsError);
    expectNoCanary(loaded, wrongType, lines);
  });

  it('works in a Lambda cold start: defining costs nothing, and load() is lazy', async () => {
    await createSecret('lambda/key', 'k');
    server.audit.resetCounts();
    const settings = defineSettings({
      schema: { key: z.string() },
      env: false,
      secrets: { key: 'lambda/key' },
      client,
    });
    expect(server.audit.callCounts()).toEqual({});
    const config = settings.load(); // started at module scope, awaited in the handler
    expect((await config).key).toBe('k');
    await settings.close();
  });

  it('refuses bad definitions with clear TypeErrors', () => {
    expect(() => defineSettings({ schema: { a: 'not a schema' as never } })).toThrow(
      /schema\.a must be a Standard Schema/,
    );
    expect(() => defineSettings({ schema: { a: z.string() }, secrets: { a: 42 as never } })).toThrow(
      /secrets\.a/,
    );
    expect(() =>
      defineSettings({ schema: { a: z.string() }, cache: new SecretCache({ client }), client }),
    ).toThrow(/either cache or client/);
    expect(() => defineSettings({} as never)).toThrow(/needs \{ schema \}/);
  });

  it('reads AWSPENDING through a reference as rotation tooling needs', async () => {
    const created = await createSecret('pending/db', { password: 'current' });
    const pending = await client.send(
      new PutSecretValueCommand({
        SecretId: 'pending/db',
        SecretString: JSON.stringify({ password: 'next' }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    expect(pending.VersionId).not.toBe(created.VersionId);
    const loaded = await defineSettings({
      schema: { next: z.string() },
      env: { source: { NEXT: 'asm://pending/db?stage=AWSPENDING#password' } },
      dotenv: false,
      cache: new SecretCache({ client }),
    }).load();
    expect(loaded.next).toBe('next');
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'pending/db',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: pending.VersionId,
      }),
    );
  });
});
