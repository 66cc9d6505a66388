import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LIMIT = 65_536;

describe('secret values', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  /** Staging labels by version id, sorted, for order-insensitive comparison. */
  async function stagesOf(secretId: string): Promise<Record<string, string[]>> {
    const out = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return Object.fromEntries(
      Object.entries(out.VersionIdsToStages ?? {}).map(([id, stages]) => [id, [...stages].sort()]),
    );
  }

  async function create(name: string, SecretString = 'v1'): Promise<{ arn: string; versionId: string }> {
    const out = await client.send(new CreateSecretCommand({ Name: name, SecretString }));
    return { arn: out.ARN as string, versionId: out.VersionId as string };
  }

  async function put(SecretId: string, SecretString: string, VersionStages?: string[]): Promise<string> {
    const out = await client.send(new PutSecretValueCommand({ SecretId, SecretString, VersionStages }));
    return out.VersionId as string;
  }

  describe('GetSecretValue', () => {
    it('finds the secret by name, full ARN and partial ARN', async () => {
      const { arn, versionId } = await create('get/ids', 'by-id');
      for (const id of ['get/ids', arn, arn.slice(0, -7)]) {
        const got = await client.send(new GetSecretValueCommand({ SecretId: id }));
        expect(got).toMatchObject({
          ARN: arn,
          Name: 'get/ids',
          VersionId: versionId,
          SecretString: 'by-id',
          VersionStages: ['AWSCURRENT'],
        });
        expect(got.CreatedDate).toBeInstanceOf(Date);
      }
    });

    it('resolves a partial ARN of a name that itself ends like a suffix', async () => {
      const { arn } = await create('get/name-abcdef', 'tricky');
      const got = await client.send(new GetSecretValueCommand({ SecretId: arn.slice(0, -7) }));
      expect(got.SecretString).toBe('tricky');
    });

    it('an ARN of another account or region is not found', async () => {
      const { arn } = await create('get/other-account');
      for (const id of [
        arn.replace(server.accountId, '999999999999'),
        arn.replace(server.region, 'eu-west-3'),
      ]) {
        const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: id })));
        expect(error.name).toBe('ResourceNotFoundException');
        expect(error.message).toBe("Secrets Manager can't find the specified secret.");
      }
    });

    it('reads a version by VersionId and by VersionStage', async () => {
      const { versionId: v1 } = await create('get/versions', 'one');
      const v2 = await put('get/versions', 'two');
      const byId = await client.send(new GetSecretValueCommand({ SecretId: 'get/versions', VersionId: v1 }));
      expect(byId).toMatchObject({ SecretString: 'one', VersionId: v1, VersionStages: ['AWSPREVIOUS'] });
      const byStage = await client.send(
        new GetSecretValueCommand({ SecretId: 'get/versions', VersionStage: 'AWSPREVIOUS' }),
      );
      expect(byStage.VersionId).toBe(v1);
      const both = await client.send(
        new GetSecretValueCommand({ SecretId: 'get/versions', VersionId: v2, VersionStage: 'AWSCURRENT' }),
      );
      expect(both.SecretString).toBe('two');
    });

    it('a VersionStage that is not on the given VersionId is InvalidRequestException', async () => {
      const { versionId: v1 } = await create('get/mismatch', 'one');
      await put('get/mismatch', 'two');
      const error = await errorOf(() =>
        client.send(
          new GetSecretValueCommand({ SecretId: 'get/mismatch', VersionId: v1, VersionStage: 'AWSCURRENT' }),
        ),
      );
      expect(error.name).toBe('InvalidRequestException');
      expect(error.message).toBe(
        'You provided a VersionStage that is not associated to the provided VersionId.',
      );
    });

    it('an unknown VersionId or VersionStage is ResourceNotFoundException naming it', async () => {
      await create('get/unknown');
      const id = '00000000-0000-0000-0000-000000000000';
      const byId = await errorOf(() =>
        client.send(new GetSecretValueCommand({ SecretId: 'get/unknown', VersionId: id })),
      );
      expect(byId.name).toBe('ResourceNotFoundException');
      expect(byId.message).toBe(`Secrets Manager can't find the specified secret value for VersionId: ${id}`);
      const byStage = await errorOf(() =>
        client.send(new GetSecretValueCommand({ SecretId: 'get/unknown', VersionStage: 'AWSPENDING' })),
      );
      expect(byStage.name).toBe('ResourceNotFoundException');
      expect(byStage.message).toBe(
        "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
      );
    });

    it('a VersionId shorter than 32 characters is a ValidationException', async () => {
      await create('get/short-id');
      const error = await errorOf(() =>
        client.send(new GetSecretValueCommand({ SecretId: 'get/short-id', VersionId: 'short' })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        "1 validation error detected: Value 'short' at 'versionId' failed to satisfy constraint: Member must have length greater than or equal to 32",
      );
    });

    it('a missing secret is ResourceNotFoundException', async () => {
      const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'get/missing' })));
      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.message).toBe("Secrets Manager can't find the specified secret.");
    });
  });

  describe('SecretString and SecretBinary', () => {
    it('round-trips every byte value through SecretBinary', async () => {
      const bytes = new Uint8Array(256).map((_, i) => i);
      await client.send(new CreateSecretCommand({ Name: 'bin/all-bytes', SecretBinary: bytes }));
      const got = await client.send(new GetSecretValueCommand({ SecretId: 'bin/all-bytes' }));
      expect(got.SecretString).toBeUndefined();
      expect(Buffer.from(got.SecretBinary as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    });

    it('round-trips non-ASCII text through SecretString', async () => {
      const text = 'pässwörd 🔑 {"json": true}\n\ttabs';
      await create('str/unicode', text);
      const got = await client.send(new GetSecretValueCommand({ SecretId: 'str/unicode' }));
      expect(got.SecretString).toBe(text);
      expect(got.SecretBinary).toBeUndefined();
    });

    it('a version can switch from string to binary', async () => {
      await create('str/switch', 'text');
      await client.send(
        new PutSecretValueCommand({ SecretId: 'str/switch', SecretBinary: new Uint8Array([9]) }),
      );
      const current = await client.send(new GetSecretValueCommand({ SecretId: 'str/switch' }));
      expect([...(current.SecretBinary ?? [])]).toEqual([9]);
      const previous = await client.send(
        new GetSecretValueCommand({ SecretId: 'str/switch', VersionStage: 'AWSPREVIOUS' }),
      );
      expect(previous.SecretString).toBe('text');
    });

    it('accepts a SecretString of exactly 65,536 bytes', async () => {
      const value = 'a'.repeat(LIMIT);
      await create('limit/string-ok', value);
      const got = await client.send(new GetSecretValueCommand({ SecretId: 'limit/string-ok' }));
      expect(got.SecretString).toHaveLength(LIMIT);
    });

    it('refuses a SecretString of 65,537 bytes without echoing it', async () => {
      const value = `SENSITIVE${'a'.repeat(LIMIT - 8)}`;
      const error = await errorOf(() =>
        client.send(new CreateSecretCommand({ Name: 'limit/string-big', SecretString: value })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536",
      );
      expect(error.message).not.toContain('SENSITIVE');
      const missing = await errorOf(() =>
        client.send(new DescribeSecretCommand({ SecretId: 'limit/string-big' })),
      );
      expect(missing.name).toBe('ResourceNotFoundException');
    });

    it('counts the limit in UTF-8 bytes, not characters', async () => {
      await create('limit/utf8');
      const ok = 'é'.repeat(LIMIT / 2);
      await client.send(new PutSecretValueCommand({ SecretId: 'limit/utf8', SecretString: ok }));
      const error = await errorOf(() =>
        client.send(new PutSecretValueCommand({ SecretId: 'limit/utf8', SecretString: `${ok}a` })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain("at 'secretString'");
    });

    it('accepts a SecretBinary of exactly 65,536 bytes and refuses 65,537', async () => {
      await client.send(
        new CreateSecretCommand({ Name: 'limit/binary', SecretBinary: new Uint8Array(LIMIT).fill(7) }),
      );
      const got = await client.send(new GetSecretValueCommand({ SecretId: 'limit/binary' }));
      expect(got.SecretBinary).toHaveLength(LIMIT);
      const error = await errorOf(() =>
        client.send(
          new PutSecretValueCommand({ SecretId: 'limit/binary', SecretBinary: new Uint8Array(LIMIT + 1) }),
        ),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        "1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to 65536",
      );
    });

    it('refuses an empty SecretString', async () => {
      await create('limit/empty');
      const error = await errorOf(() =>
        client.send(new PutSecretValueCommand({ SecretId: 'limit/empty', SecretString: '' })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain('Member must have length greater than or equal to 1');
    });

    it('PutSecretValue with neither value is InvalidRequestException', async () => {
      await create('limit/none');
      const error = await errorOf(() => client.send(new PutSecretValueCommand({ SecretId: 'limit/none' })));
      expect(error.name).toBe('InvalidRequestException');
      expect(error.message).toBe('You must provide either SecretString or SecretBinary.');
    });

    it('PutSecretValue with both values is InvalidParameterException', async () => {
      await create('limit/both');
      const error = await errorOf(() =>
        client.send(
          new PutSecretValueCommand({
            SecretId: 'limit/both',
            SecretString: 'x',
            SecretBinary: new Uint8Array([1]),
          }),
        ),
      );
      expect(error.name).toBe('InvalidParameterException');
    });
  });

  describe('PutSecretValue staging labels', () => {
    it('moves AWSCURRENT to the new version and AWSPREVIOUS to the old one', async () => {
      const { versionId: v1 } = await create('labels/rotate', 'one');
      const out = await client.send(
        new PutSecretValueCommand({ SecretId: 'labels/rotate', SecretString: 'two' }),
      );
      expect(out.VersionStages).toEqual(['AWSCURRENT']);
      const v2 = out.VersionId as string;
      expect(await stagesOf('labels/rotate')).toEqual({ [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT'] });
      const v3 = await put('labels/rotate', 'three');
      // v1 lost its last label: it is deprecated and leaves VersionIdsToStages.
      expect(await stagesOf('labels/rotate')).toEqual({ [v2]: ['AWSPREVIOUS'], [v3]: ['AWSCURRENT'] });
    });

    it('labels other than AWSCURRENT leave AWSCURRENT where it is', async () => {
      const { versionId: v1 } = await create('labels/pending', 'one');
      const out = await client.send(
        new PutSecretValueCommand({
          SecretId: 'labels/pending',
          SecretString: 'two',
          VersionStages: ['AWSPENDING'],
        }),
      );
      expect(out.VersionStages).toEqual(['AWSPENDING']);
      expect(await stagesOf('labels/pending')).toEqual({
        [v1]: ['AWSCURRENT'],
        [out.VersionId as string]: ['AWSPENDING'],
      });
      const current = await client.send(new GetSecretValueCommand({ SecretId: 'labels/pending' }));
      expect(current.SecretString).toBe('one');
      const pending = await client.send(
        new GetSecretValueCommand({ SecretId: 'labels/pending', VersionStage: 'AWSPENDING' }),
      );
      expect(pending.SecretString).toBe('two');
    });

    it('custom labels move from the version that held them (AWS example)', async () => {
      const { versionId: v1 } = await create('labels/custom', 'one');
      const v2 = await put('labels/custom', 'two', ['one', 'two', 'three']);
      const v3 = await put('labels/custom', 'three', ['four', 'one', 'two']);
      expect(await stagesOf('labels/custom')).toEqual({
        [v1]: ['AWSCURRENT'],
        [v2]: ['three'],
        [v3]: ['four', 'one', 'two'],
      });
    });

    it('custom labels on the old current version stay there', async () => {
      await create('labels/keep', 'one');
      const v2 = await put('labels/keep', 'two', ['AWSCURRENT', 'blue']);
      const v3 = await put('labels/keep', 'three');
      const stages = await stagesOf('labels/keep');
      expect(stages[v2]).toEqual(['AWSPREVIOUS', 'blue']);
      expect(stages[v3]).toEqual(['AWSCURRENT']);
      const blue = await client.send(
        new GetSecretValueCommand({ SecretId: 'labels/keep', VersionStage: 'blue' }),
      );
      expect(blue.SecretString).toBe('two');
    });

    it('the first value of a secret becomes AWSCURRENT even under a custom label', async () => {
      await client.send(new CreateSecretCommand({ Name: 'labels/first' }));
      const out = await client.send(
        new PutSecretValueCommand({ SecretId: 'labels/first', SecretString: 'x', VersionStages: ['custom'] }),
      );
      expect([...(out.VersionStages ?? [])].sort()).toEqual(['AWSCURRENT', 'custom']);
    });

    it('refuses more than 20 labels and empty labels', async () => {
      await create('labels/too-many');
      const many = Array.from({ length: 21 }, (_, i) => `l${i}`);
      const error = await errorOf(() => put('labels/too-many', 'x', many));
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain("at 'versionStages' failed to satisfy constraint");
      const empty = await errorOf(() => put('labels/too-many', 'x', ['ok', '']));
      expect(empty.name).toBe('ValidationException');
      expect(empty.message).toBe(
        "1 validation error detected: Value '' at 'versionStages.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    });
  });

  describe('ClientRequestToken idempotency', () => {
    const token = 'put-token-00000000000000000000000000001';

    it('the same token with the same value is a no-op returning the same version', async () => {
      await create('token/same', 'one');
      const first = await client.send(
        new PutSecretValueCommand({ SecretId: 'token/same', SecretString: 'two', ClientRequestToken: token }),
      );
      expect(first.VersionId).toBe(token);
      const again = await client.send(
        new PutSecretValueCommand({ SecretId: 'token/same', SecretString: 'two', ClientRequestToken: token }),
      );
      expect(again).toMatchObject({ VersionId: token, VersionStages: ['AWSCURRENT'] });
      const versions = await client.send(
        new ListSecretVersionIdsCommand({ SecretId: 'token/same', IncludeDeprecated: true }),
      );
      expect(versions.Versions).toHaveLength(2);
      const previous = await client.send(
        new GetSecretValueCommand({ SecretId: 'token/same', VersionStage: 'AWSPREVIOUS' }),
      );
      expect(previous.SecretString).toBe('one');
    });

    it('the same token with the same binary value is a no-op', async () => {
      await create('token/binary');
      const request = {
        SecretId: 'token/binary',
        SecretBinary: new Uint8Array([1, 2, 3]),
        ClientRequestToken: token,
      };
      await client.send(new PutSecretValueCommand(request));
      await client.send(new PutSecretValueCommand(request));
      const versions = await client.send(
        new ListSecretVersionIdsCommand({ SecretId: 'token/binary', IncludeDeprecated: true }),
      );
      expect(versions.Versions).toHaveLength(2);
    });

    it('the same token with a different value is ResourceExistsException, without the value', async () => {
      const { arn } = await create('token/conflict');
      await client.send(
        new PutSecretValueCommand({
          SecretId: 'token/conflict',
          SecretString: 'first',
          ClientRequestToken: token,
        }),
      );
      const error = await errorOf(() =>
        client.send(
          new PutSecretValueCommand({
            SecretId: 'token/conflict',
            SecretString: 'SECOND-VALUE',
            ClientRequestToken: token,
          }),
        ),
      );
      expect(error.name).toBe('ResourceExistsException');
      expect(error.message).toContain(
        `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${arn}`,
      );
      expect(error.message).not.toMatch(/first|SECOND-VALUE/);
      const current = await client.send(new GetSecretValueCommand({ SecretId: 'token/conflict' }));
      expect(current.SecretString).toBe('first');
    });

    it('a token of the wrong length is a ValidationException', async () => {
      await create('token/short');
      const error = await errorOf(() =>
        client.send(
          new PutSecretValueCommand({
            SecretId: 'token/short',
            SecretString: 'x',
            ClientRequestToken: 'abc',
          }),
        ),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        "1 validation error detected: Value 'abc' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 32",
      );
    });
  });

  describe('BatchGetSecretValue', () => {
    it('returns values for a SecretIdList and per-secret Errors for the rest', async () => {
      const a = await create('batch/list/a', 'A');
      await create('batch/list/b', 'B');
      await create('batch/list/deleted', 'D');
      await client.send(new DeleteSecretCommand({ SecretId: 'batch/list/deleted' }));
      await client.send(new CreateSecretCommand({ Name: 'batch/list/empty' }));
      const out = await client.send(
        new BatchGetSecretValueCommand({
          SecretIdList: [
            a.arn,
            'batch/list/b',
            'batch/list/missing',
            'batch/list/deleted',
            'batch/list/empty',
          ],
        }),
      );
      expect(out.SecretValues?.map((v) => [v.Name, v.SecretString])).toEqual([
        ['batch/list/a', 'A'],
        ['batch/list/b', 'B'],
      ]);
      expect(out.SecretValues?.[0]).toMatchObject({
        ARN: a.arn,
        VersionId: a.versionId,
        VersionStages: ['AWSCURRENT'],
      });
      expect(out.SecretValues?.[0]?.CreatedDate).toBeInstanceOf(Date);
      expect(out.Errors).toEqual([
        {
          SecretId: 'batch/list/missing',
          ErrorCode: 'ResourceNotFoundException',
          Message: "Secrets Manager can't find the specified secret.",
        },
        {
          SecretId: 'batch/list/deleted',
          ErrorCode: 'InvalidRequestException',
          Message: "You can't perform this operation on the secret because it was marked for deletion.",
        },
        {
          SecretId: 'batch/list/empty',
          ErrorCode: 'ResourceNotFoundException',
          Message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
        },
      ]);
      expect(out.NextToken).toBeUndefined();
    });

    it('returns binary values in a batch', async () => {
      await client.send(
        new CreateSecretCommand({ Name: 'batch/binary', SecretBinary: new Uint8Array([4, 5]) }),
      );
      const out = await client.send(new BatchGetSecretValueCommand({ SecretIdList: ['batch/binary'] }));
      expect([...(out.SecretValues?.[0]?.SecretBinary ?? [])]).toEqual([4, 5]);
    });

    it('pages through Filters with MaxResults and NextToken, skipping deleted secrets', async () => {
      for (const n of [1, 2, 3, 4, 5]) await create(`batch/page/s${n}`, `value-${n}`);
      await create('batch/page/s6-deleted');
      await client.send(new DeleteSecretCommand({ SecretId: 'batch/page/s6-deleted' }));
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let NextToken: string | undefined;
      do {
        const out = await client.send(
          new BatchGetSecretValueCommand({
            Filters: [{ Key: 'name', Values: ['batch/page/'] }],
            MaxResults: 2,
            NextToken,
          }),
        );
        pageSizes.push(out.SecretValues?.length ?? 0);
        for (const v of out.SecretValues ?? []) seen.push(v.SecretString as string);
        expect(out.Errors).toEqual([]);
        NextToken = out.NextToken;
      } while (NextToken);
      expect(pageSizes).toEqual([2, 2, 1]);
      expect(seen.sort()).toEqual(['value-1', 'value-2', 'value-3', 'value-4', 'value-5']);
    });

    it('refuses both SecretIdList and Filters, and neither', async () => {
      for (const request of [
        { SecretIdList: ['x'], Filters: [{ Key: 'name' as const, Values: ['x'] }] },
        {},
      ]) {
        const error = await errorOf(() => client.send(new BatchGetSecretValueCommand(request)));
        expect(error.name).toBe('InvalidParameterException');
        expect(error.message).toBe("Either 'SecretIdList' or 'Filters' must be provided, but not both.");
      }
    });

    it('refuses MaxResults without Filters', async () => {
      const error = await errorOf(() =>
        client.send(new BatchGetSecretValueCommand({ SecretIdList: ['x'], MaxResults: 5 })),
      );
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toContain("'Filters' must also be specified when 'MaxResults' is provided");
    });

    it('refuses more than 20 ids and MaxResults above 20', async () => {
      const ids = Array.from({ length: 21 }, (_, i) => `id${i}`);
      const tooMany = await errorOf(() => client.send(new BatchGetSecretValueCommand({ SecretIdList: ids })));
      expect(tooMany.name).toBe('ValidationException');
      expect(tooMany.message).toContain(
        "at 'secretIdList' failed to satisfy constraint: Member must have length less than or equal to 20",
      );
      const big = await errorOf(() =>
        client.send(
          new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: ['x'] }], MaxResults: 21 }),
        ),
      );
      expect(big.name).toBe('ValidationException');
      expect(big.message).toBe(
        "1 validation error detected: Value '21' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 20",
      );
    });

    it('reports secrets the caller may not read as AccessDeniedException entries', async () => {
      const allowed = await create('batch/auth/allowed', 'ok');
      await create('batch/auth/denied', 'no');
      const reader = server.addCredential({
        userName: 'batch-reader',
        policy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'secretsmanager:BatchGetSecretValue', Resource: '*' },
            { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: allowed.arn },
          ],
        },
      });
      const limited = clientFor(server, { credentials: reader });
      const out = await limited.send(
        new BatchGetSecretValueCommand({ SecretIdList: ['batch/auth/allowed', 'batch/auth/denied'] }),
      );
      expect(out.SecretValues?.map((v) => v.Name)).toEqual(['batch/auth/allowed']);
      expect(out.Errors).toHaveLength(1);
      expect(out.Errors?.[0]).toMatchObject({
        SecretId: 'batch/auth/denied',
        ErrorCode: 'AccessDeniedException',
      });
      expect(out.Errors?.[0]?.Message).toContain('secretsmanager:GetSecretValue');
      // Filters also need secretsmanager:ListSecrets, as AWS documents.
      const error = await errorOf(() =>
        limited.send(new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: ['batch/auth/'] }] })),
      );
      expect(error.name).toBe('AccessDeniedException');
      expect(error.message).toContain('secretsmanager:ListSecrets');
    });

    it('an invalid NextToken is InvalidNextTokenException', async () => {
      const error = await errorOf(() =>
        client.send(
          new BatchGetSecretValueCommand({
            Filters: [{ Key: 'name', Values: ['batch/'] }],
            NextToken: 'bogus',
          }),
        ),
      );
      expect(error.name).toBe('InvalidNextTokenException');
    });
  });

  it('UpdateSecret with a value follows the same label rules as PutSecretValue', async () => {
    const { versionId: v1 } = await create('labels/update', 'one');
    const out = await client.send(
      new UpdateSecretCommand({ SecretId: 'labels/update', SecretString: 'two' }),
    );
    expect(await stagesOf('labels/update')).toEqual({
      [v1]: ['AWSPREVIOUS'],
      [out.VersionId as string]: ['AWSCURRENT'],
    });
  });
});
