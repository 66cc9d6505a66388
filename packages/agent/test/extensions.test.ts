import {
  PutSecretValueCommand,
  type SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { type Agent, startAgent } from '@coffer/agent';
import type { LocalSecretsManager } from '@coffer/local';
import {
  canary,
  clientFor,
  createSecret,
  expectNoCanary,
  startTestServer,
  uniqueName,
} from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './http.js';

// What Coffer's agent does beyond AWS's: one key of a JSON secret, batch reads, cached DescribeSecret, pushed
// invalidation, Prometheus metrics.

const TOKEN = 'extensions-token';
const auth = { 'X-Aws-Parameters-Secrets-Token': TOKEN };
let server: LocalSecretsManager;
let admin: SecretsManagerClient;
let agent: Agent;
const logged: unknown[] = [];
const calls = (operation: string) => server.audit.callCounts()[operation] ?? 0;

beforeAll(async () => {
  server = await startTestServer();
  admin = clientFor(server);
  agent = await startAgent({
    listen: '127.0.0.1:0',
    token: TOKEN,
    clientConfig: {
      endpoint: server.endpoint,
      region: server.region,
      credentials: server.credentials,
      maxAttempts: 1,
    },
    accessLog: (entry) => logged.push(entry),
  });
});
afterAll(async () => {
  await agent.close();
  expectNoCanary(logged, 'the access log');
  await server.close();
});

describe('key: one key of a JSON secret', () => {
  it('answers a string as text/plain and anything else as JSON, by query or by path', async () => {
    const name = uniqueName('ext/json');
    const password = canary();
    await createSecret(admin, {
      Name: name,
      SecretString: JSON.stringify({ username: 'app', password, port: 5432 }),
    });
    const byQuery = await call(agent, `/secretsmanager/get?secretId=${name}&key=password`, auth);
    expect(byQuery).toMatchObject({ status: 200, body: password });
    expect(byQuery.headers['content-type']).toBe('text/plain; charset=utf-8');
    const byPath = await call(agent, `/v1/${encodeURIComponent(`${name}#password`)}`, auth);
    expect(byPath.body).toBe(password);
    expect((await call(agent, `/v1/${name}%23username`, auth)).body).toBe('app');
    const port = await call(agent, `/v1/${name}?key=port`, auth);
    expect([port.body, port.headers['content-type']]).toEqual(['5432', 'application/json']);
  });

  it('says which key is missing, or that the secret is not a JSON object, without quoting the value', async () => {
    const json = uniqueName('ext/json');
    const text = uniqueName('ext/text');
    await createSecret(admin, { Name: json, SecretString: JSON.stringify({ password: canary() }) });
    await createSecret(admin, { Name: text, SecretString: canary() });
    const missing = await call(agent, `/v1/${json}?key=user`, auth);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({
      __type: 'KeyNotFoundException',
      message: `Secret "${json}" has no key "user".`,
    });
    const notJson = await call(agent, `/v1/${text}?key=password`, auth);
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).__type).toBe('InvalidSecretFormatException');
    expectNoCanary(missing.body);
    expectNoCanary(notJson.body);
  });
});

describe('GET /secretsmanager/batch', () => {
  it("answers BatchGetSecretValue's shape through the cache, with each failure in Errors", async () => {
    const names = [uniqueName('ext/batch'), uniqueName('ext/batch')];
    for (const name of names) await createSecret(admin, { Name: name, SecretString: canary() });
    const query = `secretId=${names[0]}&secretId=${names[1]}&secretId=ext/batch-missing`;
    const before = calls('BatchGetSecretValue');
    const first = await call(agent, `/secretsmanager/batch?${query}`, auth);
    expect(first.status).toBe(200);
    const body = JSON.parse(first.body) as {
      SecretValues: { Name: string }[];
      Errors: { SecretId: string; ErrorCode: string }[];
    };
    expect(body.SecretValues.map((v) => v.Name).sort()).toEqual([...names].sort());
    expect(body.Errors).toMatchObject([
      { SecretId: 'ext/batch-missing', ErrorCode: 'ResourceNotFoundException' },
    ]);
    expect(calls('BatchGetSecretValue') - before).toBe(1);
    // Now cached: the same names answer without Secrets Manager.
    const again = await call(agent, `/secretsmanager/batch?secretId=${names[0]}&secretId=${names[1]}`, auth);
    expect(JSON.parse(again.body).SecretValues).toHaveLength(2);
    expect(calls('BatchGetSecretValue') - before).toBe(1);
  });

  it('finds secrets by filter (tag key), and checks its parameters', async () => {
    const tag = `batch-${uniqueName('t').split('/')[1]}`;
    const tagged = uniqueName('ext/tagged');
    await createSecret(admin, { Name: tagged, SecretString: canary(), Tags: [{ Key: tag, Value: 'v' }] });
    const answer = await call(agent, `/secretsmanager/batch?filter=tag-key:${tag}`, auth);
    expect(JSON.parse(answer.body).SecretValues.map((v: { Name: string }) => v.Name)).toEqual([tagged]);
    expect((await call(agent, '/secretsmanager/batch', auth)).body).toBe(
      'missing parameter secretId or filter',
    );
    expect((await call(agent, '/secretsmanager/batch?filter=color:red', auth)).status).toBe(400);
    expect((await call(agent, '/secretsmanager/batch?secretId=a&versionId=x', auth)).body).toBe(
      'unknown parameter: versionId',
    );
  });
});

