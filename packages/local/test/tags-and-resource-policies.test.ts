import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  PutResourcePolicyCommand,
  type SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MARKED = "You can't perform this operation on the secret because it was marked for deletion.";

describe('tags and resource policies', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  const tagsOf = async (SecretId: string) =>
    (await client.send(new DescribeSecretCommand({ SecretId }))).Tags ?? [];

  describe('TagResource / UntagResource', () => {
    it('adds tags, overwrites an existing key in place, and keeps first-added order', async () => {
      await client.send(new CreateSecretCommand({ Name: 'tags/merge', Tags: [{ Key: 'a', Value: '1' }] }));
      const out = await client.send(
        new TagResourceCommand({
          SecretId: 'tags/merge',
          Tags: [
            { Key: 'b', Value: '2' },
            { Key: 'a', Value: 'one' },
          ],
        }),
      );
      expect(out.$metadata.httpStatusCode).toBe(200);
      expect(await tagsOf('tags/merge')).toEqual([
        { Key: 'a', Value: 'one' },
        { Key: 'b', Value: '2' },
      ]);
    });

    it('tag keys are case-sensitive and values may be empty', async () => {
      await client.send(new CreateSecretCommand({ Name: 'tags/case' }));
      await client.send(
        new TagResourceCommand({
          SecretId: 'tags/case',
          Tags: [
            { Key: 'Env', Value: 'x' },
            { Key: 'env', Value: '' },
          ],
        }),
      );
      expect(await tagsOf('tags/case')).toEqual([
        { Key: 'Env', Value: 'x' },
        { Key: 'env', Value: '' },
      ]);
    });

    it('tags by full ARN', async () => {
      const created = await client.send(new CreateSecretCommand({ Name: 'tags/arn' }));
      await client.send(new TagResourceCommand({ SecretId: created.ARN, Tags: [{ Key: 'k', Value: 'v' }] }));
      expect(await tagsOf('tags/arn')).toEqual([{ Key: 'k', Value: 'v' }]);
    });

    it.each(['aws:created-by', 'AWS:x'])('refuses the reserved key %j', async (Key) => {
      await client.send(new CreateSecretCommand({ Name: `tags/reserved-${Key.length}` }));
      const error = await errorOf(() =>
        client.send(
          new TagResourceCommand({ SecretId: `tags/reserved-${Key.length}`, Tags: [{ Key, Value: 'v' }] }),
        ),
      );
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toContain('aws:');
      expect(await tagsOf(`tags/reserved-${Key.length}`)).toEqual([]);
    });

    it('refuses the reserved prefix on CreateSecret too', async () => {
      const error = await errorOf(() =>
        client.send(
          new CreateSecretCommand({ Name: 'tags/reserved-create', Tags: [{ Key: 'aws:k', Value: 'v' }] }),
        ),
      );
      expect(error.name).toBe('InvalidParameterException');
    });

    it('refuses over-long keys and values with the member path', async () => {
      await client.send(new CreateSecretCommand({ Name: 'tags/long' }));
      const key = await errorOf(() =>
        client.send(
          new TagResourceCommand({
            SecretId: 'tags/long',
            Tags: [
              { Key: 'ok', Value: 'v' },
              { Key: 'k'.repeat(129), Value: 'v' },
            ],
          }),
        ),
      );
      expect(key.name).toBe('ValidationException');
      expect(key.message).toBe(
        `1 validation error detected: Value '${'k'.repeat(129)}' at 'tags.2.member.key' failed to satisfy constraint: Member must have length less than or equal to 128`,
      );
      const value = await errorOf(() =>
        client.send(
          new TagResourceCommand({ SecretId: 'tags/long', Tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }),
        ),
      );
      expect(value.name).toBe('ValidationException');
      expect(value.message).toContain("at 'tags.1.member.value'");
    });

    it('reports several violations together', async () => {
      await client.send(new CreateSecretCommand({ Name: 'tags/many-errors' }));
      const error = await errorOf(() =>
        client.send(
          new TagResourceCommand({
            SecretId: 'tags/many-errors',
            Tags: [
              { Key: '', Value: 'v' },
              { Key: 'k', Value: 'v'.repeat(257) },
            ],
          }),
        ),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toMatch(
        /^2 validation errors detected: Value '' at 'tags\.1\.member\.key' .*; Value '.*' at 'tags\.2\.member\.value' /,
      );
    });

    it('refuses a request without Tags', async () => {
      await client.send(new CreateSecretCommand({ Name: 'tags/none' }));
      const error = await errorOf(() =>
        client.send(new TagResourceCommand({ SecretId: 'tags/none' } as { SecretId: string; Tags: [] })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
      );
    });

    it('refuses more than 50 tags on a secret', async () => {
      const first = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
      await client.send(new CreateSecretCommand({ Name: 'tags/limit', Tags: first }));
      // Overwriting an existing key does not count against the limit.
      await client.send(
        new TagResourceCommand({ SecretId: 'tags/limit', Tags: [{ Key: 'k0', Value: 'new' }] }),
      );
      const error = await errorOf(() =>
        client.send(new TagResourceCommand({ SecretId: 'tags/limit', Tags: [{ Key: 'extra', Value: 'v' }] })),
      );
      expect(error.name).toBe('LimitExceededException');
      expect(await tagsOf('tags/limit')).toHaveLength(50);
    });

    it('UntagResource removes the given keys and ignores unknown ones', async () => {
      await client.send(
        new CreateSecretCommand({
          Name: 'tags/untag',
          Tags: [
            { Key: 'a', Value: '1' },
            { Key: 'b', Value: '2' },
            { Key: 'c', Value: '3' },
          ],
        }),
      );
      await client.send(
        new UntagResourceCommand({ SecretId: 'tags/untag', TagKeys: ['a', 'c', 'zzz', 'B'] }),
      );
      expect(await tagsOf('tags/untag')).toEqual([{ Key: 'b', Value: '2' }]);
      await client.send(new UntagResourceCommand({ SecretId: 'tags/untag', TagKeys: ['b'] }));
      expect(await tagsOf('tags/untag')).toEqual([]);
    });

    it('both refuse a missing secret and a secret scheduled for deletion', async () => {
      for (const call of [
        () =>
          client.send(new TagResourceCommand({ SecretId: 'tags/missing', Tags: [{ Key: 'k', Value: 'v' }] })),
        () => client.send(new UntagResourceCommand({ SecretId: 'tags/missing', TagKeys: ['k'] })),
      ]) {
        const error = await errorOf(call);
        expect(error.name).toBe('ResourceNotFoundException');
      }
      await client.send(new CreateSecretCommand({ Name: 'tags/deleted' }));
      await client.send(new DeleteSecretCommand({ SecretId: 'tags/deleted' }));
      const error = await errorOf(() =>
        client.send(new TagResourceCommand({ SecretId: 'tags/deleted', Tags: [{ Key: 'k', Value: 'v' }] })),
      );
      expect(error.name).toBe('InvalidRequestException');
      expect(error.message).toBe(MARKED);
    });
  });

  describe('resource policies', () => {
    const policyFor = (principal: unknown) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: principal, Action: 'secretsmanager:GetSecretValue', Resource: '*' },
        ],
      });
    const accountPolicy = () => policyFor({ AWS: `arn:aws:iam::${server.accountId}:root` });

    it('puts, gets and deletes a policy', async () => {
      const created = await client.send(new CreateSecretCommand({ Name: 'policy/roundtrip' }));
      const empty = await client.send(new GetResourcePolicyCommand({ SecretId: 'policy/roundtrip' }));
      expect(empty).toMatchObject({ ARN: created.ARN, Name: 'policy/roundtrip' });
      expect(empty.ResourcePolicy).toBeUndefined();
      const policy = accountPolicy();
      const put = await client.send(
        new PutResourcePolicyCommand({ SecretId: 'policy/roundtrip', ResourcePolicy: policy }),
      );
      expect(put).toMatchObject({ ARN: created.ARN, Name: 'policy/roundtrip' });
      const got = await client.send(new GetResourcePolicyCommand({ SecretId: created.ARN }));
      expect(JSON.parse(got.ResourcePolicy as string)).toEqual(JSON.parse(policy));
      const deleted = await client.send(new DeleteResourcePolicyCommand({ SecretId: 'policy/roundtrip' }));
      expect(deleted).toMatchObject({ ARN: created.ARN, Name: 'policy/roundtrip' });
      const after = await client.send(new GetResourcePolicyCommand({ SecretId: 'policy/roundtrip' }));
      expect(after.ResourcePolicy).toBeUndefined();
      // Deleting when there is no policy is fine.
      await client.send(new DeleteResourcePolicyCommand({ SecretId: 'policy/roundtrip' }));
    });

    it('refuses malformed JSON with MalformedPolicyDocumentException', async () => {
      await client.send(new CreateSecretCommand({ Name: 'policy/malformed' }));
      for (const ResourcePolicy of ['{"Version": "2012-10-17", "Statement": [', 'not json', '[]']) {
        const error = await errorOf(() =>
          client.send(new PutResourcePolicyCommand({ SecretId: 'policy/malformed', ResourcePolicy })),
        );
        expect(error.name).toBe('MalformedPolicyDocumentException');
      }
      const got = await client.send(new GetResourcePolicyCommand({ SecretId: 'policy/malformed' }));
      expect(got.ResourcePolicy).toBeUndefined();
    });

    it('refuses a statement without Principal, Effect or Action', async () => {
      await client.send(new CreateSecretCommand({ Name: 'policy/invalid' }));
      const statements = [
        { Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' },
        { Principal: { AWS: server.accountId }, Action: 'secretsmanager:*' },
        { Effect: 'Allow', Principal: { AWS: server.accountId } },
      ];
      for (const Statement of statements) {
        const error = await errorOf(() =>
          client.send(
            new PutResourcePolicyCommand({
              SecretId: 'policy/invalid',
              ResourcePolicy: JSON.stringify({ Statement }),
            }),
          ),
        );
        expect(error.name).toBe('MalformedPolicyDocumentException');
      }
    });

    it.each([['*'], [{ AWS: '*' }]])(
      'BlockPublicPolicy refuses the public principal %j',
      async (principal) => {
        const name = `policy/public-${typeof principal}`;
        await client.send(new CreateSecretCommand({ Name: name }));
        const error = await errorOf(() =>
          client.send(
            new PutResourcePolicyCommand({
              SecretId: name,
              ResourcePolicy: policyFor(principal),
              BlockPublicPolicy: true,
            }),
          ),
        );
        expect(error.name).toBe('PublicPolicyException');
        const got = await client.send(new GetResourcePolicyCommand({ SecretId: name }));
        expect(got.ResourcePolicy).toBeUndefined();
      },
    );

    it('BlockPublicPolicy accepts a non-public policy', async () => {
      await client.send(new CreateSecretCommand({ Name: 'policy/private' }));
      await client.send(
        new PutResourcePolicyCommand({
          SecretId: 'policy/private',
          ResourcePolicy: accountPolicy(),
          BlockPublicPolicy: true,
        }),
      );
      const got = await client.send(new GetResourcePolicyCommand({ SecretId: 'policy/private' }));
      expect(got.ResourcePolicy).toBe(accountPolicy());
    });

    it('does not block a public policy unless BlockPublicPolicy is true (AWS default)', async () => {
      await client.send(new CreateSecretCommand({ Name: 'policy/public-allowed' }));
      await client.send(
        new PutResourcePolicyCommand({ SecretId: 'policy/public-allowed', ResourcePolicy: policyFor('*') }),
      );
      await client.send(
        new PutResourcePolicyCommand({
          SecretId: 'policy/public-allowed',
          ResourcePolicy: policyFor({ AWS: '*' }),
          BlockPublicPolicy: false,
        }),
      );
      const got = await client.send(new GetResourcePolicyCommand({ SecretId: 'policy/public-allowed' }));
      expect(JSON.parse(got.ResourcePolicy as string).Statement[0].Principal).toEqual({ AWS: '*' });
    });

    it('refuses a policy longer than 20,480 characters', async () => {
      await client.send(new CreateSecretCommand({ Name: 'policy/long' }));
      const error = await errorOf(() =>
        client.send(
          new PutResourcePolicyCommand({ SecretId: 'policy/long', ResourcePolicy: ' '.repeat(20_481) }),
        ),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain(
        "at 'resourcePolicy' failed to satisfy constraint: Member must have length less than or equal to 20480",
      );
    });

    it('Put and Delete refuse a scheduled secret; Get still works', async () => {
      await client.send(new CreateSecretCommand({ Name: 'policy/deleted' }));
      await client.send(
        new PutResourcePolicyCommand({ SecretId: 'policy/deleted', ResourcePolicy: accountPolicy() }),
      );
      await client.send(new DeleteSecretCommand({ SecretId: 'policy/deleted' }));
      for (const call of [
        () =>
          client.send(
            new PutResourcePolicyCommand({ SecretId: 'policy/deleted', ResourcePolicy: accountPolicy() }),
          ),
        () => client.send(new DeleteResourcePolicyCommand({ SecretId: 'policy/deleted' })),
      ]) {
        const error = await errorOf(call);
        expect(error.name).toBe('InvalidRequestException');
        expect(error.message).toBe(MARKED);
      }
      const got = await client.send(new GetResourcePolicyCommand({ SecretId: 'policy/deleted' }));
      expect(got.ResourcePolicy).toBe(accountPolicy());
    });

    it('all three refuse a missing secret', async () => {
      for (const call of [
        () =>
          client.send(
            new PutResourcePolicyCommand({ SecretId: 'policy/missing', ResourcePolicy: accountPolicy() }),
          ),
        () => client.send(new GetResourcePolicyCommand({ SecretId: 'policy/missing' })),
        () => client.send(new DeleteResourcePolicyCommand({ SecretId: 'policy/missing' })),
      ]) {
        const error = await errorOf(call);
        expect(error.name).toBe('ResourceNotFoundException');
        expect(error.message).toBe("Secrets Manager can't find the specified secret.");
      }
    });
  });
});
