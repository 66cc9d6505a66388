import {
  DeleteSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type Agent, type AgentOptions, startAgent } from '@coffer/agent';
import type { LocalSecretsManager } from '@coffer/local';
import {
  canary,
  clientFor,
  createSecret,
  expectNoCanary,
  type FaultProxy,
  startProxy,
  startTestServer,
  uniqueName,
} from '@coffer/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call } from './http.js';

// The agent over HTTP, backed by the local server through the real SDK: AWS's agent's endpoints, status codes
// and error bodies, its token and forwarding rules, and what the cache adds.

const TOKEN = 'test-token-0123456789';
const auth = { 'X-Aws-Parameters-Secrets-Token': TOKEN };
let server: LocalSecretsManager;
let proxy: FaultProxy;
let admin: SecretsManagerClient;
const agents: Agent[] = [];
const logs: unknown[] = [];
const calls = (operation: string) => server.audit.callCounts()[operation] ?? 0;

async function agentWith(options: AgentOptions = {}): Promise<Agent> {
  const agent = await startAgent({
    listen: '127.0.0.1:0',
    token: TOKEN,
    clientConfig: {
      endpoint: proxy.endpoint,
      region: server.region,
      credentials: server.credentials,
      maxAttempts: 1,
    },
    logger: {
      info: (fields, message) => logs.push({ fields, message }),
      warn: (fields, message) => logs.push({ fields, message }),
      error: (fields, message) => logs.push({ fields, message }),
    },
    accessLog: (entry) => logs.push(entry),
    ...options,
  });
  agents.push(agent);
  return agent;
}

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startProxy(server.endpoint);
  admin = clientFor(server);
});
afterEach(() => {
  proxy.mode = 'pass';
  proxy.release();
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  expectNoCanary(logs, 'the agent logs');
  await proxy.close();
  await server.close();
});

