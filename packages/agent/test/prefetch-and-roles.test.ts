import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { type Agent, type AgentOptions, startAgent } from '@coffer/agent';
import type { LocalSecretsManager } from '@coffer/local';
import { canary, clientFor, createSecret, startTestServer, uniqueName } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './http.js';

type Plugin = NonNullable<Parameters<typeof fromTemporaryCredentials>[0]['clientPlugins']>[number];

// Prefetching at start (by name and by tag), and reads through an assumed role (roleArn), each role with a cache
// of its own. There is no local STS: an SDK middleware stands in for AssumeRole on the STS client and answers
// with a credential the local server knows, whose policy is the role's; everything after that is real.

const TOKEN = 'roles-token';
const auth = { 'X-Aws-Parameters-Secrets-Token': TOKEN };
let server: LocalSecretsManager;
let admin: SecretsManagerClient;
const agents: Agent[] = [];
const calls = (operation: string) => server.audit.callCounts()[operation] ?? 0;
const ACCOUNT = '123456789012';
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

/** Answers AssumeRole in place of STS: a known role gets its credential, `refused` is denied. */
function stsStandIn(
  credentials: Map<string, { accessKeyId: string; secretAccessKey: string }>,
  assumed: string[],
): Plugin {
  return {
    applyToStack(stack) {
      // The provider applies its plugins on every AssumeRole: replace, never stack, the stand-in.
      stack.remove('stsStandIn');
      stack.add(
        () => async (args) => {
          const roleArn = (args.input as { RoleArn: string }).RoleArn;
          assumed.push(roleArn);
          const credential = credentials.get(roleArn);
          if (credential === undefined)
            throw Object.assign(
              new Error(`User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`),
              {
                name: 'AccessDenied',
                $metadata: { httpStatusCode: 403 },
              },
            );
          return {
            output: {
              $metadata: {},
              Credentials: {
                AccessKeyId: credential.accessKeyId,
                SecretAccessKey: credential.secretAccessKey,
                Expiration: new Date(Date.now() + 3_600_000),
              },
            },
            response: {},
          };
        },
        { step: 'initialize', name: 'stsStandIn' },
      );
    },
  } as Plugin;
}

async function agentWith(options: AgentOptions = {}): Promise<Agent> {
  const agent = await startAgent({
    listen: '127.0.0.1:0',
    token: TOKEN,
    clientConfig: {
      endpoint: server.endpoint,
      region: server.region,
      credentials: server.credentials,
      maxAttempts: 1,
    },
    ...options,
  });
  agents.push(agent);
  return agent;
}

beforeAll(async () => {
  server = await startTestServer();
  admin = clientFor(server);
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await server.close();
});

describe('prefetch', () => {
  it('loads listed secrets and every secret with a tag key at start, in batches, then serves them as hits', async () => {
    const tag = `prefetch-${uniqueName('t').split('/')[1]}`;
    const listed = uniqueName('prefetch/listed');
    const tagged = [uniqueName('prefetch/tagged'), uniqueName('prefetch/tagged')];
    const untagged = uniqueName('prefetch/untagged');
    await createSecret(admin, { Name: listed, SecretString: canary() });
    for (const name of tagged)
      await createSecret(admin, { Name: name, SecretString: canary(), Tags: [{ Key: tag, Value: 'x' }] });
    await createSecret(admin, {
      Name: untagged,
      SecretString: canary(),
      Tags: [{ Key: 'other', Value: tag }],
    });
    const before = { batch: calls('BatchGetSecretValue'), get: calls('GetSecretValue') };
    const agent = await agentWith({
      prefetch: {
        secrets: [{ secretId: listed }, { secretId: 'prefetch/does-not-exist' }],
        filterTags: [{ key: tag }],
      },
    });
    const report = await agent.prefetched;
    expect(report.loaded.map((l) => l.secretId).sort()).toEqual([listed, ...tagged].sort());
    expect(report.failed).toEqual([
      { secretId: 'prefetch/does-not-exist', roleArn: undefined, code: 'SECRET_NOT_FOUND' },
    ]);
    expect(calls('BatchGetSecretValue') - before.batch).toBe(1);
    for (const name of [listed, ...tagged]) expect((await call(agent, `/v1/${name}`, auth)).status).toBe(200);
    expect(calls('GetSecretValue') - before.get).toBe(0);
    expect(agent.cache.stats().entries).toBe(3);
  });
});

describe('roleArn', () => {
  const assumed: string[] = [];
  let roleAgent: Agent;
  let mine: string;
  let theirs: string;

  beforeAll(async () => {
    mine = uniqueName('role-readable');
    theirs = uniqueName('role-hidden');
    await createSecret(admin, { Name: mine, SecretString: canary() });
    await createSecret(admin, { Name: theirs, SecretString: canary() });
    const reader = server.addCredential({
      userName: `role-reader-${mine.split('/')[1]}`,
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: `arn:aws:secretsmanager:${server.region}:${ACCOUNT}:secret:role-readable/*`,
          },
        ],
      },
    });
    const other = server.addCredential({ userName: `role-other-${mine.split('/')[1]}` });
    const credentials = new Map([
      [role('reader'), reader],
      [role('other'), other],
    ]);
    roleAgent = await agentWith({
      maxRoles: 2,
      assumeRole: { clientPlugins: [stsStandIn(credentials, assumed)] },
    });
  });

  it("reads with the role's permissions, through a cache of the role's own", async () => {
    const viaRole = `/secretsmanager/get?secretId=${mine}&roleArn=${role('reader')}`;
    expect((await call(roleAgent, `/v1/${mine}`, auth)).status).toBe(200);
    const before = calls('GetSecretValue');
    expect((await call(roleAgent, viaRole, auth)).status).toBe(200);
    // Cached by the agent's own cache, but not by the role's: the role's first read goes to Secrets Manager.
    expect(calls('GetSecretValue') - before).toBe(1);
    expect((await call(roleAgent, viaRole, auth)).status).toBe(200);
    expect(calls('GetSecretValue') - before).toBe(1);
    const hidden = await call(roleAgent, `/v1/${theirs}?roleArn=${role('reader')}`, auth);
    expect(hidden.status).toBe(400);
    expect(JSON.parse(hidden.body)).toMatchObject({ __type: 'AccessDeniedException' });
    expect((await call(roleAgent, `/v1/${theirs}`, auth)).status).toBe(200);
    expect(assumed.filter((arn) => arn === role('reader'))).toHaveLength(1);
  });

  it('answers 403 when the role cannot be assumed, and 400 past max_roles', async () => {
    const refused = await call(roleAgent, `/v1/${mine}?roleArn=${role('refused')}`, auth);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({
      __type: 'AccessDeniedException',
      message: `Failed to create caching client from role: ${role('refused')}`,
    });
    expect((await call(roleAgent, `/v1/${mine}?roleArn=${role('other')}`, auth)).status).toBe(200);
    const third = await call(roleAgent, `/v1/${mine}?roleArn=${role('third')}`, auth);
    expect(third.status).toBe(400);
    expect(JSON.parse(third.body).__type).toBe('MaxRolesExceeded');
  });
});
