import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Store } from '../src/store/store.js';

// The store caches secrets, labels and decrypted values in memory; every read here follows a write
// that must have invalidated what the previous read cached.
describe('read cache coherence', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  const get = (SecretId: string, VersionId?: string) =>
    client.send(new GetSecretValueCommand({ SecretId, VersionId }));

  it('values and labels follow puts, stage moves, delete and restore', async () => {
    const name = 'cache/lifecycle';
    const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'one' }));
    const v0 = created.VersionId as string;
    expect(await get(name)).toMatchObject({
      SecretString: 'one',
      VersionId: v0,
      VersionStages: ['AWSCURRENT'],
    });
    // By ARN too, so both lookups are cached before the writes below.
    expect((await get(created.ARN as string)).SecretString).toBe('one');

    const put = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'two' }));
    const v1 = put.VersionId as string;
    expect(await get(name)).toMatchObject({
      SecretString: 'two',
      VersionId: v1,
      VersionStages: ['AWSCURRENT'],
    });
    expect(await get(created.ARN as string)).toMatchObject({ SecretString: 'two', VersionId: v1 });
    expect(await get(name, v0)).toMatchObject({ SecretString: 'one', VersionStages: ['AWSPREVIOUS'] });

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v0,
        RemoveFromVersionId: v1,
      }),
    );
    expect(await get(name)).toMatchObject({
      SecretString: 'one',
      VersionId: v0,
      VersionStages: ['AWSCURRENT'],
    });
    expect(await get(name, v1)).toMatchObject({ SecretString: 'two', VersionStages: ['AWSPREVIOUS'] });

    await client.send(new UpdateSecretCommand({ SecretId: name, SecretString: 'three' }));
    const current = await get(name);
    expect(current.SecretString).toBe('three');
    expect((await get(name, v0)).VersionStages).toEqual(['AWSPREVIOUS']);
    expect((await get(name, v1)).VersionStages).toEqual([]);

    await client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    expect((await errorOf(() => get(name))).name).toBe('InvalidRequestException');
    await client.send(new RestoreSecretCommand({ SecretId: name }));
    expect(await get(name)).toMatchObject({ SecretString: 'three', VersionId: current.VersionId });

    await client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    expect((await errorOf(() => get(name))).name).toBe('ResourceNotFoundException');
    expect((await errorOf(() => get(created.ARN as string))).name).toBe('ResourceNotFoundException');
    // Same name, new secret (new ARN, new versions): nothing of the old one may show through.
    const again = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'four' }));
    expect(again.ARN).not.toBe(created.ARN);
    expect(await get(name)).toMatchObject({
      SecretString: 'four',
      ARN: again.ARN,
      VersionId: again.VersionId,
    });
    expect((await errorOf(() => get(name, v0))).name).toBe('ResourceNotFoundException');
  });

  it('a binary value read twice is the same bytes both times', async () => {
    const bytes = randomBytes(32);
    await client.send(new CreateSecretCommand({ Name: 'cache/binary', SecretBinary: bytes }));
    const first = await get('cache/binary');
    const second = await get('cache/binary');
    expect(Buffer.from(first.SecretBinary as Uint8Array).equals(bytes)).toBe(true);
    expect(Buffer.from(second.SecretBinary as Uint8Array).equals(bytes)).toBe(true);
  });

  it('an UpdateSecret rolled back by a token conflict leaves no trace in later reads', async () => {
    const name = 'cache/rollback';
    const created = await client.send(
      new CreateSecretCommand({ Name: name, SecretString: 'kept', Description: 'before' }),
    );
    await get(name);
    // The description is written first, then the token conflict aborts the transaction.
    const error = await errorOf(() =>
      client.send(
        new UpdateSecretCommand({
          SecretId: name,
          Description: 'after',
          SecretString: 'different',
          ClientRequestToken: created.VersionId,
        }),
      ),
    );
    expect(error.name).toBe('ResourceExistsException');
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.Description).toBe('before');
    expect(await get(name)).toMatchObject({ SecretString: 'kept', VersionId: created.VersionId });
  });

  it('a PutSecretValue refused at the version quota leaves value and labels as they were', async () => {
    const name = 'cache/quota';
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v0' }));
    let last = '';
    for (let i = 1; i < 100; i++) {
      const out = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: `v${i}` }));
      last = out.VersionId as string;
    }
    await get(name);
    const error = await errorOf(() =>
      client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'too many' })),
    );
    expect(error.name).toBe('LimitExceededException');
    expect(await get(name)).toMatchObject({
      SecretString: 'v99',
      VersionId: last,
      VersionStages: ['AWSCURRENT'],
    });
  });
});