describe('GET /secretsmanager/get and /v1/<secretId>', () => {
  it("answers GetSecretValue's JSON in AWS's agent's layout, by name, ARN and path", async () => {
    const agent = await agentWith();
    const name = uniqueName('agent/get');
    const value = canary();
    const { arn, versionId } = await createSecret(admin, { Name: name, SecretString: value });
    const byName = await call(agent, `/secretsmanager/get?secretId=${encodeURIComponent(name)}`, auth);
    expect(byName.status).toBe(200);
    expect(byName.headers['content-type']).toBe('application/json');
    const body = JSON.parse(byName.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      'ARN',
      'Name',
      'VersionId',
      'SecretString',
      'VersionStages',
      'CreatedDate',
    ]);
    expect(body).toMatchObject({ ARN: arn, Name: name, VersionId: versionId, SecretString: value });
    expect(body.VersionStages).toEqual(['AWSCURRENT']);
    expect(body.CreatedDate).toMatch(/^\d+(\.\d+)?$/);
    const byArn = await call(agent, `/secretsmanager/get?secretId=${encodeURIComponent(arn)}`, auth);
    expect(JSON.parse(byArn.body)).toEqual(body);
    const byPath = await call(agent, `/v1/${name}`, auth);
    expect(JSON.parse(byPath.body)).toEqual(body);
  });

  it('answers SecretBinary as base64', async () => {
    const agent = await agentWith();
    const name = uniqueName('agent/binary');
    const bytes = new Uint8Array([0, 255, 1, 254, 7]);
    await createSecret(admin, { Name: name, SecretBinary: bytes });
    const answer = JSON.parse((await call(agent, `/v1/${name}`, auth)).body) as Record<string, unknown>;
    expect(answer.SecretBinary).toBe(Buffer.from(bytes).toString('base64'));
    expect(answer).not.toHaveProperty('SecretString');
  });

  it('reads versions by versionStage and versionId', async () => {
    const agent = await agentWith();
    const name = uniqueName('agent/versions');
    const first = await createSecret(admin, { Name: name, SecretString: canary() });
    const second = await admin.send(new PutSecretValueCommand({ SecretId: name, SecretString: canary() }));
    const previous = await call(agent, `/secretsmanager/get?secretId=${name}&versionStage=AWSPREVIOUS`, auth);
    expect(JSON.parse(previous.body)).toMatchObject({
      VersionId: first.versionId,
      VersionStages: ['AWSPREVIOUS'],
    });
    const byId = await call(agent, `/v1/${name}?versionId=${second.VersionId}`, auth);
    expect(JSON.parse(byId.body)).toMatchObject({ VersionId: second.VersionId });
  });

  it('sees a rotation at once with refreshNow=true, and after the TTL without it', async () => {
    const agent = await agentWith({ ttlSeconds: 1 });
    const name = uniqueName('agent/rotation');
    await createSecret(admin, { Name: name, SecretString: canary() });
    const read = async (query = '') =>
      (
        JSON.parse((await call(agent, `/secretsmanager/get?secretId=${name}${query}`, auth)).body) as {
          VersionId: string;
        }
      ).VersionId;
    await read();
    const rotated = await admin.send(new PutSecretValueCommand({ SecretId: name, SecretString: canary() }));
    expect(await read('&refreshNow=true')).toBe(rotated.VersionId);
    const again = await admin.send(new PutSecretValueCommand({ SecretId: name, SecretString: canary() }));
    await expect.poll(() => read(), { timeout: 10_000, interval: 200 }).toBe(again.VersionId);
  });

  it('with ttl 0, asks Secrets Manager on every read', async () => {
    const agent = await agentWith({ ttlSeconds: 0 });
    const name = uniqueName('agent/uncached');
    await createSecret(admin, { Name: name, SecretString: canary() });
    const before = calls('GetSecretValue');
    for (let i = 0; i < 3; i++) expect((await call(agent, `/v1/${name}`, auth)).status).toBe(200);
    expect(calls('GetSecretValue') - before).toBe(3);
  });

  it('1,000 concurrent cold requests for one secret make one GetSecretValue', async () => {
    const agent = await agentWith({ maxConnections: 1100 });
    const name = uniqueName('agent/stampede');
    await createSecret(admin, { Name: name, SecretString: canary() });
    const before = calls('GetSecretValue');
    // Hold Secrets Manager's answer until every request has reached the cache, so all 1,000 are cold.
    proxy.mode = 'hold';
    const answers = Promise.all(Array.from({ length: 1000 }, () => call(agent, `/v1/${name}`, auth)));
    await expect
      .poll(() => agent.cache.stats().misses, { timeout: 30_000, interval: 50 })
      .toBeGreaterThanOrEqual(1000);
    proxy.mode = 'pass';
    proxy.release();
    const statuses = (await answers).map((a) => a.status);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(calls('GetSecretValue') - before).toBe(1);
  });

  it('serves the last good value while Secrets Manager is down, saying since when, then a clear 502 past max_stale', async () => {
    const agent = await agentWith({ ttlSeconds: 1, maxStaleSeconds: 3 });
    const name = uniqueName('agent/stale');
    const value = canary();
    await createSecret(admin, { Name: name, SecretString: value });
    expect((await call(agent, `/v1/${name}`, auth)).headers['x-coffer-stale-since']).toBeUndefined();
    proxy.mode = 'refuse';
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const stale = await call(agent, `/v1/${name}`, auth);
    expect(stale.status).toBe(200);
    expect(JSON.parse(stale.body)).toMatchObject({ SecretString: value });
    const since = stale.headers['x-coffer-stale-since'];
    expect(typeof since === 'string' && Date.parse(since) <= Date.now()).toBe(true);
    await expect
      .poll(async () => (await call(agent, `/v1/${name}`, auth)).status, { timeout: 15_000, interval: 250 })
      .toBe(502);
    const failed = await call(agent, `/v1/${name}`, auth);
    expect(JSON.parse(failed.body)).toMatchObject({ __type: 'ConnectionError' });
    expect(JSON.parse(failed.body).message).toContain('max_stale_seconds');
    expectNoCanary(failed.body);
  });
});

