import * as sdk from '@aws-sdk/client-secrets-manager';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedCall } from './signing.js';

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

  it("implements every operation of the SDK's current model (none is an unknown operation)", async () => {
    const operations = Object.keys(sdk)
      .filter((name) => /^[A-Z][A-Za-z]+Command$/.test(name))
      .map((name) => name.slice(0, -'Command'.length))
      .sort();
    expect(operations).toContain('ValidateResourcePolicy');
    expect(operations).toContain('StopReplicationToReplica');
    for (const operation of operations) {
      // An empty request: whatever is missing is a validation error, never UnknownOperationException.
      const response = await signedCall(server, { operation, body: '{}' });
      expect(String(response.json?.__type), operation).not.toMatch(/UnknownOperation/);
    }
  });
});
