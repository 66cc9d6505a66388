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
import {
  parseSecretReference,
  readSecretReferences,
  SecretCache,
  SecretNotFoundError,
  type SecretResult,
} from '../src/index.js';

describe('parseSecretReference', () => {
  it('reads asm:// references, secret ARNs and ECS ARN references, and refuses malformed ones', () => {
    expect(parseSecretReference('asm://prod/db?stage=AWSPREVIOUS#password')).toEqual({
      secretId: 'prod/db',
      versionStage: 'AWSPREVIOUS',
      key: 'password',
    });
    expect(
      parseSecretReference('arn:aws:secretsmanager:us-east-1:123456789012:secret:a/b-AbCdEf:key:AWSPENDING:'),
    ).toEqual({
      secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:a/b-AbCdEf',
      key: 'key',
      versionStage: 'AWSPENDING',
    });
    expect(parseSecretReference('plain value')).toBeUndefined();
    expect(() => parseSecretReference('asm://#key')).toThrow(/names no secret/);
  });
});

describe('readSecretReferences', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  it('settles every reference: values and per-reference errors, current versions in one batch', async () => {
    const value = canary();
    const name = uniqueName('refs');
    const { arn, versionId } = await createSecret(client, {
      Name: name,
      SecretString: JSON.stringify({ password: value }),
    });
    const cache = new SecretCache({ client });
    const byKey = { secretId: name, key: 'password' };
    const byArn = { secretId: arn };
    const pinned = { secretId: name, versionId };
    const missing = { secretId: uniqueName('refs-missing') };
    const reads = await readSecretReferences(cache, [byKey, byArn, pinned, missing]);

    const current = reads.get(byKey) as SecretResult<string>;
    expect(JSON.parse(current.value.reveal())).toEqual({ password: value });
    expect((reads.get(byArn) as SecretResult<string>).arn).toBe(arn);
    expect((reads.get(pinned) as SecretResult<string>).versionId).toBe(versionId);
    expect(reads.get(missing)).toBeInstanceOf(SecretNotFoundError);
    expect(reads.get({ secretId: 'never-asked' })).toBeUndefined();
    expect(cache.stats().apiCalls).toEqual({ BatchGetSecretValue: 1, GetSecretValue: 1 });
    expectNoCanary(reads.get(missing), 'a read error');
    await cache.close();
  });
});
