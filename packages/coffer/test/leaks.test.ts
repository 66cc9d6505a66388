import { inspect } from 'node:util';
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSecret, InvalidSecretFormatError, SecretCache, type StandardSchemaV1 } from '../src/index.js';

let server: LocalSecretsManager;
let sm: SecretsManagerClient;

beforeAll(async () => {
  server = await startTestServer();
  sm = clientFor(server);
});
afterAll(async () => {
  await server.close();
});

/** A hand-written Standard Schema, so the test depends on no validator library. */
const schemaOf = (validate: (value: unknown) => StandardSchemaV1.Result<unknown>): StandardSchemaV1 => ({
  '~standard': { version: 1, vendor: 'leaks', validate },
});

describe('no secret value leaks from a cache, a throwing schema or an escaped validator message', () => {
  it('util.inspect(cache) does not show cached secret values', async () => {
    const value = canary();
    const name = uniqueName('leaks/inspect');
    await createSecret(sm, { Name: name, SecretString: value });
    await using cache = new SecretCache({ client: sm });
    expect((await cache.get(name)).value.reveal()).toBe(value);
    expectNoCanary(cache, 'SecretCache');
    expect(inspect(cache, { depth: 20, showHidden: true })).not.toContain(value);
    // Spreading copies own enumerable properties, Object.values reads them: the state is in #private fields.
    expect(JSON.stringify({ ...cache })).not.toContain(value);
    expect(inspect(Object.values(cache), { depth: 20 })).not.toContain(value);
    expect(inspect(Object.entries({ ...cache }), { depth: 20 })).not.toContain(value);
  });

  it('a schema that throws (e.g. a JSON.parse transform) does not leak the value', async () => {
    const password = canary();
    const name = uniqueName('leaks/throws');
    await createSecret(sm, { Name: name, SecretString: JSON.stringify({ password }) });
    // What `z.string().transform((s) => JSON.parse(s))` does on a value that is not JSON.
    const schema = schemaOf((v) => {
      JSON.parse((v as { password: string }).password);
      return { value: v };
    });
    const error = await getSecret(name, { client: sm, schema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSecretFormatError);
    expectNoCanary(error, 'schema error');
    await using cache = new SecretCache({ client: sm });
    const cached = await cache.get(name, { schema }).catch((e: unknown) => e);
    expect(cached).toBeInstanceOf(InvalidSecretFormatError);
    expectNoCanary(cached, 'cached schema error');
  });

  it('a validator message that quotes the value JSON-escaped is scrubbed', async () => {
    const password = `${canary()}"quoted\\`;
    const name = uniqueName('leaks/escaped');
    await createSecret(sm, { Name: name, SecretString: JSON.stringify({ password }) });
    const schema = schemaOf((v) => ({
      issues: [
        {
          message: `expected a number, received ${JSON.stringify((v as { password: string }).password)}`,
          path: ['password'],
        },
      ],
    }));
    const error = await getSecret(name, { client: sm, schema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSecretFormatError);
    expectNoCanary(error, 'escaped schema error');
  });
});