describe("AWS's agent's errors", () => {
  it('passes on Secrets Manager’s status, code and message for a secret that does not exist or was deleted', async () => {
    const agent = await agentWith();
    const missing = await call(agent, '/secretsmanager/get?secretId=agent/does-not-exist', auth);
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body)).toMatchObject({ __type: 'ResourceNotFoundException' });
    expect(typeof JSON.parse(missing.body).message).toBe('string');
    const name = uniqueName('agent/deleted');
    await createSecret(admin, { Name: name, SecretString: canary() });
    await admin.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    expect((await call(agent, `/v1/${name}`, auth)).status).toBe(400);
  });

  it('passes on access denied', async () => {
    const name = uniqueName('agent/denied');
    await createSecret(admin, { Name: name, SecretString: canary() });
    const reader = server.addCredential({
      userName: uniqueName('agent-reader').replace('/', '-'),
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: 'secretsmanager:*', Resource: '*' }],
      },
    });
    const agent = await agentWith({
      clientConfig: {
        endpoint: server.endpoint,
        region: server.region,
        credentials: { accessKeyId: reader.accessKeyId, secretAccessKey: reader.secretAccessKey },
        maxAttempts: 1,
      },
    });
    const denied = await call(agent, `/v1/${name}`, auth);
    expect(denied.status).toBe(400);
    expect(JSON.parse(denied.body)).toMatchObject({ __type: 'AccessDeniedException' });
  });

  it('answers bad parameters with 400 and plain text', async () => {
    const agent = await agentWith();
    const cases: [string, string][] = [
      ['/secretsmanager/get', 'missing parameter secretId'],
      ['/secretsmanager/get?secretId=', 'missing parameter secretId'],
      ['/secretsmanager/get?secretId=a&abc=1', 'unknown parameter: abc'],
      ['/secretsmanager/get?secretId=a&refreshNow=maybe', 'invalid refreshNow value'],
      [
        '/secretsmanager/get?secretId=a&roleArn=nope',
        'invalid roleArn format, expected arn:<partition>:iam::<account>:role/<name>',
      ],
      ['/v1/', 'missing secret ID'],
      ['/v1/a?secretId=b', 'unknown parameter: secretId'],
    ];
    for (const [path, text] of cases) {
      const answer = await call(agent, path, auth);
      expect([path, answer.status, answer.body]).toEqual([path, 400, text]);
    }
    expect((await call(agent, '/nowhere', auth)).status).toBe(404);
    expect((await call(agent, '/nowhere', auth)).body).toBe('Not found');
  });

  it('answers 502 with ConnectionError when Secrets Manager cannot be reached and nothing is cached', async () => {
    const agent = await agentWith();
    proxy.mode = 'refuse';
    const answer = await call(agent, '/v1/agent/never-cached', auth);
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.body)).toEqual({ __type: 'ConnectionError', message: 'Read Error' });
  });
});

describe('the token, forwarding and methods', () => {
  it('needs the token in either header, compared exactly; /ping needs none', async () => {
    const agent = await agentWith();
    const name = uniqueName('agent/token');
    await createSecret(admin, { Name: name, SecretString: canary() });
    expect(await call(agent, '/ping')).toMatchObject({ status: 200, body: 'healthy' });
    expect(await call(agent, `/v1/${name}`)).toMatchObject({ status: 403, body: 'Bad Token' });
    const wrong = { 'X-Aws-Parameters-Secrets-Token': `${TOKEN}x` };
    expect(await call(agent, `/v1/${name}`, wrong)).toMatchObject({ status: 403, body: 'Bad Token' });
    expect(
      (await call(agent, `/v1/${name}`, { 'X-Aws-Parameters-Secrets-Token': TOKEN.slice(1) })).status,
    ).toBe(403);
    expect((await call(agent, `/v1/${name}`, { 'X-Vault-Token': TOKEN })).status).toBe(200);
    expect((await call(agent, `/v1/${name}`, auth)).status).toBe(200);
  });

  it('takes other header names when configured', async () => {
    const agent = await agentWith({ tokenHeaders: ['X-My-Token'] });
    expect((await call(agent, '/v1/x', auth)).status).toBe(403);
    expect((await call(agent, '/v1/agent/missing', { 'X-My-Token': TOKEN })).status).toBe(400);
  });

  it('refuses requests carrying X-Forwarded-For', async () => {
    const agent = await agentWith();
    const answer = await call(agent, '/v1/x', { ...auth, 'X-Forwarded-For': '10.0.0.1' });
    expect(answer).toMatchObject({ status: 400, body: 'Forwarded' });
  });

  it('answers only GET (and POST for refresh)', async () => {
    const agent = await agentWith();
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const answer = await call(agent, '/secretsmanager/get?secretId=x', auth, { method });
      expect([method, answer.status, answer.body]).toEqual([method, 405, 'Not allowed']);
    }
    expect((await call(agent, '/secretsmanager/get?secretId=x', {}, { method: 'POST' })).status).toBe(403);
  });
});
