import {
  CreateSecretCommand,
  DeleteSecretCommand,
  type Filter,
  ListSecretsCommand,
  type ListSecretsCommandInput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('ListSecrets', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
    const seed: Array<{ Name: string; Description?: string; Tags?: Array<{ Key: string; Value: string }> }> =
      [
        {
          Name: 'f/app/Alpha',
          Description: 'Database password for prod',
          Tags: [{ Key: 'Env', Value: 'prod' }],
        },
        { Name: 'f/app/beta', Description: 'database URL', Tags: [{ Key: 'env', Value: 'staging' }] },
        { Name: 'f/app/gamma', Description: 'API key', Tags: [{ Key: 'team', Value: 'prod-ops' }] },
        { Name: 'f/other/delta', Description: 'secrets for the payments service' },
      ];
    for (const s of seed) await client.send(new CreateSecretCommand({ ...s, SecretString: 'x' }));
  });
  afterAll(() => server.close());

  /** Names of every secret matching, across all pages. */
  async function names(input: ListSecretsCommandInput = {}): Promise<string[]> {
    const out: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(new ListSecretsCommand({ ...input, NextToken }));
      out.push(...(page.SecretList ?? []).map((s) => s.Name as string));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  const filtered = async (...Filters: Filter[]) => (await names({ Filters })).sort();

  describe('Filters', () => {
    it('name: prefix match, case-sensitive', async () => {
      expect(await filtered({ Key: 'name', Values: ['f/app/'] })).toEqual([
        'f/app/Alpha',
        'f/app/beta',
        'f/app/gamma',
      ]);
      expect(await filtered({ Key: 'name', Values: ['f/app/A'] })).toEqual(['f/app/Alpha']);
      expect(await filtered({ Key: 'name', Values: ['f/app/a'] })).toEqual([]);
      expect(await filtered({ Key: 'name', Values: ['app/'] })).toEqual([]);
    });

    it('description: prefix match, not case-sensitive', async () => {
      expect(await filtered({ Key: 'description', Values: ['database'] })).toEqual([
        'f/app/Alpha',
        'f/app/beta',
      ]);
      expect(await filtered({ Key: 'description', Values: ['API'] })).toEqual(['f/app/gamma']);
      expect(await filtered({ Key: 'description', Values: ['password'] })).toEqual([]);
    });

    it('tag-key and tag-value: prefix match, case-sensitive', async () => {
      expect(await filtered({ Key: 'tag-key', Values: ['env'] })).toEqual(['f/app/beta']);
      expect(await filtered({ Key: 'tag-key', Values: ['Env'] })).toEqual(['f/app/Alpha']);
      expect(await filtered({ Key: 'tag-value', Values: ['prod'] })).toEqual(['f/app/Alpha', 'f/app/gamma']);
      expect(await filtered({ Key: 'tag-value', Values: ['Prod'] })).toEqual([]);
    });

    it('primary-region matches the server region', async () => {
      expect(
        await filtered({ Key: 'primary-region', Values: [server.region] }, { Key: 'name', Values: ['f/'] }),
      ).toHaveLength(4);
      expect(await filtered({ Key: 'primary-region', Values: ['eu-west-1'] })).toEqual([]);
    });

    it('all: every word must match, in any searchable field, case-insensitively', async () => {
      expect(await filtered({ Key: 'all', Values: ['staging'] })).toEqual(['f/app/beta']);
      expect(await filtered({ Key: 'all', Values: ['DELTA'] })).toEqual(['f/other/delta']);
      expect(await filtered({ Key: 'all', Values: ['secrets for'] })).toEqual(['f/other/delta']);
      expect(await filtered({ Key: 'all', Values: ['payments prod'] })).toEqual([]);
    });

    it('several values of one filter are ORed; several filters are ANDed', async () => {
      expect(await filtered({ Key: 'name', Values: ['f/app/A', 'f/other/'] })).toEqual([
        'f/app/Alpha',
        'f/other/delta',
      ]);
      expect(
        await filtered({ Key: 'name', Values: ['f/app/'] }, { Key: 'description', Values: ['database'] }),
      ).toEqual(['f/app/Alpha', 'f/app/beta']);
      expect(
        await filtered({ Key: 'name', Values: ['f/app/'] }, { Key: 'tag-value', Values: ['staging'] }),
      ).toEqual(['f/app/beta']);
    });

    it("a value starting with '!' excludes what it matches", async () => {
      expect(await filtered({ Key: 'name', Values: ['f/', '!f/app/'] })).toEqual(['f/other/delta']);
      expect(
        await filtered({ Key: 'name', Values: ['f/'] }, { Key: 'description', Values: ['!database'] }),
      ).toEqual(['f/app/gamma', 'f/other/delta']);
      expect(
        await filtered({ Key: 'name', Values: ['f/app/'] }, { Key: 'tag-key', Values: ['!team'] }),
      ).toEqual(['f/app/Alpha', 'f/app/beta']);
    });

    it('returns Description, Tags and SecretVersionsToStages for each entry', async () => {
      const out = await client.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['f/app/Alpha'] }] }),
      );
      expect(out.SecretList).toHaveLength(1);
      const entry = out.SecretList?.[0];
      expect(entry).toMatchObject({
        Name: 'f/app/Alpha',
        Description: 'Database password for prod',
        Tags: [{ Key: 'Env', Value: 'prod' }],
      });
      expect(Object.values(entry?.SecretVersionsToStages ?? {})).toEqual([['AWSCURRENT']]);
      expect(entry?.CreatedDate).toBeInstanceOf(Date);
      expect(entry?.ARN).toMatch(/:secret:f\/app\/Alpha-[A-Za-z0-9]{6}$/);
    });

    it('refuses an unknown filter key with the enum in the message', async () => {
      const error = await errorOf(() =>
        client.send(new ListSecretsCommand({ Filters: [{ Key: 'colour' as Filter['Key'], Values: ['x'] }] })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toMatch(
        /^1 validation error detected: Value 'colour' at 'filters\.1\.member\.key' failed to satisfy constraint: Member must satisfy enum value set: \[.*name.*\]$/,
      );
    });

    it('refuses a filter value with characters outside the allowed pattern', async () => {
      const error = await errorOf(() =>
        client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['ok', 'bad*value'] }] })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain(
        "Value 'bad*value' at 'filters.1.member.values.2.member' failed to satisfy constraint: Member must satisfy regular expression pattern",
      );
    });

    it('refuses more than 10 filters and more than 10 values', async () => {
      const filters = Array.from({ length: 11 }, () => ({ Key: 'name' as const, Values: ['x'] }));
      const tooManyFilters = await errorOf(() => client.send(new ListSecretsCommand({ Filters: filters })));
      expect(tooManyFilters.name).toBe('ValidationException');
      expect(tooManyFilters.message).toContain("at 'filters' failed to satisfy constraint");
      const values = Array.from({ length: 11 }, (_, i) => `v${i}`);
      const tooManyValues = await errorOf(() =>
        client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: values }] })),
      );
      expect(tooManyValues.name).toBe('ValidationException');
      expect(tooManyValues.message).toContain("at 'filters.1.member.values' failed to satisfy constraint");
    });
  });

  describe('ordering and pagination', () => {
    const pageNames = Array.from({ length: 25 }, (_, i) => `p/s${String(i).padStart(2, '0')}`);
    beforeAll(async () => {
      for (const Name of pageNames) await client.send(new CreateSecretCommand({ Name }));
    });
    const onlyPaged: Filter[] = [{ Key: 'name', Values: ['p/'] }];

    it('SortOrder asc lists oldest first and desc newest first', async () => {
      expect(await names({ Filters: onlyPaged, SortOrder: 'asc' })).toEqual(pageNames);
      expect(await names({ Filters: onlyPaged, SortOrder: 'desc' })).toEqual([...pageNames].reverse());
    });

    it('pages through 25 secrets with MaxResults=10', async () => {
      const sizes: number[] = [];
      const seen: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await client.send(
          new ListSecretsCommand({ Filters: onlyPaged, MaxResults: 10, SortOrder: 'asc', NextToken }),
        );
        sizes.push(page.SecretList?.length ?? 0);
        seen.push(...(page.SecretList ?? []).map((s) => s.Name as string));
        NextToken = page.NextToken;
      } while (NextToken);
      expect(sizes).toEqual([10, 10, 5]);
      expect(seen).toEqual(pageNames);
    });

    it('pages in descending order too', async () => {
      const first = await client.send(
        new ListSecretsCommand({ Filters: onlyPaged, MaxResults: 3, SortOrder: 'desc' }),
      );
      expect(first.SecretList?.map((s) => s.Name)).toEqual(['p/s24', 'p/s23', 'p/s22']);
      const second = await client.send(
        new ListSecretsCommand({
          Filters: onlyPaged,
          MaxResults: 3,
          SortOrder: 'desc',
          NextToken: first.NextToken,
        }),
      );
      expect(second.SecretList?.map((s) => s.Name)).toEqual(['p/s21', 'p/s20', 'p/s19']);
    });

    it('an invalid NextToken is InvalidNextTokenException', async () => {
      for (const NextToken of ['garbage', 'b2Zmc2V0']) {
        const error = await errorOf(() => client.send(new ListSecretsCommand({ NextToken })));
        expect(error.name).toBe('InvalidNextTokenException');
      }
    });

    it.each([0, 101])('refuses MaxResults=%i', async (MaxResults) => {
      const error = await errorOf(() => client.send(new ListSecretsCommand({ MaxResults })));
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain(`Value '${MaxResults}' at 'maxResults'`);
    });

    it('refuses an unknown SortOrder', async () => {
      const error = await errorOf(() =>
        client.send(
          new ListSecretsCommand({ SortOrder: 'sideways' as ListSecretsCommandInput['SortOrder'] }),
        ),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        "1 validation error detected: Value 'sideways' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]",
      );
    });
  });

  describe('IncludePlannedDeletion', () => {
    it('hides secrets scheduled for deletion unless asked, then shows DeletedDate', async () => {
      await client.send(new CreateSecretCommand({ Name: 'd/kept' }));
      await client.send(new CreateSecretCommand({ Name: 'd/scheduled' }));
      await client.send(new CreateSecretCommand({ Name: 'd/forced' }));
      await client.send(new DeleteSecretCommand({ SecretId: 'd/scheduled' }));
      await client.send(new DeleteSecretCommand({ SecretId: 'd/forced', ForceDeleteWithoutRecovery: true }));
      const Filters: Filter[] = [{ Key: 'name', Values: ['d/'] }];
      expect(await names({ Filters })).toEqual(['d/kept']);
      const all = await client.send(
        new ListSecretsCommand({ Filters, IncludePlannedDeletion: true, SortOrder: 'asc' }),
      );
      expect(all.SecretList?.map((s) => s.Name)).toEqual(['d/kept', 'd/scheduled']);
      expect(all.SecretList?.[0]?.DeletedDate).toBeUndefined();
      expect(all.SecretList?.[1]?.DeletedDate).toBeInstanceOf(Date);
    });
  });
});
