import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DAY_S = 86_400;
const MARKED = "You can't perform this operation on the secret because it was marked for deletion.";
const NOT_FOUND = "Secrets Manager can't find the specified secret.";

describe('secret lifecycle', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  const arnPrefix = () => `arn:aws:secretsmanager:${server.region}:${server.accountId}:secret:`;

  describe('CreateSecret', () => {
    it('returns an ARN with a 6-character suffix and the VersionId of the first value', async () => {
      const out = await client.send(
        new CreateSecretCommand({ Name: 'create/basic', SecretString: 'v1', Description: 'first' }),
      );
      expect(out.Name).toBe('create/basic');
      expect(out.ARN).toMatch(new RegExp(`^${arnPrefix()}create/basic-[A-Za-z0-9]{6}$`));
      expect(out.VersionId).toMatch(/^[0-9a-f-]{36}$/);
      const described = await client.send(new DescribeSecretCommand({ SecretId: 'create/basic' }));
      expect(described.Description).toBe('first');
      expect(described.VersionIdsToStages).toEqual({ [out.VersionId as string]: ['AWSCURRENT'] });
      expect(described.CreatedDate).toBeInstanceOf(Date);
    });

    it('creates a secret without a value: no VersionId, no versions, GetSecretValue not found', async () => {
      const out = await client.send(new CreateSecretCommand({ Name: 'create/empty' }));
      expect(out.VersionId).toBeUndefined();
      const described = await client.send(new DescribeSecretCommand({ SecretId: 'create/empty' }));
      expect(described.VersionIdsToStages).toBeUndefined();
      const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'create/empty' })));
      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.message).toBe(
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      );
    });

    it('uses the ClientRequestToken as the VersionId', async () => {
      const token = 'create-token-0000000000000000000000001';
      const out = await client.send(
        new CreateSecretCommand({ Name: 'create/token', SecretString: 'x', ClientRequestToken: token }),
      );
      expect(out.VersionId).toBe(token);
    });

    it('refuses an existing name with ResourceExistsException', async () => {
      await client.send(new CreateSecretCommand({ Name: 'create/dup', SecretString: 'a' }));
      const error = await errorOf(() =>
        client.send(new CreateSecretCommand({ Name: 'create/dup', SecretString: 'b' })),
      );
      expect(error.name).toBe('ResourceExistsException');
      expect(error.message).toBe('The operation failed because the secret create/dup already exists.');
      expect(error.$metadata?.httpStatusCode).toBe(400);
    });

    it('treats a retry with the same token and value as success', async () => {
      const token = 'create-retry-00000000000000000000000001';
      const first = await client.send(
        new CreateSecretCommand({ Name: 'create/retry', SecretString: 'same', ClientRequestToken: token }),
      );
      const again = await client.send(
        new CreateSecretCommand({ Name: 'create/retry', SecretString: 'same', ClientRequestToken: token }),
      );
      expect(again).toMatchObject({ ARN: first.ARN, VersionId: token });
      const error = await errorOf(() =>
        client.send(
          new CreateSecretCommand({ Name: 'create/retry', SecretString: 'other', ClientRequestToken: token }),
        ),
      );
      expect(error.name).toBe('ResourceExistsException');
    });

    it('stores tags and a binary value', async () => {
      await client.send(
        new CreateSecretCommand({
          Name: 'create/tagged',
          SecretBinary: new Uint8Array([0, 1, 2, 255]),
          Tags: [
            { Key: 'team', Value: 'core' },
            { Key: 'env', Value: 'dev' },
          ],
        }),
      );
      const described = await client.send(new DescribeSecretCommand({ SecretId: 'create/tagged' }));
      expect(described.Tags).toEqual([
        { Key: 'team', Value: 'core' },
        { Key: 'env', Value: 'dev' },
      ]);
      const got = await client.send(new GetSecretValueCommand({ SecretId: 'create/tagged' }));
      expect([...(got.SecretBinary ?? [])]).toEqual([0, 1, 2, 255]);
      expect(got.SecretString).toBeUndefined();
    });

    it('refuses SecretString and SecretBinary together', async () => {
      const error = await errorOf(() =>
        client.send(
          new CreateSecretCommand({
            Name: 'create/both',
            SecretString: 'a',
            SecretBinary: new Uint8Array([1]),
          }),
        ),
      );
      expect(error.name).toBe('InvalidParameterException');
    });

    it.each(['has space', 'star*', 'question?', 'colon:'])(
      'refuses the invalid name %j with ValidationException',
      async (name) => {
        const error = await errorOf(() => client.send(new CreateSecretCommand({ Name: name })));
        expect(error.name).toBe('ValidationException');
        expect(error.message).toBe(
          'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        );
      },
    );

    it('accepts every allowed punctuation character in a name', async () => {
      const out = await client.send(new CreateSecretCommand({ Name: 'a-/_+=.@z' }));
      expect(out.Name).toBe('a-/_+=.@z');
    });

    it('refuses a name longer than 512 characters', async () => {
      const error = await errorOf(() => client.send(new CreateSecretCommand({ Name: 'n'.repeat(513) })));
      expect(error.name).toBe('ValidationException');
      expect(error.message).toMatch(
        /^1 validation error detected: Value 'n+' at 'name' failed to satisfy constraint: Member must have length less than or equal to 512$/,
      );
    });

    it('refuses a description longer than 2048 characters', async () => {
      const error = await errorOf(() =>
        client.send(new CreateSecretCommand({ Name: 'create/longdesc', Description: 'd'.repeat(2049) })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain("at 'description'");
    });

    it('refuses more than 50 tags', async () => {
      const Tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
      const error = await errorOf(() =>
        client.send(new CreateSecretCommand({ Name: 'create/manytags', Tags })),
      );
      expect(error.name).toBe('LimitExceededException');
    });

    it("refuses a replica in the secret's own region, creating nothing", async () => {
      const error = await errorOf(() =>
        client.send(
          new CreateSecretCommand({ Name: 'create/replica', AddReplicaRegions: [{ Region: server.region }] }),
        ),
      );
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toBe('Invalid replica region.');
      const missing = await errorOf(() =>
        client.send(new DescribeSecretCommand({ SecretId: 'create/replica' })),
      );
      expect(missing.name).toBe('ResourceNotFoundException');
    });
  });

  describe('UpdateSecret', () => {
    it('changing only the description returns no VersionId and keeps the value', async () => {
      await client.send(new CreateSecretCommand({ Name: 'update/desc', SecretString: 'keep' }));
      const out = await client.send(new UpdateSecretCommand({ SecretId: 'update/desc', Description: 'new' }));
      expect(out.Name).toBe('update/desc');
      expect(out.VersionId).toBeUndefined();
      const described = await client.send(new DescribeSecretCommand({ SecretId: 'update/desc' }));
      expect(described.Description).toBe('new');
      const got = await client.send(new GetSecretValueCommand({ SecretId: 'update/desc' }));
      expect(got.SecretString).toBe('keep');
    });

    it('a new value becomes AWSCURRENT and the old one AWSPREVIOUS', async () => {
      const created = await client.send(
        new CreateSecretCommand({ Name: 'update/value', SecretString: 'one' }),
      );
      const out = await client.send(
        new UpdateSecretCommand({ SecretId: 'update/value', SecretString: 'two' }),
      );
      expect(out.VersionId).toBeDefined();
      expect(out.VersionId).not.toBe(created.VersionId);
      const got = await client.send(new GetSecretValueCommand({ SecretId: 'update/value' }));
      expect(got.SecretString).toBe('two');
      const previous = await client.send(
        new GetSecretValueCommand({ SecretId: 'update/value', VersionStage: 'AWSPREVIOUS' }),
      );
      expect(previous).toMatchObject({ SecretString: 'one', VersionId: created.VersionId });
    });

    it('gives a value to a secret created without one', async () => {
      await client.send(new CreateSecretCommand({ Name: 'update/first' }));
      await client.send(new UpdateSecretCommand({ SecretId: 'update/first', SecretString: 'now' }));
      const got = await client.send(new GetSecretValueCommand({ SecretId: 'update/first' }));
      expect(got).toMatchObject({ SecretString: 'now', VersionStages: ['AWSCURRENT'] });
    });

    it('is idempotent for the same token and value, and refuses the same token with another value', async () => {
      await client.send(new CreateSecretCommand({ Name: 'update/token', SecretString: 'a' }));
      const token = 'update-token-000000000000000000000000001';
      const first = await client.send(
        new UpdateSecretCommand({ SecretId: 'update/token', SecretString: 'b', ClientRequestToken: token }),
      );
      const again = await client.send(
        new UpdateSecretCommand({ SecretId: 'update/token', SecretString: 'b', ClientRequestToken: token }),
      );
      expect(again.VersionId).toBe(first.VersionId);
      const versions = await client.send(
        new ListSecretVersionIdsCommand({ SecretId: 'update/token', IncludeDeprecated: true }),
      );
      expect(versions.Versions).toHaveLength(2);
      const error = await errorOf(() =>
        client.send(
          new UpdateSecretCommand({ SecretId: 'update/token', SecretString: 'c', ClientRequestToken: token }),
        ),
      );
      expect(error.name).toBe('ResourceExistsException');
      expect(error.message).toContain(`You can't use ClientRequestToken ${token}`);
      expect(error.message).not.toContain("'c'");
    });

    it('refuses a missing secret', async () => {
      const error = await errorOf(() =>
        client.send(new UpdateSecretCommand({ SecretId: 'update/missing', Description: 'x' })),
      );
      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.message).toBe(NOT_FOUND);
    });
  });

  describe('DescribeSecret', () => {
    it('finds a secret by name, full ARN and partial ARN', async () => {
      const created = await client.send(
        new CreateSecretCommand({ Name: 'describe/ids', SecretString: 'x', Description: 'd' }),
      );
      const arn = created.ARN as string;
      for (const id of [created.Name as string, arn, arn.slice(0, -7)]) {
        const out = await client.send(new DescribeSecretCommand({ SecretId: id }));
        expect(out).toMatchObject({ ARN: arn, Name: 'describe/ids', Description: 'd' });
        expect(out.LastChangedDate).toBeInstanceOf(Date);
      }
    });

    it('a missing secret is ResourceNotFoundException with HTTP 400', async () => {
      const error = await errorOf(() =>
        client.send(new DescribeSecretCommand({ SecretId: 'describe/none' })),
      );
      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.message).toBe(NOT_FOUND);
      expect(error.$metadata?.httpStatusCode).toBe(400);
    });

    it('an ARN with the wrong suffix is not found', async () => {
      const created = await client.send(new CreateSecretCommand({ Name: 'describe/suffix' }));
      const wrong = `${(created.ARN as string).slice(0, -6)}ZZZZZZ`;
      const error = await errorOf(() => client.send(new DescribeSecretCommand({ SecretId: wrong })));
      expect(error.name).toBe('ResourceNotFoundException');
    });

    it('an invalid SecretId name is a ValidationException', async () => {
      const error = await errorOf(() => client.send(new DescribeSecretCommand({ SecretId: 'bad name' })));
      expect(error.name).toBe('ValidationException');
    });
  });

  describe('DeleteSecret / RestoreSecret', () => {
    it('schedules deletion 30 days out by default and marks DeletedDate', async () => {
      const created = await client.send(
        new CreateSecretCommand({ Name: 'delete/default', SecretString: 'x' }),
      );
      const before = Date.now() / 1000;
      const out = await client.send(new DeleteSecretCommand({ SecretId: 'delete/default' }));
      const after = Date.now() / 1000;
      expect(out).toMatchObject({ ARN: created.ARN, Name: 'delete/default' });
      const deletion = (out.DeletionDate as Date).getTime() / 1000;
      expect(deletion).toBeGreaterThanOrEqual(Math.floor(before + 30 * DAY_S));
      expect(deletion).toBeLessThanOrEqual(Math.ceil(after + 30 * DAY_S));
      const described = await client.send(new DescribeSecretCommand({ SecretId: 'delete/default' }));
      expect(described.DeletedDate).toBeInstanceOf(Date);
    });

    it.each([7, 30])('accepts RecoveryWindowInDays=%i', async (days) => {
      const name = `delete/window-${days}`;
      await client.send(new CreateSecretCommand({ Name: name }));
      const before = Date.now() / 1000;
      const out = await client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: days }));
      const deletion = (out.DeletionDate as Date).getTime() / 1000;
      expect(deletion).toBeGreaterThanOrEqual(Math.floor(before + days * DAY_S));
      expect(deletion).toBeLessThan(before + days * DAY_S + DAY_S);
    });

    it.each([0, 6, 31])('refuses RecoveryWindowInDays=%i', async (days) => {
      const name = `delete/bad-window-${days}`;
      await client.send(new CreateSecretCommand({ Name: name }));
      const error = await errorOf(() =>
        client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: days })),
      );
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toBe('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
      const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
      expect(described.DeletedDate).toBeUndefined();
    });

    it('checks the recovery window before ForceDeleteWithoutRecovery', async () => {
      await client.send(new CreateSecretCommand({ Name: 'delete/window-force' }));
      const error = await errorOf(() =>
        client.send(
          new DeleteSecretCommand({
            SecretId: 'delete/window-force',
            RecoveryWindowInDays: 0,
            ForceDeleteWithoutRecovery: true,
          }),
        ),
      );
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toContain('between 7 and 30 days');
    });

    it('refuses a valid recovery window together with ForceDeleteWithoutRecovery', async () => {
      await client.send(new CreateSecretCommand({ Name: 'delete/both' }));
      const error = await errorOf(() =>
        client.send(
          new DeleteSecretCommand({
            SecretId: 'delete/both',
            RecoveryWindowInDays: 7,
            ForceDeleteWithoutRecovery: true,
          }),
        ),
      );
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toContain('ForceDeleteWithoutRecovery');
    });

    it('a scheduled secret refuses reads and writes with InvalidRequestException', async () => {
      await client.send(new CreateSecretCommand({ Name: 'delete/refuses', SecretString: 'x' }));
      await client.send(new DeleteSecretCommand({ SecretId: 'delete/refuses', RecoveryWindowInDays: 7 }));
      const calls = [
        () => client.send(new GetSecretValueCommand({ SecretId: 'delete/refuses' })),
        () => client.send(new PutSecretValueCommand({ SecretId: 'delete/refuses', SecretString: 'y' })),
        () => client.send(new UpdateSecretCommand({ SecretId: 'delete/refuses', Description: 'y' })),
      ];
      for (const call of calls) {
        const error = await errorOf(call);
        expect(error.name).toBe('InvalidRequestException');
        expect(error.message).toBe(MARKED);
      }
      // Describe and ListSecretVersionIds still work on a scheduled secret.
      await client.send(new DescribeSecretCommand({ SecretId: 'delete/refuses' }));
      await client.send(new ListSecretVersionIdsCommand({ SecretId: 'delete/refuses' }));
    });

    it('refuses a second scheduled delete', async () => {
      await client.send(new CreateSecretCommand({ Name: 'delete/twice' }));
      await client.send(new DeleteSecretCommand({ SecretId: 'delete/twice' }));
      const error = await errorOf(() => client.send(new DeleteSecretCommand({ SecretId: 'delete/twice' })));
      expect(error.name).toBe('InvalidRequestException');
      expect(error.message).toContain('marked deleted');
    });

    it('refuses to reuse the name of a scheduled secret', async () => {
      await client.send(new CreateSecretCommand({ Name: 'delete/reuse' }));
      await client.send(new DeleteSecretCommand({ SecretId: 'delete/reuse' }));
      const error = await errorOf(() => client.send(new CreateSecretCommand({ Name: 'delete/reuse' })));
      expect(error.name).toBe('InvalidRequestException');
      expect(error.message).toBe(
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    });

    it('RestoreSecret brings a scheduled secret back with its value', async () => {
      const created = await client.send(
        new CreateSecretCommand({ Name: 'delete/restore', SecretString: 'v' }),
      );
      await client.send(new DeleteSecretCommand({ SecretId: 'delete/restore' }));
      const restored = await client.send(new RestoreSecretCommand({ SecretId: 'delete/restore' }));
      expect(restored).toMatchObject({ ARN: created.ARN, Name: 'delete/restore' });
      const described = await client.send(new DescribeSecretCommand({ SecretId: 'delete/restore' }));
      expect(described.DeletedDate).toBeUndefined();
      const got = await client.send(new GetSecretValueCommand({ SecretId: 'delete/restore' }));
      expect(got.SecretString).toBe('v');
    });

    it('RestoreSecret on a secret that is not deleted is a no-op; on a missing one, not found', async () => {
      await client.send(new CreateSecretCommand({ Name: 'delete/restore-live' }));
      const out = await client.send(new RestoreSecretCommand({ SecretId: 'delete/restore-live' }));
      expect(out.Name).toBe('delete/restore-live');
      const error = await errorOf(() =>
        client.send(new RestoreSecretCommand({ SecretId: 'delete/nothing' })),
      );
      expect(error.name).toBe('ResourceNotFoundException');
    });

    it('ForceDeleteWithoutRecovery deletes at once and frees the name', async () => {
      const created = await client.send(new CreateSecretCommand({ Name: 'delete/force', SecretString: 'x' }));
      const before = Date.now() / 1000;
      const out = await client.send(
        new DeleteSecretCommand({ SecretId: 'delete/force', ForceDeleteWithoutRecovery: true }),
      );
      expect(out).toMatchObject({ ARN: created.ARN, Name: 'delete/force' });
      expect((out.DeletionDate as Date).getTime() / 1000).toBeLessThan(before + 60);
      const error = await errorOf(() => client.send(new DescribeSecretCommand({ SecretId: 'delete/force' })));
      expect(error.name).toBe('ResourceNotFoundException');
      const recreated = await client.send(new CreateSecretCommand({ Name: 'delete/force' }));
      expect(recreated.ARN).not.toBe(created.ARN);
    });

    it('ForceDeleteWithoutRecovery works on a secret already scheduled for deletion', async () => {
      await client.send(new CreateSecretCommand({ Name: 'delete/force-scheduled' }));
      await client.send(new DeleteSecretCommand({ SecretId: 'delete/force-scheduled' }));
      await client.send(
        new DeleteSecretCommand({ SecretId: 'delete/force-scheduled', ForceDeleteWithoutRecovery: true }),
      );
      const error = await errorOf(() =>
        client.send(new DescribeSecretCommand({ SecretId: 'delete/force-scheduled' })),
      );
      expect(error.name).toBe('ResourceNotFoundException');
    });

    it('a forced delete of a missing secret succeeds; a scheduled one is not found', async () => {
      const out = await client.send(
        new DeleteSecretCommand({ SecretId: 'delete/never-existed', ForceDeleteWithoutRecovery: true }),
      );
      expect(out.Name).toBe('delete/never-existed');
      expect(out.DeletionDate).toBeInstanceOf(Date);
      const error = await errorOf(() =>
        client.send(new DeleteSecretCommand({ SecretId: 'delete/never-existed' })),
      );
      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.message).toBe(NOT_FOUND);
    });

    it('deletes by full ARN', async () => {
      const created = await client.send(new CreateSecretCommand({ Name: 'delete/by-arn' }));
      const out = await client.send(
        new DeleteSecretCommand({ SecretId: created.ARN, ForceDeleteWithoutRecovery: true }),
      );
      expect(out.ARN).toBe(created.ARN);
      expect(out.Name).toBe('delete/by-arn');
    });
  });
});
