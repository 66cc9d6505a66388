import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, lambdaArn, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe("today's API fields", () => {
  let server: LocalSecretsManager;
  let admin: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    admin = clientFor(server);
  });
  afterAll(() => server.close());

  const listed = async (name: string) =>
    (await admin.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }] })))
      .SecretList?.[0];

  it('Type: set by CreateSecret and UpdateSecret, returned by DescribeSecret and ListSecrets', async () => {
    await admin.send(new CreateSecretCommand({ Name: 'fields/typed', SecretString: 'x', Type: 'HashiCorp' }));
    expect((await admin.send(new DescribeSecretCommand({ SecretId: 'fields/typed' }))).Type).toBe(
      'HashiCorp',
    );
    expect((await listed('fields/typed'))?.Type).toBe('HashiCorp');
    await admin.send(new UpdateSecretCommand({ SecretId: 'fields/typed', Type: 'CyberArk' }));
    expect((await admin.send(new DescribeSecretCommand({ SecretId: 'fields/typed' }))).Type).toBe('CyberArk');
    await admin.send(new CreateSecretCommand({ Name: 'fields/untyped', SecretString: 'x' }));
    expect(
      (await admin.send(new DescribeSecretCommand({ SecretId: 'fields/untyped' }))).Type,
    ).toBeUndefined();
    const tooLong = await errorOf(() =>
      admin.send(new CreateSecretCommand({ Name: 'fields/long-type', Type: 'x'.repeat(257) })),
    );
    expect(tooLong.name).toBe('ValidationException');
    expect(tooLong.message).toContain(
      "at 'type' failed to satisfy constraint: Member must have length less than or equal to 256",
    );
  });

  it("OwningService: a service's credential creates managed secrets (names may hold !), users cannot", async () => {
    const rds = clientFor(server, {
      credentials: server.addCredential({ userName: 'rds-service', owningService: 'rds' }),
    });
    await rds.send(new CreateSecretCommand({ Name: 'rds!cluster-42', SecretString: 'x' }));
    expect((await admin.send(new DescribeSecretCommand({ SecretId: 'rds!cluster-42' }))).OwningService).toBe(
      'rds',
    );
    expect((await listed('rds!cluster-42'))?.OwningService).toBe('rds');
    expect(
      (await admin.send(new DescribeSecretCommand({ SecretId: 'fields/typed' }))).OwningService,
    ).toBeUndefined();
    const userBang = await errorOf(() =>
      admin.send(new CreateSecretCommand({ Name: 'user!secret', SecretString: 'x' })),
    );
    expect(userBang.name).toBe('ValidationException');
    expect(() => server.addCredential({ userName: 'bad-service', owningService: 'RDS Service' })).toThrow(
      /Invalid owningService "RDS Service"/,
    );
  });

  it('ExternalSecretRotationMetadata and ExternalSecretRotationRoleArn: stored by RotateSecret, described', async () => {
    const metadata = [
      { Key: 'vault-path', Value: 'kv/app' },
      { Key: 'mount', Value: 'secret' },
    ];
    const roleArn = `arn:aws:iam::${server.accountId}:role/partner-rotation`;
    // A managed external secret is rotated by its partner, with no Lambda function.
    const rotated = await admin.send(
      new RotateSecretCommand({
        SecretId: 'fields/typed',
        ExternalSecretRotationMetadata: metadata,
        ExternalSecretRotationRoleArn: roleArn,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    expect(rotated.ARN).toContain('fields/typed');
    const described = await admin.send(new DescribeSecretCommand({ SecretId: 'fields/typed' }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationRules: { AutomaticallyAfterDays: 30 },
      ExternalSecretRotationMetadata: metadata,
      ExternalSecretRotationRoleArn: roleArn,
    });
    expect(described.NextRotationDate).toBeInstanceOf(Date);
    expect(described.RotationLambdaARN).toBeUndefined();
    expect(await listed('fields/typed')).toMatchObject({
      ExternalSecretRotationMetadata: metadata,
      ExternalSecretRotationRoleArn: roleArn,
    });
    const badMetadata = await errorOf(() =>
      admin.send(
        new RotateSecretCommand({
          SecretId: 'fields/typed',
          ExternalSecretRotationMetadata: [{ Key: '', Value: 'v' }],
          ExternalSecretRotationRoleArn: 'short',
        }),
      ),
    );
    expect(badMetadata.name).toBe('ValidationException');
    expect(badMetadata.message).toMatch(/^2 validation errors detected: /);
    expect(badMetadata.message).toContain("at 'externalSecretRotationMetadata.1.member.key'");
    expect(badMetadata.message).toContain("at 'externalSecretRotationRoleArn'");
  });

  it('Duration: validated against the current model ([0-9]+h), then 1h-24h', async () => {
    await admin.send(new CreateSecretCommand({ Name: 'fields/window', SecretString: 'x', Type: 'Partner' }));
    const rotate = (Duration: string) =>
      admin.send(
        new RotateSecretCommand({
          SecretId: 'fields/window',
          RotationRules: { ScheduleExpression: 'rate(2 days)', Duration },
        }),
      );
    await rotate('3h');
    for (const Duration of ['h3', 'hh', '3x']) {
      const error = await errorOf(() => rotate(Duration));
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        `1 validation error detected: Value '${Duration}' at 'rotationRules.duration' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]+h`,
      );
    }
    for (const Duration of ['0h', '25h'])
      expect((await errorOf(() => rotate(Duration))).name).toBe('InvalidParameterException');
    // Lambda rotation is unchanged: no function registered under this ARN.
    const noFunction = await errorOf(() =>
      admin.send(
        new RotateSecretCommand({ SecretId: 'fields/untyped', RotationLambdaARN: lambdaArn('none') }),
      ),
    );
    expect(noFunction.name).toBe('AccessDeniedException');
  });
});