describe('GET /secretsmanager/describe', () => {
  it("answers DescribeSecret's metadata, cached", async () => {
    const name = uniqueName('ext/describe');
    await createSecret(admin, { Name: name, SecretString: canary() });
    await admin.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'team', Value: 'payments' }] }));
    const before = calls('DescribeSecret');
    const first = await call(agent, `/secretsmanager/describe?secretId=${name}`, auth);
    expect(first.status).toBe(200);
    const body = JSON.parse(first.body) as Record<string, unknown>;
    expect(body).toMatchObject({ Name: name, Tags: [{ Key: 'team', Value: 'payments' }] });
    expect(typeof body.CreatedDate).toBe('number');
    await call(agent, `/secretsmanager/describe?secretId=${name}`, auth);
    expect(calls('DescribeSecret') - before).toBe(1);
    expect((await call(agent, '/secretsmanager/describe?secretId=ext/none', auth)).status).toBe(400);
  });
});

describe('POST /secretsmanager/refresh', () => {
  it('lets a rotation hook push a change: the next read has the new version without waiting for the TTL', async () => {
    const name = uniqueName('ext/refresh');
    await createSecret(admin, { Name: name, SecretString: canary() });
    await call(agent, `/v1/${name}`, auth);
    const rotated = await admin.send(new PutSecretValueCommand({ SecretId: name, SecretString: canary() }));
    expect(JSON.parse((await call(agent, `/v1/${name}`, auth)).body).VersionId).not.toBe(rotated.VersionId);
    expect(
      (await call(agent, `/secretsmanager/refresh?secretId=${name}`, {}, { method: 'POST' })).status,
    ).toBe(403);
    const pushed = await call(agent, `/secretsmanager/refresh?secretId=${name}`, auth, { method: 'POST' });
    expect(JSON.parse(pushed.body)).toEqual({
      SecretId: name,
      Refreshed: true,
      VersionId: rotated.VersionId,
    });
    expect(JSON.parse((await call(agent, `/v1/${name}`, auth)).body).VersionId).toBe(rotated.VersionId);
    expect((await call(agent, `/secretsmanager/refresh?secretId=${name}`, auth)).status).toBe(405);
  });
});

describe('GET /metrics', () => {
  it('counts hits, misses, upstream calls by operation and outcome, latency and entries, in Prometheus text', async () => {
    const name = uniqueName('ext/metrics');
    await createSecret(admin, { Name: name, SecretString: canary() });
    await call(agent, `/v1/${name}`, auth);
    await call(agent, `/v1/${name}`, auth);
    expect((await call(agent, '/metrics')).status).toBe(403);
    const metrics = await call(agent, '/metrics', auth);
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    const value = (pattern: RegExp) => Number(pattern.exec(metrics.body)?.[1] ?? Number.NaN);
    expect(value(/^coffer_agent_cache_hits_total (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^coffer_agent_cache_misses_total (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(
      value(/^coffer_agent_upstream_calls_total\{operation="GetSecretValue",outcome="ok"\} (\d+)/m),
    ).toBeGreaterThanOrEqual(1);
    expect(metrics.body).toMatch(
      /^coffer_agent_upstream_calls_total\{operation="GetSecretValue",outcome="error"\} \d+/m,
    );
    expect(metrics.body).toMatch(
      /^coffer_agent_request_duration_seconds_bucket\{le="0.005",route="\/v1\/",status="200"\} \d+/m,
    );
    expect(value(/^coffer_agent_cache_entries (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(metrics.body).toMatch(/^coffer_agent_stale_serves_total \d+/m);
    expect(metrics.body).not.toContain(name);
    expectNoCanary(metrics.body);
  });
});
