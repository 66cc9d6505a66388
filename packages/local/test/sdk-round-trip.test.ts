import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('local server smoke', () => {
  let server: LocalSecretsManager;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('stores and returns a secret through the official SDK', async () => {
    const client = clientFor(server);
    await client.send(new CreateSecretCommand({ Name: 'smoke', SecretString: 'hello' }));
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'smoke' }));
    expect(got.SecretString).toBe('hello');
    expect(got.VersionStages).toEqual(['AWSCURRENT']);
  });
});
