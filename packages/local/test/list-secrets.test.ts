import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  type Filter,
  GetSecretValueCommand,
  ListSecretsCommand,
  type ListSecretsCommandInput,
  type SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Names of every secret matching, across all pages, and how many calls that took. */
async function listAll(
  client: SecretsManagerClient,
  input: ListSecretsCommandInput = {},
): Promise<{ names: string[]; calls: number }> {
  const names: string[] = [];
  let calls = 0;
  let NextToken: string | undefined;
  do {
    const page = await client.send(new ListSecretsCommand({ ...input, NextToken }));
    calls++;
    names.push(...(page.SecretList ?? []).map((s) => s.Name as string));
    NextToken = page.NextToken;
  } while (NextToken);
  return { names, calls };
}

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

  const names = async (input: ListSecretsCommandInput = {}): Promise<string[]> =>
    (await listAll(client, input)).names;

  describe('Filters', () => {
    it('matches each key as the user guide describes (a table of cases)', async () => {
      const local = await startTestServer();
      try {
        const admin = clientFor(local);
        const seed: Array<{
          Name: string;
          Description?: string;
          Tags?: Array<{ Key: string; Value: string }>;
        }> = [
          {
            Name: 'w/prod+AppSecret',
            Description: 'Database password for prod',
            Tags: [{ Key: 'Env', Value: 'prod' }],
          },
          { Name: 'w/Thirdsecret', Description: 'one and two', Tags: [{ Key: 'env', Value: 'staging' }] },
          { Name: 'w/credsDatabase892', Description: 'one two', Tags: [{ Key: 'team', Value: 'prod-ops' }] },
          { Name: 'w/only-one', Description: 'just ONE' },
          { Name: 'w/other/delta', Description: 'secrets for the payments service' },
          { Name: '/w/rooted', Description: 'asecret' },
          { Name: 'w/undescribed' },
        ];
        for (const secret of seed)
          await admin.send(new CreateSecretCommand({ ...secret, SecretString: 'x' }));
        const rds = clientFor(local, {
          credentials: local.addCredential({ userName: 'rds', owningService: 'rds' }),
        });
        await rds.send(
          new CreateSecretCommand({ Name: 'rds!db-1234', SecretString: 'x', Description: 'managed' }),
        );
        const all = [...seed.map((s) => s.Name), 'rds!db-1234'];
        const except = (...names: string[]) => all.filter((n) => !names.includes(n));

        const f = (Key: Filter['Key'], ...Values: string[]): Filter => ({ Key, Values });
        const cases: Array<[string, Filter[], string[]]> = [
          // name: the beginning of the name, case-sensitive; punctuation is literal.
          ['name prefix', [f('name', 'w/prod')], ['w/prod+AppSecret']],
          ['name is case-sensitive', [f('name', 'w/third')], []],
          ['name keeps punctuation', [f('name', 'w/prod+App')], ['w/prod+AppSecret']],
          ['name starting with /', [f('name', '/')], ['/w/rooted']],
          ['name not starting with /', [f('name', '!/')], except('/w/rooted')],
          ['name: words do not count', [f('name', 'testing1 one')], []],
          [
            'values of one filter are ORed',
            [f('name', 'w/prod', 'w/Third')],
            ['w/prod+AppSecret', 'w/Thirdsecret'],
          ],
          // description: the words of the description, each value word the start of one, any case.
          ['description words', [f('description', 'one two')], ['w/Thirdsecret', 'w/credsDatabase892']],
          [
            'description ignores case',
            [f('description', 'ONE')],
            ['w/Thirdsecret', 'w/credsDatabase892', 'w/only-one'],
          ],
          ['description word prefix', [f('description', 'pass')], ['w/prod+AppSecret']],
          ['description: not inside a word', [f('description', 'word')], []],
          [
            'description: secret starts secrets, not asecret',
            [f('description', 'secret')],
            ['w/other/delta'],
          ],
          [
            'description: several values ORed',
            [f('description', 'one', 'payments')],
            ['w/Thirdsecret', 'w/credsDatabase892', 'w/only-one', 'w/other/delta'],
          ],
          [
            'repeated keys are ANDed',
            [f('description', 'one'), f('description', 'two')],
            ['w/Thirdsecret', 'w/credsDatabase892'],
          ],
          [
            'description negated',
            [f('description', '!one')],
            except('w/Thirdsecret', 'w/credsDatabase892', 'w/only-one'),
          ],
          [
            'a negated value is one more alternative',
            [f('description', 'payments', '!a')],
            except('w/Thirdsecret', '/w/rooted'),
          ],
          // tag-key and tag-value: the beginning of a key or value, case-sensitive.
          ['tag-key prefix', [f('tag-key', 'env')], ['w/Thirdsecret']],
          ['tag-key is case-sensitive', [f('tag-key', 'Env')], ['w/prod+AppSecret']],
          ['tag-value prefix', [f('tag-value', 'prod')], ['w/prod+AppSecret', 'w/credsDatabase892']],
          ['tag-value is case-sensitive', [f('tag-value', 'Prod')], []],
          ['tag-key negated', [f('tag-key', '!te')], except('w/credsDatabase892')],
          // all: words of the name, description, tag keys and values; any one word; any case.
          ['all: a word, not a substring', [f('all', 'Secret')], ['w/prod+AppSecret', 'w/other/delta']],
          ['all: punctuation alone matches nothing', [f('all', '+')], []],
          ['all: name split at case and digits', [f('all', 'creds')], ['w/credsDatabase892']],
          ['all: digits are a word', [f('all', '892')], ['w/credsDatabase892']],
          ['all: name or description', [f('all', 'database')], ['w/prod+AppSecret', 'w/credsDatabase892']],
          ['all: any word of the value', [f('all', 'staging payments')], ['w/Thirdsecret', 'w/other/delta']],
          ['all: case-insensitive', [f('all', 'DELTA')], ['w/other/delta']],
          [
            'all: special characters split words',
            [f('all', 'App_Secret')],
            ['w/prod+AppSecret', 'w/other/delta'],
          ],
          ['all negated', [f('all', '!prod')], except('w/prod+AppSecret', 'w/credsDatabase892')],
          // owning-service: the beginning of the managing service's id, not case-sensitive.
          ['owning-service prefix', [f('owning-service', 'rd')], ['rds!db-1234']],
          ['owning-service ignores case', [f('owning-service', 'RDS')], ['rds!db-1234']],
          ['owning-service negated', [f('owning-service', '!rds')], except('rds!db-1234')],
          // primary-region: only replicated secrets have one.
          ['primary-region', [f('primary-region', local.region)], []],
          ['filters are ANDed', [f('name', 'w/'), f('tag-value', 'staging')], ['w/Thirdsecret']],
        ];
        const failures: string[] = [];
        for (const [label, Filters, expected] of cases) {
          const got = (await admin.send(new ListSecretsCommand({ Filters }))).SecretList?.map(
            (s) => s.Name ?? '',
          );
          if (JSON.stringify([...(got ?? [])].sort()) !== JSON.stringify([...expected].sort())) {
            failures.push(`${label}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
          }
        }
        expect(failures).toEqual([]);
      } finally {
        await local.close();
      }
    });

    it('refuses a filter without Key or without Values as AWS does', async () => {
      const noKey = await errorOf(() =>
        client.send(new ListSecretsCommand({ Filters: [{ Values: ['x'] }] })),
      );
      expect(noKey.name).toBe('InvalidParameterException');
      expect(noKey.message).toBe('Invalid filter key');
      const noValues = await errorOf(() =>
        client.send(new ListSecretsCommand({ Filters: [{ Key: 'name' }] })),
      );
      expect(noValues.name).toBe('InvalidParameterException');
      expect(noValues.message).toBe('Invalid filter values for key: name');
    });

    it('reads the same filters for BatchGetSecretValue', async () => {
      const batch = await client.send(
        new BatchGetSecretValueCommand({ Filters: [{ Key: 'description', Values: ['payments'] }] }),
      );
      expect(batch.SecretValues?.map((v) => v.Name)).toEqual(['f/other/delta']);
      const noValues = await errorOf(() =>
        client.send(new BatchGetSecretValueCommand({ Filters: [{ Key: 'description' }] })),
      );
      expect(noValues.message).toBe('Invalid filter values for key: description');
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

    it('SortBy name, created-date, last-changed-date and last-accessed-date, each asc and desc', async () => {
      let clock = Date.UTC(2025, 0, 1);
      const local = await startTestServer({ now: () => clock });
      try {
        const admin = clientFor(local);
        const DAY = 86_400_000;
        for (const Name of ['s/charlie', 's/alpha', 's/bravo']) {
          await admin.send(new CreateSecretCommand({ Name, SecretString: Name }));
          clock += 1000;
        }
        clock += DAY;
        await admin.send(new GetSecretValueCommand({ SecretId: 's/alpha' }));
        await admin.send(new TagResourceCommand({ SecretId: 's/charlie', Tags: [{ Key: 'k', Value: 'v' }] }));
        clock += DAY;
        await admin.send(new GetSecretValueCommand({ SecretId: 's/charlie' }));
        const sorted = async (SortBy: ListSecretsCommandInput['SortBy'], SortOrder?: 'asc' | 'desc') =>
          (
            await admin.send(new ListSecretsCommand({ SortBy, ...(SortOrder && { SortOrder }) }))
          ).SecretList?.map((e) => e.Name);
        expect(await sorted('name')).toEqual(['s/alpha', 's/bravo', 's/charlie']);
        expect(await sorted('name', 'desc')).toEqual(['s/charlie', 's/bravo', 's/alpha']);
        expect(await sorted('created-date')).toEqual(['s/charlie', 's/alpha', 's/bravo']);
        expect(await sorted(undefined, 'desc')).toEqual(['s/bravo', 's/alpha', 's/charlie']);
        expect(await sorted('last-changed-date')).toEqual(['s/alpha', 's/bravo', 's/charlie']);
        // Never accessed sorts first in ascending order.
        expect(await sorted('last-accessed-date')).toEqual(['s/bravo', 's/alpha', 's/charlie']);
        expect(await sorted('last-accessed-date', 'desc')).toEqual(['s/charlie', 's/alpha', 's/bravo']);

        const bad = await errorOf(() =>
          admin.send(new ListSecretsCommand({ SortBy: 'size' as ListSecretsCommandInput['SortBy'] })),
        );
        expect(bad.message).toBe(
          "1 validation error detected: Value 'size' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [created-date, last-accessed-date, last-changed-date, name]",
        );
      } finally {
        await local.close();
      }
    });

    it('continues after the last secret sent (a keyset token), also when secrets change in between', async () => {
      const local = await startTestServer();
      try {
        const admin = clientFor(local);
        for (const Name of ['k/e', 'k/b', 'k/d', 'k/a', 'k/c'])
          await admin.send(new CreateSecretCommand({ Name }));
        const first = await admin.send(new ListSecretsCommand({ SortBy: 'name', MaxResults: 2 }));
        expect(first.SecretList?.map((e) => e.Name)).toEqual(['k/a', 'k/b']);
        // Deleting a secret already sent, and creating one before the position, shift nothing after it.
        await admin.send(new DeleteSecretCommand({ SecretId: 'k/a', ForceDeleteWithoutRecovery: true }));
        await admin.send(new CreateSecretCommand({ Name: 'k/0' }));
        const second = await admin.send(
          new ListSecretsCommand({ SortBy: 'name', MaxResults: 2, NextToken: first.NextToken }),
        );
        expect(second.SecretList?.map((e) => e.Name)).toEqual(['k/c', 'k/d']);
        const third = await admin.send(
          new ListSecretsCommand({ SortBy: 'name', MaxResults: 2, NextToken: second.NextToken }),
        );
        expect(third.SecretList?.map((e) => e.Name)).toEqual(['k/e']);
        expect(third.NextToken).toBeUndefined();
        // A token only continues the order it came from.
        for (const other of [
          { SortBy: 'created-date' as const },
          { SortBy: 'name' as const, SortOrder: 'desc' as const },
        ]) {
          const error = await errorOf(() =>
            admin.send(new ListSecretsCommand({ ...other, NextToken: first.NextToken })),
          );
          expect(error.name).toBe('InvalidNextTokenException');
        }
      } finally {
        await local.close();
      }
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

  it('reads a bounded number of secrets per page: a sparse filter gets fewer results, even none, and a NextToken', async () => {
    // 250 secrets of which two match, the first 150 rows in: a page of 10 may read 100 rows, so the first
    // page has nothing yet but says there is more, as AWS does for "a filtered view of a long list".
    for (let i = 0; i < 250; i++) {
      const Name = i === 120 || i === 245 ? `sparse/match-${i}` : `sparse/${i}`;
      await client.send(new CreateSecretCommand({ Name }));
    }
    const Filters: Filter[] = [{ Key: 'name', Values: ['sparse/match'] }];
    const first = await client.send(new ListSecretsCommand({ Filters, MaxResults: 10 }));
    expect(first.SecretList).toEqual([]);
    expect(first.NextToken).toBeDefined();
    const { names: found, calls } = await listAll(client, { Filters, MaxResults: 10 });
    expect(found).toEqual(['sparse/match-120', 'sparse/match-245']);
    expect(calls).toBeGreaterThanOrEqual(3);
    // Unfiltered pages are full whatever the budget.
    const page = await client.send(new ListSecretsCommand({ MaxResults: 100 }));
    expect(page.SecretList).toHaveLength(100);
  });
});
