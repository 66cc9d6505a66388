import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import {
  canary,
  clientFor,
  createSecret,
  expectNoCanary,
  startTestServer,
  uniqueName,
} from '@coffer/testing';
import { type } from 'arktype';
import { SecretCache, type StandardSchemaV1 } from 'coffer';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSettings, SettingsError, secret } from '../src/index.js';

/** The same fields in each library the README names: a string, a positive integer, a secret string. */
const libraries = {
  zod: {
    text: z.string(),
    count: z.number().int().positive(),
    whole: z.object({ host: z.string(), port: z.number() }),
  },
  valibot: {
    text: v.string(),
    count: v.pipe(v.number(), v.integer(), v.minValue(1)),
    whole: v.object({ host: v.string(), port: v.number() }),
  },
  arktype: {
    text: type('string'),
    count: type('number.integer>0'),
    whole: type({ host: 'string', port: 'number' }),
  },
} satisfies Record<string, Record<string, StandardSchemaV1>>;

describe.each(Object.entries(libraries))('settings with %s', (_library, schemas) => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  it('loads a shape of fields, secret() fields from Secrets Manager, and a whole-object schema', async () => {
    const name = uniqueName('libs/db');
    const password = canary();
    await createSecret(client, { Name: name, SecretString: JSON.stringify({ password }) });
    const loaded = await defineSettings({
      schema: { host: schemas.text, max: schemas.count, password: secret(schemas.text) },
      env: { source: { HOST: 'db.internal', MAX: '20' } },
      dotenv: false,
      secrets: { password: `${name}#password` },
      cache: new SecretCache({ client }),
    }).load();
    expect(loaded.host).toBe('db.internal');
    expect(loaded.max).toBe(20);
    expect(loaded.password.reveal()).toBe(password);
    expectNoCanary(loaded, 'loaded settings');

    const whole = await defineSettings({
      schema: schemas.whole,
      env: { source: { HOST: 'db.internal', PORT: '5432' } },
      dotenv: false,
    }).load();
    expect(whole).toEqual({ host: 'db.internal', port: 5432 });
  });

  it('reports why a number from the environment is wrong, not that it was a string', async () => {
    for (const raw of ['-1', '0', '2.5']) {
      const error = await defineSettings({
        schema: { max: schemas.count },
        env: { source: { APP_MAX: raw }, prefix: 'APP_' },
        dotenv: false,
      })
        .load()
        .catch((e: unknown) => e);
      expect(error, raw).toBeInstanceOf(SettingsError);
      const [issue] = (error as SettingsError).issues;
      expect(issue?.path).toBe('max');
      expect(issue?.source).toBe('env var APP_MAX');
      expect(issue?.message, raw).not.toMatch(/string/i);
    }
    const notNumber = (await defineSettings({
      schema: { max: schemas.count },
      env: { source: { MAX: 'many' } },
      dotenv: false,
    })
      .load()
      .catch((e: unknown) => e)) as SettingsError;
    expect(notNumber.issues[0]?.message).toMatch(/number/i);
  });
});
