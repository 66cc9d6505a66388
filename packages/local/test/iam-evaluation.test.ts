import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  type SecretsManagerClient,
  ValidateResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  LocalAdmin,
  type LocalSecretsManager,
  type PolicyDocument,
  startLocalSecretsManager,
} from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * IAM as AWS evaluates it for callers of the secret's own account. Every case is a pair: a credential
 * the rule lets in and one it keeps out, so an engine that allows or refuses everything fails.
 */
describe('IAM evaluation within one account (each case an allowed / refused pair)', () => {
  let server: LocalSecretsManager;
  let admin: SecretsManagerClient;
  let arnPrefix: string;
  let account: string;
  const userArn = (name: string) => `arn:aws:iam::${account}:user/${name}`;
  const clientWith = (userName: string, ...statements: PolicyDocument['Statement'][]) =>
    clientFor(server, {
      credentials: server.addCredential({
        userName,
        policy: {
          Version: '2012-10-17',
          // A credential needs some statement; DescribeSecret elsewhere grants nothing used here.
          Statement: [
            { Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: `${arnPrefix}unrelated` },
            ...statements.flat(),
          ],
        },
      }),
    });
  const policyOn = (secret: string, ...Statement: Record<string, unknown>[]) =>
    admin.send(
      new PutResourcePolicyCommand({
        SecretId: secret,
        ResourcePolicy: JSON.stringify({ Version: '2012-10-17', Statement }),
      }),
    );
  const read = (client: SecretsManagerClient, SecretId: string) =>
    client.send(new GetSecretValueCommand({ SecretId }));
  async function expectPair(allowed: () => Promise<unknown>, refused: () => Promise<unknown>): Promise<void> {
    await expect(allowed()).resolves.toBeDefined();
    const error = await errorOf(refused);
    expect(error.name).toBe('AccessDeniedException');
  }

  beforeAll(async () => {
    server = await startTestServer();
    admin = clientFor(server);
    account = server.accountId;
    arnPrefix = `arn:aws:secretsmanager:${server.region}:${account}:secret:`;
    for (const name of ['iam/account', 'iam/named', 'iam/deny', 'iam/identity', 'iam/root-arn']) {
      await admin.send(new CreateSecretCommand({ Name: name, SecretString: `value of ${name}` }));
    }
  });
  afterAll(() => server.close());

  it('an Allow in the identity policy grants; without one, nothing does', async () => {
    const reader = clientWith('identity-reader', [
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `${arnPrefix}iam/identity-*` },
    ]);
    const nobody = clientWith('identity-nobody');
    await expectPair(
      () => read(reader, 'iam/identity'),
      () => read(nobody, 'iam/identity'),
    );
  });

  it('a resource policy naming the account delegates to identity policies and grants nothing by itself', async () => {
    await policyOn('iam/account', {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    await policyOn('iam/root-arn', {
      Effect: 'Allow',
      Principal: { AWS: account },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    const allowedByIdentity = clientWith('account-with-identity', [
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `${arnPrefix}iam/*` },
    ]);
    const withoutIdentity = clientWith('account-without-identity');
    for (const secret of ['iam/account', 'iam/root-arn']) {
      await expectPair(
        () => read(allowedByIdentity, secret),
        () => read(withoutIdentity, secret),
      );
    }
    // Naming the account is not public: BlockPublicPolicy accepts it, and it still grants nothing.
    await admin.send(
      new PutResourcePolicyCommand({
        SecretId: 'iam/account',
        BlockPublicPolicy: true,
        ResourcePolicy: JSON.stringify({
          Statement: [
            { Effect: 'Allow', Principal: { AWS: account }, Action: 'secretsmanager:*', Resource: '*' },
          ],
        }),
      }),
    );
    await expectPair(
      () => read(allowedByIdentity, 'iam/account'),
      () => read(withoutIdentity, 'iam/account'),
    );
  });

  it("a resource policy naming a credential's own ARN grants it, and only it", async () => {
    await policyOn('iam/named', {
      Effect: 'Allow',
      Principal: { AWS: userArn('named-user') },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    const named = clientWith('named-user');
    const other = clientWith('named-other');
    await expectPair(
      () => read(named, 'iam/named'),
      () => read(other, 'iam/named'),
    );
  });

  it('an explicit Deny in the identity policy beats an Allow in the resource policy', async () => {
    await policyOn('iam/deny', {
      Effect: 'Allow',
      Principal: { AWS: [userArn('deny-free'), userArn('deny-self')] },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    const free = clientWith('deny-free');
    const selfDenied = clientWith('deny-self', [
      { Effect: 'Deny', Action: 'secretsmanager:GetSecretValue', Resource: '*' },
    ]);
    await expectPair(
      () => read(free, 'iam/deny'),
      () => read(selfDenied, 'iam/deny'),
    );
    const error = await errorOf(() => read(selfDenied, 'iam/deny'));
    expect(error.message).toContain('with an explicit deny in an identity-based policy');
  });

  it('an explicit Deny in the resource policy beats an Allow in the identity policy, also for the whole account', async () => {
    const everything = [{ Effect: 'Allow' as const, Action: 'secretsmanager:*', Resource: '*' }];
    const spared = clientWith('resource-deny-spared', everything);
    const denied = clientWith('resource-deny-target', everything);
    await policyOn('iam/deny', {
      Effect: 'Deny',
      Principal: { AWS: userArn('resource-deny-target') },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    await expectPair(
      () => read(spared, 'iam/deny'),
      () => read(denied, 'iam/deny'),
    );
    expect((await errorOf(() => read(denied, 'iam/deny'))).message).toContain(
      'with an explicit deny in a resource-based policy',
    );
    // A Deny naming the account applies to every credential of it, the admin's too.
    await policyOn('iam/deny', {
      Effect: 'Deny',
      Principal: { AWS: account },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    await expectPair(
      () => read(spared, 'iam/identity'),
      () => read(spared, 'iam/deny'),
    );
    expect((await errorOf(() => read(admin, 'iam/deny'))).name).toBe('AccessDeniedException');
    await admin.send(new DeleteResourcePolicyCommand({ SecretId: 'iam/deny' }));
  });

  it('BlockPublicPolicy refuses access outside the account and accepts access inside it', async () => {
    const put = (Principal: unknown) =>
      admin.send(
        new PutResourcePolicyCommand({
          SecretId: 'iam/named',
          BlockPublicPolicy: true,
          ResourcePolicy: JSON.stringify({
            Statement: [
              { Effect: 'Allow', Principal, Action: 'secretsmanager:GetSecretValue', Resource: '*' },
            ],
          }),
        }),
      );
    for (const inside of [
      { AWS: userArn('named-user') },
      { AWS: account },
      { AWS: [userArn('a'), userArn('b')] },
    ]) {
      await expect(put(inside)).resolves.toBeDefined();
    }
    for (const outside of [
      '*',
      { AWS: '*' },
      { AWS: '210987654321' },
      { AWS: 'arn:aws:iam::210987654321:role/x' },
    ]) {
      const error = await errorOf(() => put(outside));
      expect(error.name, JSON.stringify(outside)).toBe('PublicPolicyException');
    }
    // Principals are exact: a partial wildcard is no principal at all.
    const partial = await errorOf(() => put({ AWS: `arn:aws:iam::${account}:user/*` }));
    expect(partial.name).toBe('MalformedPolicyDocumentException');
  });

  it('an AccessDenied answer is the same whether the secret exists or not', async () => {
    const nobody = clientWith('oracle-probe');
    const allowed = clientWith('oracle-reader', [
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `${arnPrefix}iam/*` },
    ]);
    await policyOn('iam/identity', {
      Effect: 'Deny',
      Principal: { AWS: userArn('oracle-probe') },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    const expected = (id: string) =>
      `User: ${userArn('oracle-probe')} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id} because no identity-based policy allows the secretsmanager:GetSecretValue action`;
    for (const id of [
      'iam/identity',
      'iam/does-not-exist',
      `${arnPrefix}iam/identity`,
      `${arnPrefix}iam/does-not-exist`,
    ]) {
      const error = await errorOf(() => read(nobody, id));
      expect(error.name).toBe('AccessDeniedException');
      expect(error.message).toBe(expected(id));
    }
    // Allowed by its own policy, a caller learns what exists (as on AWS: ResourceNotFoundException).
    await expect(read(allowed, 'iam/identity')).resolves.toBeDefined();
    expect((await errorOf(() => read(allowed, 'iam/does-not-exist'))).name).toBe('ResourceNotFoundException');
    await admin.send(new DeleteResourcePolicyCommand({ SecretId: 'iam/identity' }));
  });

  it('ValidateResourcePolicy: passes, reports broad access, lockout and syntax; needs both permissions', async () => {
    const validate = (ResourcePolicy: unknown, client = admin, SecretId: string | undefined = 'iam/named') =>
      client.send(
        new ValidateResourcePolicyCommand({
          ...(SecretId !== undefined && { SecretId }),
          ResourcePolicy:
            typeof ResourcePolicy === 'string' ? ResourcePolicy : JSON.stringify(ResourcePolicy),
        }),
      );
    const allow = (Principal: unknown, Action = 'secretsmanager:GetSecretValue') => ({
      Statement: [{ Effect: 'Allow', Principal, Action, Resource: '*' }],
    });
    expect(await validate(allow({ AWS: userArn('named-user') }))).toMatchObject({
      PolicyValidationPassed: true,
      ValidationErrors: [],
    });
    expect(await validate(allow({ AWS: userArn('named-user') }), admin, undefined)).toMatchObject({
      PolicyValidationPassed: true,
    });
    const broad = await validate(allow('*'));
    expect(broad.PolicyValidationPassed).toBe(false);
    expect(broad.ValidationErrors?.map((e) => e.CheckName)).toEqual(['BroadAccessCheck']);
    const lockout = await validate({
      Statement: [
        {
          Effect: 'Deny',
          Principal: { AWS: account },
          Action: 'secretsmanager:PutResourcePolicy',
          Resource: '*',
        },
      ],
    });
    expect(lockout.ValidationErrors?.map((e) => e.CheckName)).toEqual(['LockoutCheck']);
    const typo = await validate(allow({ AWS: account }, 'secretsmanager:GetSecretValu'));
    expect(typo.PolicyValidationPassed).toBe(false);
    expect(typo.ValidationErrors?.[0]).toEqual({
      CheckName: 'SyntaxCheck',
      ErrorMessage: expect.stringContaining('secretsmanager:GetSecretValu is not a Secrets Manager action'),
    });
    expect((await errorOf(() => validate('{not json'))).name).toBe('MalformedPolicyDocumentException');
    expect((await errorOf(() => validate(allow('*'), admin, 'iam/missing'))).name).toBe(
      'ResourceNotFoundException',
    );

    const both = clientWith('validator', [
      {
        Effect: 'Allow',
        Action: ['secretsmanager:ValidateResourcePolicy', 'secretsmanager:PutResourcePolicy'],
        Resource: '*',
      },
    ]);
    const onlyValidate = clientWith('validator-half', [
      { Effect: 'Allow', Action: 'secretsmanager:ValidateResourcePolicy', Resource: '*' },
    ]);
    await expectPair(
      () => validate(allow({ AWS: account }), both),
      () => validate(allow({ AWS: account }), onlyValidate),
    );
  });
});

describe('credentials changed by another process', () => {
  let dataDir: string;
  let server: LocalSecretsManager;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffer-revoke-'));
    server = await startLocalSecretsManager({ port: 0, dataDir });
    await clientFor(server).send(new CreateSecretCommand({ Name: 'revoke/me', SecretString: 'v' }));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const readerPolicy = (Effect: 'Allow' | 'Deny'): PolicyDocument => ({
    Statement: [{ Effect, Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
  });
  // The server checks for other processes' changes several times a second, so one second is enough.
  const aSecond = () => new Promise((resolve) => setTimeout(resolve, 1000));

  it('a credential removed from outside stops working within one second; the others keep working', async () => {
    const outside = new LocalAdmin({ dataDir });
    let removed: { accessKeyId: string; secretAccessKey: string };
    let kept: { accessKeyId: string; secretAccessKey: string };
    try {
      removed = outside.add({ userName: 'to-remove', policy: readerPolicy('Allow') });
      kept = outside.add({ userName: 'to-keep', policy: readerPolicy('Allow') });
    } finally {
      outside.close();
    }
    const removedClient = clientFor(server, { credentials: removed });
    const keptClient = clientFor(server, { credentials: kept });
    await expect(
      removedClient.send(new GetSecretValueCommand({ SecretId: 'revoke/me' })),
    ).resolves.toBeDefined();

    const again = new LocalAdmin({ dataDir });
    try {
      expect(again.remove('to-remove')).toBe(true);
    } finally {
      again.close();
    }
    await aSecond();
    const error = await errorOf(() =>
      removedClient.send(new GetSecretValueCommand({ SecretId: 'revoke/me' })),
    );
    expect(error.name).toBe('UnrecognizedClientException');
    await expect(
      keptClient.send(new GetSecretValueCommand({ SecretId: 'revoke/me' })),
    ).resolves.toBeDefined();
  });

  it("a credential re-created from outside with another policy gets that policy's answer within one second", async () => {
    const outside = new LocalAdmin({ dataDir });
    try {
      outside.add({ userName: 'changing', policy: readerPolicy('Allow') });
    } finally {
      outside.close();
    }
    await aSecond();
    const first = server.listCredentials().find((c) => c.userName === 'changing');
    expect(first).toBeDefined();
    const changed = new LocalAdmin({ dataDir });
    let replacement: { accessKeyId: string; secretAccessKey: string };
    try {
      changed.remove('changing');
      replacement = changed.add({ userName: 'changing', policy: readerPolicy('Deny') });
    } finally {
      changed.close();
    }
    await aSecond();
    const old = clientFor(server, ...(first ? [{ credentials: first }] : []));
    expect((await errorOf(() => old.send(new GetSecretValueCommand({ SecretId: 'revoke/me' })))).name).toBe(
      'UnrecognizedClientException',
    );
    const fresh = clientFor(server, { credentials: replacement });
    expect((await errorOf(() => fresh.send(new GetSecretValueCommand({ SecretId: 'revoke/me' })))).name).toBe(
      'AccessDeniedException',
    );
  });
});