describe('small deviations, now as AWS', () => {
  let server: LocalSecretsManager;
  let admin: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    admin = clientFor(server);
  });
  afterAll(() => server.close());

  it("CreateSecret reusing a ClientRequestToken with another value: AWS's token message", async () => {
    const token = randomUUID();
    const created = await admin.send(
      new CreateSecretCommand({ Name: 'dev/token', SecretString: 'first', ClientRequestToken: token }),
    );
    // The same token and value again is the SDK's retry: it succeeds.
    await admin.send(
      new CreateSecretCommand({ Name: 'dev/token', SecretString: 'first', ClientRequestToken: token }),
    );
    const error = await errorOf(() =>
      admin.send(
        new CreateSecretCommand({ Name: 'dev/token', SecretString: 'second', ClientRequestToken: token }),
      ),
    );
    expect(error.name).toBe('ResourceExistsException');
    expect(error.message).toBe(
      `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${created.ARN}.`,
    );
    expect(error.message).not.toContain('second');
    // Another token on an existing name is still "already exists".
    const exists = await errorOf(() =>
      admin.send(new CreateSecretCommand({ Name: 'dev/token', SecretString: 'third' })),
    );
    expect(exists.message).toBe('The operation failed because the secret dev/token already exists.');
  });

  it('after the last tag is removed, DescribeSecret returns Tags: [] (never tagged: no Tags)', async () => {
    await admin.send(new CreateSecretCommand({ Name: 'dev/tags', SecretString: 'x' }));
    expect((await admin.send(new DescribeSecretCommand({ SecretId: 'dev/tags' }))).Tags).toBeUndefined();
    await admin.send(new TagResourceCommand({ SecretId: 'dev/tags', Tags: [{ Key: 'a', Value: '1' }] }));
    await admin.send(new UntagResourceCommand({ SecretId: 'dev/tags', TagKeys: ['a'] }));
    expect((await admin.send(new DescribeSecretCommand({ SecretId: 'dev/tags' }))).Tags).toEqual([]);
    const entry = (
      await admin.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['dev/tags'] }] }))
    ).SecretList?.[0];
    expect(entry?.Tags).toEqual([]);
  });

  it('at most 20 staging labels across the versions of a secret (LimitExceededException)', async () => {
    const created = await admin.send(new CreateSecretCommand({ Name: 'dev/labels', SecretString: 'v1' }));
    const first = created.VersionId ?? '';
    const second = (
      await admin.send(
        new PutSecretValueCommand({ SecretId: 'dev/labels', SecretString: 'v2', VersionStages: ['blue'] }),
      )
    ).VersionId;
    // AWSCURRENT and blue, plus 18 more on the first version: 20.
    for (let i = 0; i < 18; i++) {
      await admin.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'dev/labels',
          VersionStage: `label-${i}`,
          MoveToVersionId: first,
        }),
      );
    }
    const error = await errorOf(() =>
      admin.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'dev/labels',
          VersionStage: 'one-more',
          MoveToVersionId: second,
        }),
      ),
    );
    expect(error.name).toBe('LimitExceededException');
    expect(error.message).toContain('at most 20 staging labels');
    // Moving a label that exists adds none, so it still works; so does a write that needs no new label.
    await admin.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'dev/labels',
        VersionStage: 'label-0',
        RemoveFromVersionId: first,
        MoveToVersionId: second,
      }),
    );
    const tooMany = await errorOf(() =>
      admin.send(
        new PutSecretValueCommand({ SecretId: 'dev/labels', SecretString: 'v3', VersionStages: ['fresh'] }),
      ),
    );
    expect(tooMany.name).toBe('LimitExceededException');
    const described = await admin.send(new DescribeSecretCommand({ SecretId: 'dev/labels' }));
    expect(Object.values(described.VersionIdsToStages ?? {}).flat()).toHaveLength(20);
  });
});
