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
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  getMany,
  getSecret,
  InvalidSecretFormatError,
  SecretCache,
  type StandardSchemaV1,
} from '../src/index.js';

/** The same schema, `{ host: string, port: number }`, in each library the READMEs name. */
const libraries: [string, StandardSchemaV1<unknown, { host: string; port: number }>][] = [
  ['zod', z.object({ host: z.string(), port: z.number() })],
  ['valibot', v.object({ host: v.string(), port: v.number() })],
  ['arktype', type({ host: 'string', port: 'number' })],
];

describe.each(libraries)('%s schemas', (_library, schema) => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  it('validate and type getSecret, SecretCache.get and getMany', async () => {
    const good = uniqueName('schemas/good');
    await createSecret(client, { Name: good, SecretString: JSON.stringify({ host: 'db', port: 5432 }) });
    const read = await getSecret(good, { client, schema });
    expectTypeOf(read.value.reveal()).toEqualTypeOf<{ host: string; port: number }>();
    expect(read.value.reveal()).toEqual({ host: 'db', port: 5432 });
    await using cache = new SecretCache({ client });
    expect((await cache.get(good, { schema })).value.reveal()).toEqual({ host: 'db', port: 5432 });
    expect((await getMany(cache, [good], { schema }))[0]?.value.reveal()).toEqual({ host: 'db', port: 5432 });
  });

  it('refuse a value that does not match, naming the path and the kind of problem, never the value', async () => {
    const bad = uniqueName('schemas/bad');
    const port = canary();
    await createSecret(client, { Name: bad, SecretString: JSON.stringify({ host: 'db', port }) });
    await using cache = new SecretCache({ client });
    for (const attempt of [getSecret(bad, { client, schema }), cache.get(bad, { schema })]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidSecretFormatError);
      expect((error as InvalidSecretFormatError).paths).toEqual(['port']);
      expect((error as Error).message).toMatch(/port: \S+ check failed/);
      expectNoCanary(error, 'schema error');
    }
  });
});
