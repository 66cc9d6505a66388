import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  RotateSecretCommand,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { type LocalSecretsManager, startLocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, lambdaArn, startTestServer, writeFakeFunction } from '@coffer/testing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const names = (list: { Name?: string | undefined }[] | undefined) => (list ?? []).map((s) => s.Name).sort();

describe('every region on one endpoint', () => {
  let server: LocalSecretsManager;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('serves two regions through one endpoint at once, each with its own secrets', async () => {
    const east = clientFor(server, { region: 'us-east-1' });
    const west = clientFor(server, { region: 'eu-west-1' });
    const [inEast, inWest] = await Promise.all([
      east.send(new CreateSecretCommand({ Name: 'shared/name', SecretString: 'east-value' })),
      west.send(new CreateSecretCommand({ Name: 'shared/name', SecretString: 'west-value' })),
    ]);
    expect(inEast.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:shared\/name-\w{6}$/);
    expect(inWest.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared\/name-\w{6}$/);

    const [eastValue, westValue] = await Promise.all([
      east.send(new GetSecretValueCommand({ SecretId: 'shared/name' })),
      west.send(new GetSecretValueCommand({ SecretId: 'shared/name' })),
    ]);
    expect(eastValue).toMatchObject({ ARN: inEast.ARN, SecretString: 'east-value' });
    expect(westValue).toMatchObject({ ARN: inWest.ARN, SecretString: 'west-value' });

    // A name lives once per region: a second one in the same region is refused.
    const again = await errorOf(() =>
      west.send(new CreateSecretCommand({ Name: 'shared/name', SecretString: 'again' })),
    );
    expect(again.name).toBe('ResourceExistsException');

    const only = await west.send(new CreateSecretCommand({ Name: 'west/only', SecretString: 'w' }));
    expect(names((await west.send(new ListSecretsCommand({}))).SecretList)).toEqual([
      'shared/name',
      'west/only',
    ]);
    expect(names((await east.send(new ListSecretsCommand({}))).SecretList)).toEqual(['shared/name']);
    const missing = await errorOf(() => east.send(new DescribeSecretCommand({ SecretId: 'west/only' })));
    expect(missing.name).toBe('ResourceNotFoundException');
    // Another region's ARN is not found either, as on AWS: a region only sees its own secrets.
    const foreignArn = await errorOf(() => east.send(new GetSecretValueCommand({ SecretId: only.ARN })));
    expect(foreignArn.name).toBe('ResourceNotFoundException');
    // ... nor its partial ARN (the ARN without the random suffix).
    const partial = (only.ARN ?? '').slice(0, -7);
    expect((await west.send(new DescribeSecretCommand({ SecretId: partial }))).ARN).toBe(only.ARN);
    const foreignPartial = await errorOf(() => east.send(new DescribeSecretCommand({ SecretId: partial })));
    expect(foreignPartial.name).toBe('ResourceNotFoundException');
  });

  it('keeps tags, resource policies, deletion and rotation schedules per region', async () => {
    const east = clientFor(server, { region: 'us-east-1' });
    const south = clientFor(server, { region: 'ap-south-1' });
    await east.send(new CreateSecretCommand({ Name: 'per/region', SecretString: 'e' }));
    await south.send(new CreateSecretCommand({ Name: 'per/region', SecretString: 's' }));
    await south.send(
      new TagResourceCommand({ SecretId: 'per/region', Tags: [{ Key: 'team', Value: 'south' }] }),
    );
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: { AWS: `arn:aws:iam::${server.accountId}:user/nobody` },
          Action: 'secretsmanager:*',
          Resource: '*',
        },
      ],
    });
    await south.send(new PutResourcePolicyCommand({ SecretId: 'per/region', ResourcePolicy: policy }));
    await south.send(new DeleteSecretCommand({ SecretId: 'per/region', RecoveryWindowInDays: 7 }));

    const eastSecret = await east.send(new DescribeSecretCommand({ SecretId: 'per/region' }));
    expect(eastSecret.Tags).toBeUndefined();
    expect(eastSecret.DeletedDate).toBeUndefined();
    expect(
      (await east.send(new GetResourcePolicyCommand({ SecretId: 'per/region' }))).ResourcePolicy,
    ).toBeUndefined();
    const southSecret = await south.send(new DescribeSecretCommand({ SecretId: 'per/region' }));
    expect(southSecret.Tags).toEqual([{ Key: 'team', Value: 'south' }]);
    expect(southSecret.DeletedDate).toBeInstanceOf(Date);
    expect((await south.send(new GetResourcePolicyCommand({ SecretId: 'per/region' }))).ResourcePolicy).toBe(
      policy,
    );
    expect((await east.send(new GetSecretValueCommand({ SecretId: 'per/region' }))).SecretString).toBe('e');
  });

  it('writes ARNs in the partition of the region', async () => {
    const china = clientFor(server, { region: 'cn-north-1' });
    const created = await china.send(new CreateSecretCommand({ Name: 'partition/cn', SecretString: 'x' }));
    expect(created.ARN).toMatch(
      /^arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:partition\/cn-\w{6}$/,
    );
    expect((await china.send(new GetSecretValueCommand({ SecretId: created.ARN }))).SecretString).toBe('x');
  });

  it('runs a rotation function in the region of the secret it rotates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-region-rotation-'));
    try {
      const arn = lambdaArn('rotate-in-region');
      server.registerRotationFunction(
        arn,
        writeFakeFunction(dir, 'rotate', { log: join(dir, 'log'), apiDir: dir }),
      );
      const west = clientFor(server, { region: 'eu-west-1' });
      const east = clientFor(server, { region: 'us-east-1' });
      await east.send(new CreateSecretCommand({ Name: 'rotated/key', SecretString: 'east-key' }));
      await west.send(new CreateSecretCommand({ Name: 'rotated/key', SecretString: 'west-key' }));
      await west.send(
        new RotateSecretCommand({
          SecretId: 'rotated/key',
          RotationLambdaARN: arn,
          RotationRules: { ScheduleExpression: 'rate(10 days)' },
        }),
      );
      const outcome = await server.waitForRotation('rotated/key', { region: 'eu-west-1' });
      expect(outcome?.outcome).toBe('success');
      // The function's SDK read and wrote eu-west-1's secret; us-east-1's is untouched and unscheduled.
      const westValue = await west.send(new GetSecretValueCommand({ SecretId: 'rotated/key' }));
      expect(westValue.SecretString).toBe(readFileSync(join(dir, 'active'), 'utf8'));
      expect((await east.send(new GetSecretValueCommand({ SecretId: 'rotated/key' }))).SecretString).toBe(
        'east-key',
      );
      expect(
        (await west.send(new DescribeSecretCommand({ SecretId: 'rotated/key' }))).NextRotationDate,
      ).toBeInstanceOf(Date);
      const eastDescribed = await east.send(new DescribeSecretCommand({ SecretId: 'rotated/key' }));
      expect(eastDescribed.RotationEnabled).toBeUndefined();
      expect(eastDescribed.NextRotationDate).toBeUndefined();
      expect(
        server.audit
          .recent()
          .filter((e) => e.operation === 'PutSecretValue' && e.principal?.endsWith('rotation')),
      ).toEqual([expect.objectContaining({ region: 'eu-west-1' })]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a server restricted to some regions', () => {
  let server: LocalSecretsManager;
  beforeAll(async () => {
    server = await startTestServer({ regions: ['eu-west-1', 'us-west-2'] });
  });
  afterAll(() => server.close());

  it('defaults to the first of them and accepts the others on the same endpoint', async () => {
    expect(server.region).toBe('eu-west-1');
    expect(server.regions).toEqual(['eu-west-1', 'us-west-2']);
    await clientFor(server).send(new ListSecretsCommand({}));
    await clientFor(server, { region: 'us-west-2' }).send(new ListSecretsCommand({}));
  });

  it('refuses a request signed for any other region, as AWS refuses a region it does not serve', async () => {
    const error = await errorOf(() =>
      clientFor(server, { region: 'us-east-1' }).send(new ListSecretsCommand({})),
    );
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.message).toBe('Credential should be scoped to a valid region. ');
    expect(server.audit.recent().at(-1)).toMatchObject({
      outcome: 'error',
      errorCode: 'InvalidSignatureException',
    });
  });

  it('refuses options that name no AWS region, or a default outside the list', async () => {
    await expect(startTestServer({ regions: [] })).rejects.toThrow(/non-empty list/);
    await expect(startTestServer({ regions: ['us-east-1', 'nowhere'] })).rejects.toThrow(/"nowhere"/);
    await expect(startTestServer({ region: 'mars-1' })).rejects.toThrow(/AWS region name/);
    await expect(startTestServer({ region: 'us-east-1', regions: ['eu-west-1'] })).rejects.toThrow(
      'region us-east-1 must be one of regions (eu-west-1).',
    );
  });
});

