import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, startTestServer } from '@coffer/testing';
import { SecretCache, type StandardSchemaV1 } from 'coffer';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSettings, SettingsError, secret } from '../src/index.js';

describe('settings never show a value, whatever the schema does', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  const canaries: string[] = [];
  const canary = () => {
    const value = `canary-${randomUUID()}`;
    canaries.push(value);
    return value;
  };
  const uniqueName = (prefix: string) => `${prefix}/${randomUUID().slice(0, 8)}`;
  const createSecret = (name: string, value: unknown) =>
    client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: typeof value === 'string' ? value : JSON.stringify(value),
      }),
    );
  const expectNoCanary = (...things: unknown[]) => {
    for (const thing of things) {
      const texts = [String(thing), inspect(thing, { depth: 10, showHidden: true })];
      try {
        texts.push(JSON.stringify(thing) ?? '');
      } catch {
        // circular: inspect covers it
      }
      if (thing instanceof Error)
        texts.push(thing.message, thing.stack ?? '', inspect(thing.cause, { depth: 10 }));
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

  it('a field schema that throws (a JSON.parse transform) gives a SettingsError without the value', async () => {
    const name = uniqueName('review/throws');
    const value = canary();
    await createSecret(name, { token: value });
    const settings = defineSettings({
      schema: { token: secret(z.string().transform((s) => JSON.parse(s) as unknown)), port: z.number() },
      env: { source: { PORT: 'x' } },
      dotenv: false,
      secrets: { token: `${name}#token` },
      cache: new SecretCache({ client }),
    });
    const error = await settings.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsError);
    // Every failing field is still reported, not just the one whose schema threw.
    expect((error as SettingsError).issues.map((i) => i.path).sort()).toEqual(['port', 'token']);
    expectNoCanary(error);
  });

  it('a whole-object schema that throws gives a SettingsError without the value', async () => {
    const value = canary();
    const settings = defineSettings({
      schema: z.object({ token: z.string().transform((s) => JSON.parse(s) as unknown) }),
      env: { source: { TOKEN: value } },
      dotenv: false,
    });
    const error = await settings.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsError);
    expectNoCanary(error);
  });

  it('watch() logs no value when a reload fails because a schema throws', async () => {
    const value = canary();
    const calls: string[] = [];
    const logger = {
      warn: (fields: unknown, message: string) => calls.push(`${inspect(fields)} ${message}`),
    };
    const cache = new SecretCache({ client });
    const name = uniqueName('review/watch');
    await createSecret(name, { token: value });
    const errors: unknown[] = [];
    const settings = defineSettings({
      schema: { token: secret(z.string().transform((s) => JSON.parse(s) as unknown)) },
      env: false,
      secrets: { token: `${name}#token` },
      cache,
      logger,
    });
    const stop = settings.watch(() => {}, { onError: (e) => errors.push(e) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop();
    await cache.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SettingsError);
    expectNoCanary(...errors, calls.join('\n'));
  });

  it('a validator message that quotes a value JSON-escaped is scrubbed', async () => {
    const value = `${canary()}"\\`;
    const quoting: StandardSchemaV1<string> = {
      '~standard': {
        version: 1,
        vendor: 'review',
        validate: (v) => ({ issues: [{ message: `expected a number, received ${JSON.stringify(v)}` }] }),
      },
    };
    const settings = defineSettings({
      schema: { token: quoting },
      env: { source: { TOKEN: value } },
      dotenv: false,
    });
    const error = await settings.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsError);
    expectNoCanary(error);
  });

  it('util.inspect of Settings after a load shows no value held by its own cache', async () => {
    const name = uniqueName('review/inspect');
    const value = canary();
    await createSecret(name, value);
    const settings = defineSettings({
      schema: { token: secret(z.string()) },
      env: false,
      secrets: { token: name },
      client,
    });
    const loaded = await settings.load();
    expect(loaded.token.reveal()).toBe(value);
    expectNoCanary(settings, loaded);
    await settings.close();
  });

  it('never quotes a secret value transformed by its validator (trimmed, cut to a prefix), from env or Secrets Manager', async () => {
    const value = `hunter2-${canary()}`;
    const name = uniqueName('leaks/transformed');
    await createSecret(name, { email: `  ${value}  `, key: value });
    const schema = {
      // valibot quotes the trimmed value: `Invalid email: Received "hunter2-..."`.
      email: secret(v.pipe(v.string(), v.trim(), v.email())),
      // A prefix check quotes the start of the value: `Expected "sk_" but received "hun"`.
      key: v.pipe(v.string(), v.startsWith('sk_')),
      fromEnv: secret(v.pipe(v.string(), v.trim(), v.email())),
    };
    const settings = defineSettings({
      schema,
      env: { source: { FROM_ENV: `\t${value} ` } },
      dotenv: false,
      secrets: { email: `${name}#email`, key: `${name}#key` },
      cache: new SecretCache({ client }),
    });
    const error = (await settings.load().catch((e: unknown) => e)) as SettingsError;
    expect(error).toBeInstanceOf(SettingsError);
    expect(error.issues.map((i) => `${i.path}: ${i.message}`).sort()).toEqual([
      'email: email check failed',
      'fromEnv: email check failed',
      'key: starts_with check failed (expected "sk_")',
    ]);
    expectNoCanary(error);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toMatch(/"hun"/);
  });

  it('util.inspect and spreading of Settings show neither the env source nor the options passed in', () => {
    const value = canary();
    const settings = defineSettings({
      schema: { token: secret(z.string()) },
      env: { source: { TOKEN: value } },
      dotenv: false,
    });
    expectNoCanary(settings, { ...settings }, Object.values(settings));
  });
});
