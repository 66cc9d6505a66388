import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Version ids, oldest first, typed so a test can destructure the ones it created. */
type VersionIds = [string, string, string, ...string[]];

describe('versions and staging labels', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  /** Creates a secret with `count` values; returns version ids oldest first. */
  async function secretWithVersions(name: string, count: number): Promise<VersionIds> {
    const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v0' }));
    const ids = [created.VersionId as string];
    for (let i = 1; i < count; i++) {
      const out = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: `v${i}` }));
      ids.push(out.VersionId as string);
    }
    return ids as VersionIds;
  }

  async function stagesOf(secretId: string): Promise<Record<string, string[]>> {
    const out = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return Object.fromEntries(
      Object.entries(out.VersionIdsToStages ?? {}).map(([id, stages]) => [id, [...stages].sort()]),
    );
  }

  const move = (
    SecretId: string,
    VersionStage: string,
    MoveToVersionId?: string,
    RemoveFromVersionId?: string,
  ) =>
    client.send(
      new UpdateSecretVersionStageCommand({ SecretId, VersionStage, MoveToVersionId, RemoveFromVersionId }),
    );

  describe('ListSecretVersionIds', () => {
    it('lists labeled versions, and deprecated ones only with IncludeDeprecated', async () => {
      const [v0, v1, v2] = await secretWithVersions('list/deprecated', 3);
      const labeled = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'list/deprecated' }));
      expect(labeled.Name).toBe('list/deprecated');
      expect(labeled.ARN).toMatch(/:secret:list\/deprecated-[A-Za-z0-9]{6}$/);
      expect(labeled.Versions?.map((v) => v.VersionId).sort()).toEqual([v1, v2].sort());
      const all = await client.send(
        new ListSecretVersionIdsCommand({ SecretId: 'list/deprecated', IncludeDeprecated: true }),
      );
      expect(all.Versions?.map((v) => v.VersionId).sort()).toEqual([v0, v1, v2].sort());
      const deprecated = all.Versions?.find((v) => v.VersionId === v0);
      // A deprecated version has no VersionStages key at all, as on AWS.
      expect(deprecated && 'VersionStages' in deprecated).toBe(false);
      expect(deprecated?.CreatedDate).toBeInstanceOf(Date);
      expect(deprecated?.KmsKeyIds).toEqual(['DefaultEncryptionKey']);
      expect(all.Versions?.find((v) => v.VersionId === v2)?.VersionStages).toEqual(['AWSCURRENT']);
    });

    it('a deprecated version can still be read by VersionId', async () => {
      const [v0] = await secretWithVersions('list/read-deprecated', 3);
      const got = await client.send(
        new GetSecretValueCommand({ SecretId: 'list/read-deprecated', VersionId: v0 }),
      );
      expect(got.SecretString).toBe('v0');
      expect(got.VersionStages).toEqual([]);
    });

    it('reports LastAccessedDate once a version was read, at day granularity', async () => {
      const [v0] = await secretWithVersions('list/accessed', 1);
      const before = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'list/accessed' }));
      expect(before.Versions?.[0]?.LastAccessedDate).toBeUndefined();
      await client.send(new GetSecretValueCommand({ SecretId: 'list/accessed' }));
      const after = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'list/accessed' }));
      const accessed = after.Versions?.find((v) => v.VersionId === v0)?.LastAccessedDate;
      expect(accessed).toBeInstanceOf(Date);
      expect((accessed as Date).getTime() % 86_400_000).toBe(0);
    });

    it('gives each version read the same day its own LastAccessedDate', async () => {
      const [v0, v1] = await secretWithVersions('list/accessed-two', 2);
      // Reading AWSCURRENT (v1) stamps the secret for today; reading v0 later the same day must stamp v0 too.
      await client.send(new GetSecretValueCommand({ SecretId: 'list/accessed-two' }));
      await client.send(new GetSecretValueCommand({ SecretId: 'list/accessed-two', VersionId: v0 }));
      const out = await client.send(
        new ListSecretVersionIdsCommand({ SecretId: 'list/accessed-two', IncludeDeprecated: true }),
      );
      const accessed = (id: string) => out.Versions?.find((v) => v.VersionId === id)?.LastAccessedDate;
      const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
      expect(accessed(v1)?.getTime()).toBe(today);
      expect(accessed(v0)?.getTime()).toBe(today);
      const described = await client.send(new DescribeSecretCommand({ SecretId: 'list/accessed-two' }));
      expect(described.LastAccessedDate?.getTime()).toBe(today);
    });

    it('names a custom KMS key in KmsKeyIds', async () => {
      await client.send(
        new CreateSecretCommand({ Name: 'list/kms', SecretString: 'x', KmsKeyId: 'alias/my-key' }),
      );
      const out = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'list/kms' }));
      expect(out.Versions?.[0]?.KmsKeyIds).toEqual(['alias/my-key']);
    });

    it('pages with MaxResults and NextToken over every version exactly once', async () => {
      const ids = await secretWithVersions('list/paged', 7);
      const seen: string[] = [];
      const sizes: number[] = [];
      let NextToken: string | undefined;
      do {
        const out = await client.send(
          new ListSecretVersionIdsCommand({
            SecretId: 'list/paged',
            IncludeDeprecated: true,
            MaxResults: 3,
            NextToken,
          }),
        );
        sizes.push(out.Versions?.length ?? 0);
        seen.push(...(out.Versions ?? []).map((v) => v.VersionId as string));
        NextToken = out.NextToken;
      } while (NextToken);
      expect(sizes).toEqual([3, 3, 1]);
      expect(seen.sort()).toEqual([...ids].sort());
    });

    it('returns no NextToken when everything fits', async () => {
      await secretWithVersions('list/fits', 2);
      const out = await client.send(
        new ListSecretVersionIdsCommand({ SecretId: 'list/fits', MaxResults: 2 }),
      );
      expect(out.Versions).toHaveLength(2);
      expect(out.NextToken).toBeUndefined();
    });

    it('an invalid NextToken is InvalidNextTokenException', async () => {
      await secretWithVersions('list/bad-token', 1);
      const error = await errorOf(() =>
        client.send(
          new ListSecretVersionIdsCommand({ SecretId: 'list/bad-token', NextToken: 'not-a-token' }),
        ),
      );
      expect(error.name).toBe('InvalidNextTokenException');
    });

    it.each([0, 101])('refuses MaxResults=%i', async (max) => {
      await secretWithVersions(`list/max-${max}`, 1);
      const error = await errorOf(() =>
        client.send(new ListSecretVersionIdsCommand({ SecretId: `list/max-${max}`, MaxResults: max })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toMatch(
        new RegExp(
          `^1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value (greater|less) than or equal to (1|100)$`,
        ),
      );
    });

    it('a missing secret is ResourceNotFoundException', async () => {
      const error = await errorOf(() =>
        client.send(new ListSecretVersionIdsCommand({ SecretId: 'list/missing' })),
      );
      expect(error.name).toBe('ResourceNotFoundException');
    });
  });

  describe('version quota', () => {
    it('refuses a 101st version while no unlabeled version is a day old; retries still succeed', async () => {
      const ids = await secretWithVersions('quota/full', 100);
      const error = await errorOf(() =>
        client.send(new PutSecretValueCommand({ SecretId: 'quota/full', SecretString: 'one too many' })),
      );
      expect(error.name).toBe('LimitExceededException');
      const retry = await client.send(
        new PutSecretValueCommand({
          SecretId: 'quota/full',
          SecretString: 'v99',
          ClientRequestToken: ids[99],
        }),
      );
      expect(retry.VersionId).toBe(ids[99]);
      const current = await client.send(new GetSecretValueCommand({ SecretId: 'quota/full' }));
      expect(current.SecretString).toBe('v99');
    });
  });

  describe('UpdateSecretVersionStage', () => {
    it('moves AWSCURRENT back to an older version; the old current becomes AWSPREVIOUS', async () => {
      const [v0, v1] = await secretWithVersions('stage/rollback', 2);
      const out = await move('stage/rollback', 'AWSCURRENT', v0, v1);
      expect(out.Name).toBe('stage/rollback');
      expect(out.ARN).toMatch(/:secret:stage\/rollback-/);
      expect(await stagesOf('stage/rollback')).toEqual({ [v0]: ['AWSCURRENT'], [v1]: ['AWSPREVIOUS'] });
      const got = await client.send(new GetSecretValueCommand({ SecretId: 'stage/rollback' }));
      expect(got.SecretString).toBe('v0');
    });

    it('the version receiving AWSCURRENT keeps its other labels', async () => {
      const [v0] = await secretWithVersions('stage/keep', 1);
      const pending = await client.send(
        new PutSecretValueCommand({
          SecretId: 'stage/keep',
          SecretString: 'p',
          VersionStages: ['AWSPENDING'],
        }),
      );
      const v1 = pending.VersionId as string;
      await move('stage/keep', 'AWSCURRENT', v1, v0);
      expect(await stagesOf('stage/keep')).toEqual({
        [v0]: ['AWSPREVIOUS'],
        [v1]: ['AWSCURRENT', 'AWSPENDING'],
      });
    });

    it('refuses to move an attached label without RemoveFromVersionId', async () => {
      const [v0, v1] = await secretWithVersions('stage/no-remove', 2);
      const error = await errorOf(() => move('stage/no-remove', 'AWSCURRENT', v0));
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toBe(
        `The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version ${v1}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    });

    it('refuses a RemoveFromVersionId that does not hold the label', async () => {
      const [v0, v1] = await secretWithVersions('stage/wrong-remove', 3);
      const error = await errorOf(() => move('stage/wrong-remove', 'AWSCURRENT', v1, v0));
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toContain(v0);
      expect((await stagesOf('stage/wrong-remove'))[v1]).toEqual(['AWSPREVIOUS']);
    });

    it('refuses an unknown MoveToVersionId or RemoveFromVersionId', async () => {
      const [v0] = await secretWithVersions('stage/unknown', 1);
      const unknown = '11111111-2222-3333-4444-555555555555';
      const to = await errorOf(() => move('stage/unknown', 'AWSCURRENT', unknown, v0));
      expect(to.name).toBe('InvalidParameterException');
      expect(to.message).toContain(unknown);
      const from = await errorOf(() => move('stage/unknown', 'custom', undefined, unknown));
      expect(from.name).toBe('InvalidParameterException');
    });

    it('refuses to remove AWSCURRENT without moving it', async () => {
      const [v0] = await secretWithVersions('stage/remove-current', 1);
      const error = await errorOf(() => move('stage/remove-current', 'AWSCURRENT', undefined, v0));
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toContain('AWSCURRENT');
      expect(await stagesOf('stage/remove-current')).toEqual({ [v0]: ['AWSCURRENT'] });
    });

    it('attaches a new custom label, moves it, and removes it', async () => {
      const [v0, v1] = await secretWithVersions('stage/custom', 2);
      await move('stage/custom', 'blue', v0);
      expect((await stagesOf('stage/custom'))[v0]).toEqual(['AWSPREVIOUS', 'blue']);
      await move('stage/custom', 'blue', v1, v0);
      expect(await stagesOf('stage/custom')).toEqual({ [v0]: ['AWSPREVIOUS'], [v1]: ['AWSCURRENT', 'blue'] });
      const blue = await client.send(
        new GetSecretValueCommand({ SecretId: 'stage/custom', VersionStage: 'blue' }),
      );
      expect(blue.VersionId).toBe(v1);
      await move('stage/custom', 'blue', undefined, v1);
      expect(await stagesOf('stage/custom')).toEqual({ [v0]: ['AWSPREVIOUS'], [v1]: ['AWSCURRENT'] });
    });

    it('removing the last label of a version deprecates it', async () => {
      const [v0, v1] = await secretWithVersions('stage/deprecate', 2);
      await move('stage/deprecate', 'AWSPREVIOUS', undefined, v0);
      expect(await stagesOf('stage/deprecate')).toEqual({ [v1]: ['AWSCURRENT'] });
      const listed = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'stage/deprecate' }));
      expect(listed.Versions?.map((v) => v.VersionId)).toEqual([v1]);
      const all = await client.send(
        new ListSecretVersionIdsCommand({ SecretId: 'stage/deprecate', IncludeDeprecated: true }),
      );
      expect(all.Versions).toHaveLength(2);
    });

    it('moving a label to the version that already holds it is a no-op', async () => {
      const [v0] = await secretWithVersions('stage/noop', 1);
      await move('stage/noop', 'AWSCURRENT', v0, v0);
      expect(await stagesOf('stage/noop')).toEqual({ [v0]: ['AWSCURRENT'] });
    });

    it('a missing secret is ResourceNotFoundException', async () => {
      const error = await errorOf(() =>
        move('stage/missing', 'AWSCURRENT', '11111111-2222-3333-4444-555555555555'),
      );
      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.message).toBe("Secrets Manager can't find the specified secret.");
    });

    it('refuses an empty or over-long VersionStage', async () => {
      const [v0] = await secretWithVersions('stage/length', 1);
      const empty = await errorOf(() => move('stage/length', '', v0));
      expect(empty.name).toBe('ValidationException');
      expect(empty.message).toContain("at 'versionStage' failed to satisfy constraint");
      const long = await errorOf(() => move('stage/length', 'x'.repeat(257), v0));
      expect(long.name).toBe('ValidationException');
      expect(long.message).toContain('Member must have length less than or equal to 256');
    });
  });
});