describe('Store read cache and transactions', () => {
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:unit-AbCdEf';

  function storeWithSecret(): Store {
    const store = new Store({ masterKey: randomBytes(32) });
    store.createSecret({
      arn,
      region: 'us-east-1',
      name: 'unit',
      description: 'before',
      kmsKeyId: undefined,
      createdAt: 1,
      lastChangedAt: 1,
      tags: [],
      type: undefined,
      owningService: undefined,
      primaryArn: undefined,
    });
    store.writeVersion(arn, 'v0', { kind: 'string', text: 'zero' }, 1);
    store.setStage(arn, 'AWSCURRENT', 'v0');
    return store;
  }

  it('drops what a rolled-back transaction read or wrote', () => {
    const store = storeWithSecret();
    try {
      expect(store.findByName('us-east-1', 'unit')?.description).toBe('before');
      expect(() =>
        store.transaction(() => {
          store.updateSecret(arn, { description: 'after' });
          store.writeVersion(arn, 'v1', { kind: 'string', text: 'one' }, 2);
          store.setStage(arn, 'AWSCURRENT', 'v1');
          // Reads inside the transaction see (and cache) the uncommitted state...
          expect(store.findByArn(arn)?.description).toBe('after');
          expect(store.readValue(arn, 'v1')).toEqual({ kind: 'string', text: 'one' });
          expect(store.stageHolder(arn, 'AWSCURRENT')).toBe('v1');
          throw new Error('abort');
        }),
      ).toThrow('abort');
      // ...which must not outlive the rollback.
      expect(store.findByArn(arn)?.description).toBe('before');
      expect(store.findByName('us-east-1', 'unit')?.description).toBe('before');
      expect(store.stageHolder(arn, 'AWSCURRENT')).toBe('v0');
      expect(store.versionExists(arn, 'v1')).toBe(false);
      expect(store.readValue(arn, 'v1')).toBeUndefined();
      expect(store.versionStages(arn)).toEqual(new Map([['v0', ['AWSCURRENT']]]));
    } finally {
      store.close();
    }
  });

  it('gives the rotation check only the secrets that have rotation configured', () => {
    // The check runs every minute; reading every secret stalled a server with 50,000 of them for a second.
    const store = storeWithSecret();
    try {
      for (const name of ['other-1', 'rotating', 'other-2']) {
        store.createSecret({
          arn: `${arn.replace('unit-AbCdEf', name)}-AbCdEf`,
          region: 'us-east-1',
          name,
          description: undefined,
          kmsKeyId: undefined,
          createdAt: 2,
          lastChangedAt: 2,
          tags: [],
          type: undefined,
          owningService: undefined,
          primaryArn: undefined,
        });
      }
      const rotating = store.findByName('us-east-1', 'rotating')?.arn ?? '';
      store.updateSecret(rotating, { rotation: { RotationEnabled: true } });
      expect(store.withRotation().map((s) => s.name)).toEqual(['rotating']);
    } finally {
      store.close();
    }
  });

  it('hands out records that cannot be changed in place', () => {
    const store = storeWithSecret();
    try {
      const record = store.findByArn(arn);
      expect(() => {
        (record as { description?: string }).description = 'mutated';
      }).toThrow(TypeError);
      expect(store.findByArn(arn)?.description).toBe('before');
      const stages = store.versionStages(arn);
      stages.set('v9', ['AWSPENDING']);
      expect(store.versionStages(arn).has('v9')).toBe(false);
    } finally {
      store.close();
    }
  });

  it('touch writes each secret-version at most once a day', () => {
    const store = storeWithSecret();
    try {
      store.writeVersion(arn, 'v1', { kind: 'string', text: 'one' }, 2);
      const day = 20_000 * 86_400_000;
      const record = store.findByArn(arn);
      if (!record) throw new Error('no record');
      // touch writes in a transaction of its own, so counting transactions counts its writes.
      const writes = vi.spyOn(store, 'transaction');
      store.touch(record.arn, record.arn, 'v0', day + 1000);
      store.touch(record.arn, record.arn, 'v0', day + 1500);
      store.touch(record.arn, record.arn, 'v1', day + 2000);
      store.touch(record.arn, record.arn, 'v1', day + 3000);
      store.touch(record.arn, record.arn, 'v0', day + 4000);
      expect(writes).toHaveBeenCalledTimes(2);
      const dates = () => new Map(store.versions(arn).map((v) => [v.versionId, v.lastAccessedAt]));
      expect(dates()).toEqual(
        new Map([
          ['v0', day],
          ['v1', day],
        ]),
      );
      expect(store.findByArn(arn)?.lastAccessedAt).toBe(day);
      // A read the next day moves the dates on.
      store.touch(record.arn, record.arn, 'v1', day + 86_400_000 + 5);
      expect(writes).toHaveBeenCalledTimes(3);
      expect(dates().get('v1')).toBe(day + 86_400_000);
      expect(dates().get('v0')).toBe(day);
      expect(store.findByArn(arn)?.lastAccessedAt).toBe(day + 86_400_000);
    } finally {
      store.close();
    }
  });

  it('a delete of a secret forgets it under both its ARN and its name', () => {
    const store = storeWithSecret();
    try {
      expect(store.findByName('us-east-1', 'unit')?.arn).toBe(arn);
      expect(store.readValue(arn, 'v0')).toEqual({ kind: 'string', text: 'zero' });
      store.deleteSecret(arn);
      expect(store.findByName('us-east-1', 'unit')).toBeUndefined();
      expect(store.findByArn(arn)).toBeUndefined();
      expect(store.readValue(arn, 'v0')).toBeUndefined();
      expect(store.stageHolder(arn, 'AWSCURRENT')).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