describe('a data dir written before regions existed', () => {
  // Made by the server as it was before regions, started with region eu-west-1: three secrets (one
  // scheduled for deletion), versions and labels, a tag, a resource policy, two credentials.
  const fixture = join(import.meta.dirname, 'fixtures/data-dir-before-regions');
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffer-old-data-'));
    cpSync(fixture, dataDir, { recursive: true });
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('opens with everything in the region the secrets were created in', async () => {
    const server = await startLocalSecretsManager({ port: 0, dataDir });
    try {
      expect(server.firstStart).toBe(false);
      const west = clientFor(server, { region: 'eu-west-1' });
      const db = await west.send(new GetSecretValueCommand({ SecretId: 'legacy/db' }));
      expect(db.ARN).toBe('arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy/db-skg9VA');
      expect(db.SecretString).toBe('{"username":"app","password":"legacy-canary-2"}');
      const previous = await west.send(
        new GetSecretValueCommand({ SecretId: 'legacy/db', VersionStage: 'AWSPREVIOUS' }),
      );
      expect(previous.SecretString).toBe('{"username":"app","password":"legacy-canary-1"}');
      expect(
        (await west.send(new ListSecretVersionIdsCommand({ SecretId: 'legacy/db' }))).Versions,
      ).toHaveLength(2);
      const described = await west.send(new DescribeSecretCommand({ SecretId: 'legacy/db' }));
      expect(described).toMatchObject({
        Description: 'made before regions',
        Tags: [{ Key: 'team', Value: 'core' }],
      });
      const key = await west.send(new GetSecretValueCommand({ SecretId: 'legacy/key' }));
      expect(Buffer.from(key.SecretBinary ?? []).toString()).toBe('legacy-binary-canary');
      expect(
        (await west.send(new GetResourcePolicyCommand({ SecretId: 'legacy/key' }))).ResourcePolicy,
      ).toContain('legacy-reader');
      const listed = await west.send(new ListSecretsCommand({ IncludePlannedDeletion: true }));
      expect(names(listed.SecretList)).toEqual(['legacy/db', 'legacy/gone', 'legacy/key']);
      expect(listed.SecretList?.find((s) => s.Name === 'legacy/gone')?.DeletedDate).toBeInstanceOf(Date);

      // The credentials made then still sign requests; the reader's policy still applies.
      const reader = server.listCredentials().find((c) => c.userName === 'legacy-reader');
      expect(reader).toBeDefined();
      const asReader = clientFor(server, { region: 'eu-west-1', ...(reader && { credentials: reader }) });
      expect(
        (await asReader.send(new GetSecretValueCommand({ SecretId: 'legacy/key' }))).SecretBinary,
      ).toBeDefined();
      expect((await errorOf(() => asReader.send(new ListSecretsCommand({})))).name).toBe(
        'AccessDeniedException',
      );

      // The default region (us-east-1) has none of them, and its names are free.
      const east = clientFor(server);
      expect((await east.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
      const created = await east.send(new CreateSecretCommand({ Name: 'legacy/db', SecretString: 'new' }));
      expect(created.ARN).toContain(':us-east-1:');
    } finally {
      await server.close();
    }
    // Migrated once, and it opens again as it is.
    const db = new Database(join(dataDir, 'secrets.db'), { readonly: true });
    try {
      const regions = db.prepare('SELECT region, name FROM secrets ORDER BY rowid').all();
      expect(regions).toEqual([
        { region: 'eu-west-1', name: 'legacy/db' },
        { region: 'eu-west-1', name: 'legacy/key' },
        { region: 'eu-west-1', name: 'legacy/gone' },
        { region: 'us-east-1', name: 'legacy/db' },
      ]);
    } finally {
      db.close();
    }
    const again = await startLocalSecretsManager({ port: 0, dataDir });
    try {
      const value = await clientFor(again, { region: 'eu-west-1' }).send(
        new GetSecretValueCommand({ SecretId: 'legacy/db' }),
      );
      expect(value.SecretString).toContain('legacy-canary-2');
    } finally {
      await again.close();
    }
  });
});
