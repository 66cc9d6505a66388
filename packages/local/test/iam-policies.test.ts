import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager, PolicyDocument } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedCall } from './signing.js';

describe('IAM-style policies', () => {
  let server: LocalSecretsManager;
  let admin: SecretsManagerClient;
  let arnPrefix: string;
  const arns: Record<string, string> = {};

  const userArn = (userName: string) => `arn:aws:iam::${server.accountId}:user/${userName}`;
  const clientWith = (userName: string, policy: PolicyDocument) =>
    clientFor(server, { credentials: server.addCredential({ userName, policy }) });

  beforeAll(async () => {
    server = await startTestServer();
    admin = clientFor(server);
    arnPrefix = `arn:aws:secretsmanager:${server.region}:${server.accountId}:secret:`;
    for (const name of ['app/db', 'app/api', 'app/blocked', 'other/db', 'resource/guarded']) {
      const created = await admin.send(
        new CreateSecretCommand({ Name: name, SecretString: `value-of-${name}` }),
      );
      arns[name] = created.ARN ?? '';
    }
  });
  afterAll(() => server.close());

  it('lets a restricted credential read app/* and nothing else', async () => {
    const client = clientWith('app-reader', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `${arnPrefix}app/*` },
      ],
    });
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    expect(got.SecretString).toBe('value-of-app/db');
    expect((await client.send(new GetSecretValueCommand({ SecretId: arns['app/api'] }))).SecretString).toBe(
      'value-of-app/api',
    );

    const denied = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'other/db' })));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.$metadata?.httpStatusCode).toBe(400);
    expect(denied.message).toBe(
      `User: ${userArn('app-reader')} is not authorized to perform: secretsmanager:GetSecretValue on resource: other/db because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    );
    expect(denied.message).not.toContain('value-of');

    // Allowed on the resource, but not for this action.
    const describeDenied = await errorOf(() =>
      client.send(new DescribeSecretCommand({ SecretId: 'app/db' })),
    );
    expect(describeDenied.name).toBe('AccessDeniedException');
    expect(describeDenied.message).toContain('secretsmanager:DescribeSecret');
    expect(describeDenied.message).toContain('on resource: app/db because');

    const writeDenied = await errorOf(() =>
      client.send(new PutSecretValueCommand({ SecretId: 'app/db', SecretString: 'overwrite' })),
    );
    expect(writeDenied.name).toBe('AccessDeniedException');
    expect((await admin.send(new GetSecretValueCommand({ SecretId: 'app/db' }))).SecretString).toBe(
      'value-of-app/db',
    );
  });

  it('denies a secret that does not exist before saying it is missing (no existence oracle)', async () => {
    const client = clientWith('app-reader-2', {
      Statement: { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `${arnPrefix}app/*` },
    });
    const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'nope/missing' })));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain('on resource: nope/missing because');
  });

  it('lets an explicit Deny beat an Allow', async () => {
    const client = clientWith('deny-wins', {
      Statement: [
        { Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' },
        { Effect: 'Deny', Action: 'secretsmanager:GetSecretValue', Resource: `${arnPrefix}app/blocked-*` },
      ],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'app/db' }))).SecretString).toBe(
      'value-of-app/db',
    );
    const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'app/blocked' })));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(
      `User: ${userArn('deny-wins')} is not authorized to perform: secretsmanager:GetSecretValue on resource: app/blocked with an explicit deny in an identity-based policy`,
    );
    // Deny is per action: DescribeSecret on the same secret is still allowed.
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/blocked' }));
    expect(described.Name).toBe('app/blocked');
  });

  it('matches actions case-insensitively and with wildcards, as IAM does', async () => {
    const client = clientWith('case-user', {
      Statement: [
        { Effect: 'Allow', Action: ['SecretsManager:getsecret*'], Resource: `${arnPrefix}app/db-*` },
      ],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'app/db' }))).SecretString).toBe(
      'value-of-app/db',
    );
  });

  it('applies NotAction: everything but the listed actions', async () => {
    const client = clientWith('not-action', {
      Statement: [{ Effect: 'Allow', NotAction: 'secretsmanager:GetSecretValue', Resource: '*' }],
    });
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/db' }));
    expect(described.Name).toBe('app/db');
    const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'app/db' })));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain('secretsmanager:GetSecretValue');
  });

  it('applies NotResource', async () => {
    const client = clientWith('not-resource', {
      Statement: [
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', NotResource: `${arnPrefix}other/*` },
      ],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'app/db' }))).SecretString).toBe(
      'value-of-app/db',
    );
    const error = await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'other/db' })));
    expect(error.name).toBe('AccessDeniedException');
  });

  it('requires its own permission for ListSecrets (no on-resource clause)', async () => {
    const reader = clientWith('no-list', {
      Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
    });
    const error = await errorOf(() => reader.send(new ListSecretsCommand({})));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(
      `User: ${userArn('no-list')} is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action`,
    );

    const lister = clientWith('lister', {
      Statement: [{ Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' }],
    });
    const listed = await lister.send(new ListSecretsCommand({}));
    expect(listed.SecretList?.map((s) => s.Name)).toEqual(expect.arrayContaining(['app/db', 'other/db']));
    // Listing does not grant reading.
    const read = await errorOf(() => lister.send(new GetSecretValueCommand({ SecretId: 'app/db' })));
    expect(read.name).toBe('AccessDeniedException');
  });

  it('reports per-secret AccessDenied in BatchGetSecretValue Errors', async () => {
    const client = clientWith('batch-user', {
      Statement: [
        { Effect: 'Allow', Action: 'secretsmanager:BatchGetSecretValue', Resource: '*' },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `${arnPrefix}app/*` },
      ],
    });
    const result = await client.send(
      new BatchGetSecretValueCommand({ SecretIdList: ['app/db', 'other/db', 'app/api'] }),
    );
    expect(result.SecretValues?.map((v) => [v.Name, v.SecretString])).toEqual([
      ['app/db', 'value-of-app/db'],
      ['app/api', 'value-of-app/api'],
    ]);
    expect(result.Errors).toEqual([
      {
        SecretId: 'other/db',
        ErrorCode: 'AccessDeniedException',
        Message: `User: ${userArn('batch-user')} is not authorized to perform: secretsmanager:GetSecretValue on resource: other/db because no identity-based policy allows the secretsmanager:GetSecretValue action`,
      },
    ]);

    const noBatch = clientWith('no-batch', {
      Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
    });
    const error = await errorOf(() =>
      noBatch.send(new BatchGetSecretValueCommand({ SecretIdList: ['app/db'] })),
    );
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain('secretsmanager:BatchGetSecretValue');
  });

  it('lets a resource policy with an explicit Deny for a principal block it', async () => {
    const client = clientWith('resource-denied', {
      Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }],
    });
    expect(
      (await client.send(new GetSecretValueCommand({ SecretId: 'resource/guarded' }))).SecretString,
    ).toBe('value-of-resource/guarded');
    await admin.send(
      new PutResourcePolicyCommand({
        SecretId: 'resource/guarded',
        ResourcePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: { AWS: userArn('resource-denied') },
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
            },
          ],
        }),
      }),
    );
    const error = await errorOf(() =>
      client.send(new GetSecretValueCommand({ SecretId: 'resource/guarded' })),
    );
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(
      `User: ${userArn('resource-denied')} is not authorized to perform: secretsmanager:GetSecretValue on resource: resource/guarded with an explicit deny in a resource-based policy`,
    );
    // Other principals are untouched.
    expect((await admin.send(new GetSecretValueCommand({ SecretId: 'resource/guarded' }))).SecretString).toBe(
      'value-of-resource/guarded',
    );
    await admin.send(new DeleteResourcePolicyCommand({ SecretId: 'resource/guarded' }));
    expect(
      (await client.send(new GetSecretValueCommand({ SecretId: 'resource/guarded' }))).SecretString,
    ).toBe('value-of-resource/guarded');
  });

  it('lets a resource policy Allow grant access the identity policy lacks', async () => {
    const client = clientWith('resource-granted', {
      Statement: [{ Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: '*' }],
    });
    await admin.send(
      new PutResourcePolicyCommand({
        SecretId: 'other/db',
        ResourcePolicy: JSON.stringify({
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: [userArn('resource-granted')] },
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
            },
          ],
        }),
      }),
    );
    try {
      expect((await client.send(new GetSecretValueCommand({ SecretId: 'other/db' }))).SecretString).toBe(
        'value-of-other/db',
      );
    } finally {
      await admin.send(new DeleteResourcePolicyCommand({ SecretId: 'other/db' }));
    }
    expect((await errorOf(() => client.send(new GetSecretValueCommand({ SecretId: 'other/db' })))).name).toBe(
      'AccessDeniedException',
    );
  });

  it('refuses malformed resource policies with MalformedPolicyDocumentException, never a 500', async () => {
    const bad: unknown[] = [
      'not json',
      [],
      { Statement: [] },
      { Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }] },
      {
        Statement: [{ Effect: 'Allow', Principal: { AWS: 123 }, Action: 'secretsmanager:*', Resource: '*' }],
      },
      {
        Statement: [{ Effect: 'Allow', Principal: { AWS: [1] }, Action: 'secretsmanager:*', Resource: '*' }],
      },
      { Statement: [{ Effect: 'Deny', Principal: null, Action: 'secretsmanager:*', Resource: '*' }] },
      { Statement: [{ Effect: 'Deny', Principal: 'someone', Action: 'secretsmanager:*', Resource: '*' }] },
      {
        Statement: [
          { Effect: 'Deny', Principal: { Service: 'x' }, Action: 'secretsmanager:*', Resource: '*' },
        ],
      },
      { Statement: [{ Effect: 'Deny', Principal: '*', Action: 7, Resource: '*' }] },
      // A Condition the server cannot evaluate must not silently widen an Allow.
      {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:user/x' },
            Action: 'secretsmanager:*',
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } },
          },
        ],
      },
    ];
    for (const policy of bad) {
      const text = typeof policy === 'string' ? policy : JSON.stringify(policy);
      const error = await errorOf(() =>
        admin.send(new PutResourcePolicyCommand({ SecretId: 'other/db', ResourcePolicy: text })),
      );
      expect(error.name, text).toBe('MalformedPolicyDocumentException');
    }
    // The secret is still readable by everyone allowed (no broken policy was stored).
    expect((await admin.send(new GetSecretValueCommand({ SecretId: 'other/db' }))).SecretString).toBe(
      'value-of-other/db',
    );
  });

  it('refuses a public resource policy when BlockPublicPolicy is true', async () => {
    const policy = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 'secretsmanager:GetSecretValue', Resource: '*' },
      ],
    });
    const error = await errorOf(() =>
      admin.send(
        new PutResourcePolicyCommand({
          SecretId: 'other/db',
          ResourcePolicy: policy,
          BlockPublicPolicy: true,
        }),
      ),
    );
    expect(error.name).toBe('PublicPolicyException');
    await admin.send(
      new PutResourcePolicyCommand({
        SecretId: 'other/db',
        ResourcePolicy: policy,
        BlockPublicPolicy: false,
      }),
    );
    try {
      const anyone = clientWith('anyone', {
        Statement: [{ Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: '*' }],
      });
      expect((await anyone.send(new GetSecretValueCommand({ SecretId: 'other/db' }))).SecretString).toBe(
        'value-of-other/db',
      );
    } finally {
      await admin.send(new DeleteResourcePolicyCommand({ SecretId: 'other/db' }));
    }
  });

  it('does not let a credential change another principal through a raw request', async () => {
    const client = clientWith('raw-restricted', {
      Statement: [
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `${arnPrefix}app/*` },
      ],
    });
    const error = await errorOf(() =>
      client.send(new PutResourcePolicyCommand({ SecretId: 'app/db', ResourcePolicy: '{}' })),
    );
    expect(error.name).toBe('AccessDeniedException');
    // The admin raw path still works (sanity for the raw helper).
    const raw = await signedCall(server, { operation: 'GetSecretValue', body: '{"SecretId":"app/db"}' });
    expect(raw.status).toBe(200);
  });

  it('refuses invalid credential policies and user names with clear TypeErrors', () => {
    const cases: Array<[unknown, unknown, RegExp]> = [
      ['', undefined, /Invalid user name ""/],
      ['has space', undefined, /Invalid user name "has space"/],
      ['x'.repeat(65), undefined, /Invalid user name/],
      [42, undefined, /Invalid user name 42/],
      ['p1', 'not a policy', /Invalid policy for p1: The policy must be a JSON object\./],
      ['p2', { Statement: [] }, /Invalid policy for p2: The policy must have at least one Statement\./],
      [
        'p3',
        { Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] },
        /Effect must be "Allow" or "Deny"/,
      ],
      ['p4', { Statement: [{ Effect: 'Allow', Resource: '*' }] }, /needs Action or NotAction/],
      ['p5', { Statement: [{ Effect: 'Allow', Action: '*' }] }, /needs Resource or NotResource/],
      [
        'p6',
        { Statement: [{ Effect: 'Allow', Action: [1], Resource: '*' }] },
        /Action must be a string or a list/,
      ],
      ['p7', { Statement: [null] }, /Statement 1 must be an object/],
      [
        'p8',
        { Statement: [{ Effect: 'Allow', Action: '*', Resource: { a: 1 } }] },
        /Resource must be a string/,
      ],
      [
        'p9',
        { Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] },
        /must not have a Principal/,
      ],
      [
        'p10',
        {
          Statement: [
            { Effect: 'Allow', Action: '*', Resource: '*', Condition: { Bool: { 'aws:x': 'true' } } },
          ],
        },
        /Condition is not supported/,
      ],
    ];
    for (const [userName, policy, message] of cases) {
      const add = () =>
        server.addCredential({ userName, ...(policy !== undefined && { policy }) } as unknown as {
          userName: string;
          policy?: PolicyDocument;
        });
      expect(add, String(userName)).toThrow(TypeError);
      expect(add, String(userName)).toThrow(message);
    }
    expect(() => server.addCredential({ userName: 'app-reader' })).toThrow(/already exists/);
    expect(server.listCredentials().map((c) => c.userName)).not.toContain('p1');
  });

  it('evaluates a stored policy as written, after the credential is re-listed', () => {
    const listed = server.listCredentials().find((c) => c.userName === 'deny-wins');
    expect(listed?.principalArn).toBe(userArn('deny-wins'));
    expect(JSON.stringify(listed?.policy)).toContain('Deny');
  });
});
