import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  RemoveRegionsFromReplicationCommand,
  ReplicateSecretToRegionsCommand,
  RestoreSecretCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
  StopReplicationToReplicaCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { type LocalSecretsManager, startLocalSecretsManager } from '@coffer/local';
import { canary, clientFor, errorOf, lambdaArn, startTestServer, writeFakeFunction } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NOT_ON_REPLICA =
  "Operation not permitted on a replica secret. Call must be made in primary secret's region.";

describe('replication across regions, as AWS does it', () => {
  let server: LocalSecretsManager;
  let east: SecretsManagerClient;
  let west: SecretsManagerClient;
  let south: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    east = clientFor(server, { region: 'us-east-1' });
    west = clientFor(server, { region: 'eu-west-1' });
    south = clientFor(server, { region: 'ap-south-1' });
  });
  afterAll(() => server.close());

  it('creates a secret with replicas that serve its versions and labels and follow every write', async () => {
    const first = canary();
    const created = await east.send(
      new CreateSecretCommand({
        Name: 'multi/db',
        SecretString: first,
        Description: 'replicated',
        AddReplicaRegions: [{ Region: 'eu-west-1' }, { Region: 'ap-south-1', KmsKeyId: 'alias/south' }],
      }),
    );
    expect(created.ReplicationStatus).toEqual([
      {
        Region: 'eu-west-1',
        KmsKeyId: 'alias/aws/secretsmanager',
        Status: 'InSync',
        StatusMessage: 'Replication succeeded',
      },
      {
        Region: 'ap-south-1',
        KmsKeyId: 'alias/south',
        Status: 'InSync',
        StatusMessage: 'Replication succeeded',
      },
    ]);
    const primaryArn = created.ARN ?? '';
    const westArn = primaryArn.replace(':us-east-1:', ':eu-west-1:');

    const replicaRead = await west.send(new GetSecretValueCommand({ SecretId: 'multi/db' }));
    expect(replicaRead).toMatchObject({
      ARN: westArn,
      Name: 'multi/db',
      SecretString: first,
      VersionId: created.VersionId,
    });
    expect((await west.send(new GetSecretValueCommand({ SecretId: westArn }))).SecretString).toBe(first);

    // Every write and label move of the primary shows in the replicas at once.
    const second = canary();
    const put = await east.send(new PutSecretValueCommand({ SecretId: 'multi/db', SecretString: second }));
    await east.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'multi/db',
        VersionStage: 'blue',
        MoveToVersionId: created.VersionId,
      }),
    );
    await east.send(new TagResourceCommand({ SecretId: 'multi/db', Tags: [{ Key: 'team', Value: 'core' }] }));
    await east.send(new UpdateSecretCommand({ SecretId: 'multi/db', Description: 'still replicated' }));
    for (const replica of [west, south]) {
      expect((await replica.send(new GetSecretValueCommand({ SecretId: 'multi/db' }))).SecretString).toBe(
        second,
      );
      const blue = await replica.send(
        new GetSecretValueCommand({ SecretId: 'multi/db', VersionStage: 'blue' }),
      );
      expect(blue).toMatchObject({ SecretString: first, VersionStages: ['AWSPREVIOUS', 'blue'] });
      const versions = await replica.send(new ListSecretVersionIdsCommand({ SecretId: 'multi/db' }));
      const primaryVersions = await east.send(new ListSecretVersionIdsCommand({ SecretId: 'multi/db' }));
      expect(versions.Versions?.map((v) => [v.VersionId, v.VersionStages])).toEqual(
        primaryVersions.Versions?.map((v) => [v.VersionId, v.VersionStages]),
      );
    }
    const westDescribed = await west.send(new DescribeSecretCommand({ SecretId: 'multi/db' }));
    expect(westDescribed).toMatchObject({
      ARN: westArn,
      Name: 'multi/db',
      Description: 'still replicated',
      Tags: [{ Key: 'team', Value: 'core' }],
      PrimaryRegion: 'us-east-1',
      VersionIdsToStages: {
        [put.VersionId ?? '']: ['AWSCURRENT'],
        [created.VersionId ?? '']: ['AWSPREVIOUS', 'blue'],
      },
    });
    expect(westDescribed.ReplicationStatus).toBeUndefined();
    expect(westDescribed.LastAccessedDate).toBeInstanceOf(Date);
    expect((await south.send(new DescribeSecretCommand({ SecretId: 'multi/db' }))).KmsKeyId).toBe(
      'alias/south',
    );

    const primary = await east.send(new DescribeSecretCommand({ SecretId: 'multi/db' }));
    expect(primary.PrimaryRegion).toBe('us-east-1');
    expect(primary.ReplicationStatus?.map((r) => [r.Region, r.Status, r.StatusMessage])).toEqual([
      ['eu-west-1', 'InSync', 'Replication succeeded'],
      ['ap-south-1', 'InSync', 'Replication succeeded'],
    ]);
    expect(primary.ReplicationStatus?.[0]?.LastAccessedDate).toBeInstanceOf(Date);
    expect(primary.ReplicationStatus?.[0]?.KmsKeyId).toBe('alias/aws/secretsmanager');

    // ListSecrets shows replicas in their region, with PrimaryRegion; primary-region filters on it.
    const listed = await west.send(new ListSecretsCommand({}));
    expect(listed.SecretList?.find((s) => s.Name === 'multi/db')).toMatchObject({
      ARN: westArn,
      PrimaryRegion: 'us-east-1',
    });
    const byPrimary = await west.send(
      new ListSecretsCommand({ Filters: [{ Key: 'primary-region', Values: ['us-east'] }] }),
    );
    expect(byPrimary.SecretList?.map((s) => s.Name)).toEqual(['multi/db']);
    const tagged = await west.send(
      new ListSecretsCommand({ Filters: [{ Key: 'tag-value', Values: ['core'] }] }),
    );
    expect(tagged.SecretList?.map((s) => s.Name)).toEqual(['multi/db']);
  });

  it('refuses writes (and policy reads) on a replica, as AWS does', async () => {
    const id = 'multi/db';
    const refused = [
      () => west.send(new PutSecretValueCommand({ SecretId: id, SecretString: 'x' })),
      () => west.send(new UpdateSecretCommand({ SecretId: id, Description: 'x' })),
      () =>
        west.send(
          new UpdateSecretVersionStageCommand({
            SecretId: id,
            VersionStage: 'green',
            RemoveFromVersionId: undefined,
          }),
        ),
      () => west.send(new TagResourceCommand({ SecretId: id, Tags: [{ Key: 'k', Value: 'v' }] })),
      () => west.send(new UntagResourceCommand({ SecretId: id, TagKeys: ['team'] })),
      () => west.send(new PutResourcePolicyCommand({ SecretId: id, ResourcePolicy: '{}' })),
      () => west.send(new GetResourcePolicyCommand({ SecretId: id })),
      () => west.send(new DeleteResourcePolicyCommand({ SecretId: id })),
      () => west.send(new DeleteSecretCommand({ SecretId: id })),
      () => west.send(new RestoreSecretCommand({ SecretId: id })),
      () => west.send(new RotateSecretCommand({ SecretId: id, RotationLambdaARN: lambdaArn('none') })),
      () => west.send(new CancelRotateSecretCommand({ SecretId: id })),
      () =>
        west.send(
          new ReplicateSecretToRegionsCommand({ SecretId: id, AddReplicaRegions: [{ Region: 'us-west-2' }] }),
        ),
      () =>
        west.send(
          new RemoveRegionsFromReplicationCommand({ SecretId: id, RemoveReplicaRegions: ['ap-south-1'] }),
        ),
    ];
    for (const [index, call] of refused.entries()) {
      const error = await errorOf(call);
      expect(error.name, `call ${index}`).toBe('InvalidParameterException');
      expect(error.message, `call ${index}`).toBe(NOT_ON_REPLICA);
    }
    // A secret of that name cannot be created where the replica is.
    expect(
      (await errorOf(() => west.send(new CreateSecretCommand({ Name: id, SecretString: 'x' })))).name,
    ).toBe('ResourceExistsException');
  });

  it('answers replication mistakes with the errors AWS sends', async () => {
    const created = await east.send(
      new CreateSecretCommand({ Name: 'multi/errors', SecretString: 'primary' }),
    );
    const ownRegion = await errorOf(() =>
      east.send(
        new ReplicateSecretToRegionsCommand({
          SecretId: 'multi/errors',
          AddReplicaRegions: [{ Region: 'us-east-1' }],
        }),
      ),
    );
    expect(ownRegion.name).toBe('InvalidParameterException');
    expect(ownRegion.message).toBe('Invalid replica region.');
    const twice = await errorOf(() =>
      east.send(
        new ReplicateSecretToRegionsCommand({
          SecretId: 'multi/errors',
          AddReplicaRegions: [{ Region: 'us-west-2' }, { Region: 'us-west-2' }],
        }),
      ),
    );
    expect(twice.message).toBe('Invalid replica region.');
    const malformed = await errorOf(() =>
      east.send(
        new ReplicateSecretToRegionsCommand({
          SecretId: 'multi/errors',
          AddReplicaRegions: [{ Region: 'Nowhere' }],
        }),
      ),
    );
    expect(malformed.name).toBe('ValidationException');
    expect(malformed.message).toContain("at 'addReplicaRegions.1.member.region'");

    // A region where another secret has the name: Failed, and that secret is untouched ...
    await west.send(new CreateSecretCommand({ Name: 'multi/errors', SecretString: 'west-own' }));
    const failed = await east.send(
      new ReplicateSecretToRegionsCommand({
        SecretId: 'multi/errors',
        AddReplicaRegions: [{ Region: 'eu-west-1' }],
      }),
    );
    expect(failed).toMatchObject({
      ARN: created.ARN,
      ReplicationStatus: [
        {
          Region: 'eu-west-1',
          Status: 'Failed',
          StatusMessage: 'Secret with this name already exists in this region',
        },
      ],
    });
    expect((await west.send(new GetSecretValueCommand({ SecretId: 'multi/errors' }))).SecretString).toBe(
      'west-own',
    );
    // ... unless ForceOverwriteReplicaSecret replaces it.
    const forced = await east.send(
      new ReplicateSecretToRegionsCommand({
        SecretId: 'multi/errors',
        AddReplicaRegions: [{ Region: 'eu-west-1' }],
        ForceOverwriteReplicaSecret: true,
      }),
    );
    expect(forced.ReplicationStatus?.map((r) => r.Status)).toEqual(['InSync']);
    expect((await west.send(new GetSecretValueCommand({ SecretId: 'multi/errors' }))).SecretString).toBe(
      'primary',
    );

    const deleting = await errorOf(() => east.send(new DeleteSecretCommand({ SecretId: 'multi/errors' })));
    expect(deleting.name).toBe('InvalidParameterException');
    expect(deleting.message).toBe(
      `You can't delete secret ${created.ARN} that still has replica regions [eu-west-1].`,
    );
    const forcing = await errorOf(() =>
      east.send(new DeleteSecretCommand({ SecretId: 'multi/errors', ForceDeleteWithoutRecovery: true })),
    );
    expect(forcing.name).toBe('InvalidParameterException');

    // Removing the region deletes the replica; removing it again is no error; then the primary can go.
    const removed = await east.send(
      new RemoveRegionsFromReplicationCommand({
        SecretId: 'multi/errors',
        RemoveReplicaRegions: ['eu-west-1'],
      }),
    );
    expect(removed).toMatchObject({ ARN: created.ARN, ReplicationStatus: [] });
    expect(
      (await errorOf(() => west.send(new DescribeSecretCommand({ SecretId: 'multi/errors' })))).name,
    ).toBe('ResourceNotFoundException');
    await east.send(
      new RemoveRegionsFromReplicationCommand({
        SecretId: 'multi/errors',
        RemoveReplicaRegions: ['eu-west-1'],
      }),
    );
    const described = await east.send(new DescribeSecretCommand({ SecretId: 'multi/errors' }));
    expect(described.PrimaryRegion).toBeUndefined();
    expect(described.ReplicationStatus).toBeUndefined();
    await east.send(new DeleteSecretCommand({ SecretId: 'multi/errors', ForceDeleteWithoutRecovery: true }));

    const notReplica = await errorOf(() =>
      east.send(new StopReplicationToReplicaCommand({ SecretId: 'multi/db' })),
    );
    expect(notReplica.name).toBe('InvalidRequestException');
  });

  it('stops replication to a replica, promoting it to a standalone secret in its region', async () => {
    const value = canary();
    const created = await east.send(
      new CreateSecretCommand({
        Name: 'multi/promote',
        SecretString: value,
        Tags: [{ Key: 'k', Value: 'v' }],
        AddReplicaRegions: [{ Region: 'eu-west-1' }, { Region: 'ap-south-1' }],
      }),
    );
    await east.send(
      new PutSecretValueCommand({
        SecretId: 'multi/promote',
        SecretString: `${value}-2`,
        VersionStages: ['next'],
      }),
    );
    const promoted = await west.send(new StopReplicationToReplicaCommand({ SecretId: 'multi/promote' }));
    const westArn = created.ARN?.replace(':us-east-1:', ':eu-west-1:');
    expect(promoted.ARN).toBe(westArn);

    const described = await west.send(new DescribeSecretCommand({ SecretId: 'multi/promote' }));
    expect(described.PrimaryRegion).toBeUndefined();
    expect(described.Tags).toEqual([{ Key: 'k', Value: 'v' }]);
    expect(
      Object.values(described.VersionIdsToStages ?? {})
        .flat()
        .sort(),
    ).toEqual(['AWSCURRENT', 'next']);
    expect((await west.send(new GetSecretValueCommand({ SecretId: 'multi/promote' }))).SecretString).toBe(
      value,
    );
    expect(
      (await west.send(new GetSecretValueCommand({ SecretId: 'multi/promote', VersionStage: 'next' })))
        .SecretString,
    ).toBe(`${value}-2`);
    // It is its own secret now: writable here, and the primary's writes no longer reach it.
    await west.send(new PutSecretValueCommand({ SecretId: 'multi/promote', SecretString: 'west-now' }));
    await east.send(new PutSecretValueCommand({ SecretId: 'multi/promote', SecretString: 'east-now' }));
    expect((await west.send(new GetSecretValueCommand({ SecretId: 'multi/promote' }))).SecretString).toBe(
      'west-now',
    );
    expect((await south.send(new GetSecretValueCommand({ SecretId: 'multi/promote' }))).SecretString).toBe(
      'east-now',
    );
    const primary = await east.send(new DescribeSecretCommand({ SecretId: 'multi/promote' }));
    expect(primary.ReplicationStatus?.map((r) => r.Region)).toEqual(['ap-south-1']);
  });

  it('replicas follow a rotation of the primary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-replica-rotation-'));
    try {
      const arn = lambdaArn('rotate-replicated');
      server.registerRotationFunction(
        arn,
        writeFakeFunction(dir, 'rotate', { log: join(dir, 'log'), apiDir: dir }),
      );
      await east.send(
        new CreateSecretCommand({
          Name: 'multi/rotated',
          SecretString: 'key-0',
          AddReplicaRegions: [{ Region: 'eu-west-1' }],
        }),
      );
      await east.send(new RotateSecretCommand({ SecretId: 'multi/rotated', RotationLambdaARN: arn }));
      expect((await server.waitForRotation('multi/rotated'))?.outcome).toBe('success');
      const active = readFileSync(join(dir, 'active'), 'utf8');
      expect((await west.send(new GetSecretValueCommand({ SecretId: 'multi/rotated' }))).SecretString).toBe(
        active,
      );
      const replica = await west.send(new DescribeSecretCommand({ SecretId: 'multi/rotated' }));
      expect(replica.RotationEnabled).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('replication on a server restricted to some regions, with a data dir', () => {
  let dataDir: string;
  let server: LocalSecretsManager;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffer-replication-data-'));
    server = await startLocalSecretsManager({ port: 0, dataDir, regions: ['us-east-1', 'eu-west-1'] });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a replica in a region the server does not serve, and keeps promoted values sealed on disk', async () => {
    const east = clientFor(server);
    const refused = await errorOf(() =>
      east.send(
        new CreateSecretCommand({
          Name: 'r/x',
          SecretString: 'x',
          AddReplicaRegions: [{ Region: 'ap-south-1' }],
        }),
      ),
    );
    expect(refused.message).toBe('Invalid replica region.');
    const value = canary();
    await east.send(
      new CreateSecretCommand({
        Name: 'r/sealed',
        SecretString: value,
        AddReplicaRegions: [{ Region: 'eu-west-1' }],
      }),
    );
    await clientFor(server, { region: 'eu-west-1' }).send(
      new StopReplicationToReplicaCommand({ SecretId: 'r/sealed' }),
    );
    await server.close();
    for (const file of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, file));
      for (const form of [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')]) {
        expect(bytes.includes(form), `${file} holds the value`).toBe(false);
      }
    }
    server = await startLocalSecretsManager({ port: 0, dataDir, regions: ['us-east-1', 'eu-west-1'] });
    const promoted = await clientFor(server, { region: 'eu-west-1' }).send(
      new GetSecretValueCommand({ SecretId: 'r/sealed' }),
    );
    expect(promoted.SecretString).toBe(value);
  });
});
