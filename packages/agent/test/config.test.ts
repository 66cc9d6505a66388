import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AGENT_DEFAULTS,
  type Agent,
  AgentConfigError,
  type AgentOptions,
  agentConfig,
  parseAgentConfig,
  startAgent,
} from '@coffer/agent';
import type { LocalSecretsManager } from '@coffer/local';
import { canary, clientFor, createSecret, startTestServer, uniqueName } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './http.js';

// Configuration in AWS's agent's TOML layout, environment and flag overrides, where the token comes from, and
// where the agent listens.

let server: LocalSecretsManager;
let dir: string;
const agents: Agent[] = [];

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'coffer-agent-config-'));
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function agentWith(options: AgentOptions): Promise<Agent> {
  const agent = await startAgent({
    listen: '127.0.0.1:0',
    clientConfig: {
      endpoint: server.endpoint,
      region: server.region,
      credentials: server.credentials,
      maxAttempts: 1,
    },
    env: {},
    ...options,
  });
  agents.push(agent);
  return agent;
}

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("the config file, in AWS's agent's layout", () => {
  it('reads the nested layout', () => {
    const config = parseAgentConfig(`
[logging]
log_level = "WARN"

[capabilities.secrets_manager]
http_port = 2999
region = "eu-west-1"
path_prefix = "/v2/"
max_conn = 10
max_roles = 5

[capabilities.secrets_manager.cache]
ttl_seconds = 60
cache_size = 50
max_stale_seconds = 120

[capabilities.secrets_manager.security]
ssrf_headers = ["X-Custom-Token"]
ssrf_env_variables = ["MY_TOKEN"]

[capabilities.secrets_manager.prefetch]
cache_buffer_ratio = 0.5
secrets = [{ secret_id = "prod/db" }, { secret_id = "other", role_arn = "arn:aws:iam::123456789012:role/r" }]

[[capabilities.secrets_manager.prefetch.filter_tags]]
key = "team"
`);
    expect(config.logLevel).toBe('warn');
    expect(config.options).toEqual({
      listen: '127.0.0.1:2999',
      region: 'eu-west-1',
      pathPrefix: '/v2/',
      maxConnections: 10,
      maxRoles: 5,
      ttlSeconds: 60,
      cacheSize: 50,
      maxStaleSeconds: 120,
      tokenHeaders: ['X-Custom-Token'],
      tokenEnvVariables: ['MY_TOKEN'],
      prefetch: {
        cacheBufferRatio: 0.5,
        secrets: [
          { secretId: 'prod/db', roleArn: undefined },
          { secretId: 'other', roleArn: 'arn:aws:iam::123456789012:role/r' },
        ],
        filterTags: [{ key: 'team', roleArn: undefined }],
      },
    });
  });

  it('reads the older flat layout', () => {
    const config = parseAgentConfig(
      'log_level = "DEBUG"\nhttp_port = "2775"\nttl_seconds = "0"\ncache_size = 20\n',
    );
    expect(config.logLevel).toBe('debug');
    expect(config.options).toMatchObject({ listen: '127.0.0.1:2775', ttlSeconds: 0, cacheSize: 20 });
  });

  it('refuses unknown settings, wrong types, bad ports and bad TOML with messages that say what to fix', () => {
    const refusal = (text: string) => {
      try {
        parseAgentConfig(text);
      } catch (error) {
        expect(error).toBeInstanceOf(AgentConfigError);
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal('[capabilities.secrets_manager]\nttl = 3\n')).toMatch(
      /Unknown setting capabilities\.secrets_manager\.ttl/,
    );
    expect(refusal('[capabilities.secrets_manager.cache]\nttl_seconds = "soon"\n')).toMatch(
      /ttl_seconds must be a number/,
    );
    expect(refusal('[capabilities.secrets_manager]\nhttp_port = 80\n')).toMatch(/from 1024 to 65535/);
    expect(refusal('[capabilities.secrets_manager\n')).toMatch(/not valid TOML at line 1/);
    expect(refusal('[capabilities.secrets_manager]\nenabled = false\n')).toMatch(/enabled is false/);
  });

  it('lists what it accepts but does not act on', () => {
    const config = parseAgentConfig(
      '[logging]\nlog_to_file = true\n[capabilities.secrets_manager]\nvalidate_credentials = true\n[capabilities.acm]\nenabled = true\n',
    );
    expect(config.ignored).toHaveLength(3);
  });

  it('lets COFFER_AGENT_* variables override the file, and flags override both', () => {
    const path = file(
      'layers.toml',
      '[capabilities.secrets_manager.cache]\nttl_seconds = 60\ncache_size = 10\n',
    );
    const env = {
      COFFER_AGENT_CONFIG: path,
      COFFER_AGENT_TTL_SECONDS: '30',
      COFFER_AGENT_LISTEN: '127.0.0.1:3000',
    };
    expect(agentConfig({}, env).options).toMatchObject({
      ttlSeconds: 30,
      cacheSize: 10,
      listen: '127.0.0.1:3000',
    });
    expect(agentConfig({ ttl: 5, port: 3001 }, env).options).toMatchObject({
      ttlSeconds: 5,
      listen: '127.0.0.1:3001',
    });
    expect(() => agentConfig({}, { COFFER_AGENT_TTL_SECONDS: 'soon' })).toThrow(/whole number/);
  });

  it('checks ranges when the agent starts', async () => {
    await expect(agentWith({ token: 't', ttlSeconds: 3601 })).rejects.toThrow(
      /ttlSeconds must be a whole number from 0 to 3600/,
    );
    await expect(agentWith({ token: 't', pathPrefix: 'v1' })).rejects.toThrow(/pathPrefix/);
    await expect(agentWith({ token: 't', prefetch: { secrets: [{ secretId: '' }] } })).rejects.toThrow(
      /needs a secretId/,
    );
    await expect(
      agentWith({ token: 't', prefetch: { filterTags: [{ key: 'team', roleArn: 'role/x' }] } }),
    ).rejects.toThrow(/role_arn of the prefetch of tag team is not a role ARN/);
    expect(AGENT_DEFAULTS).toMatchObject({
      listen: '127.0.0.1:2773',
      ttlSeconds: 300,
      cacheSize: 1000,
      maxConnections: 800,
    });
  });
});

describe('the token', () => {
  it('comes from the first variable set, as a value or file://, like AWS’s agent', async () => {
    const fromSession = await agentWith({ env: { AWS_SESSION_TOKEN: 'session-token' } });
    expect((await call(fromSession, '/v1/x', { 'X-Vault-Token': 'session-token' })).status).not.toBe(403);
    const preferred = await agentWith({
      env: { AWS_TOKEN: 'aws-token', AWS_SESSION_TOKEN: 'session-token' },
    });
    expect((await call(preferred, '/v1/x', { 'X-Vault-Token': 'session-token' })).status).toBe(403);
    const path = file('token', '  file-token\n');
    const fromFile = await agentWith({ env: { AWS_CONTAINER_AUTHORIZATION_TOKEN: `file://${path}` } });
    expect((await call(fromFile, '/v1/x', { 'X-Vault-Token': 'file-token' })).status).not.toBe(403);
    const fromOption = await agentWith({ tokenFile: path, env: { AWS_TOKEN: 'ignored' } });
    expect((await call(fromOption, '/v1/x', { 'X-Vault-Token': 'file-token' })).status).not.toBe(403);
  });

  it('must exist: no token, an empty or unreadable file, refuse to start', async () => {
    await expect(agentWith({})).rejects.toThrow(/No token: set one of AWS_TOKEN, AWS_SESSION_TOKEN/);
    await expect(agentWith({ env: { AWS_TOKEN: `file://${join(dir, 'missing')}` } })).rejects.toThrow(
      /Cannot read the token file/,
    );
    await expect(agentWith({ tokenFile: file('empty', '\n') })).rejects.toThrow(/is empty/);
  });
});

describe('where the agent listens', () => {
  it('on a Unix socket', async () => {
    const name = uniqueName('agent/socket');
    const value = canary();
    await createSecret(clientFor(server), { Name: name, SecretString: value });
    const agent = await agentWith({ token: 'sock', listen: join(dir, 'agent.sock') });
    expect(agent.url).toBe(`unix:${join(dir, 'agent.sock')}`);
    const answer = await call(agent, `/secretsmanager/get?secretId=${name}&key=missing`, {
      'X-Vault-Token': 'sock',
    });
    expect(answer.status).toBe(400);
    const whole = await call(agent, `/v1/${name}`, { 'X-Vault-Token': 'sock' });
    expect(JSON.parse(whole.body).SecretString).toBe(value);
  });

  it('beyond loopback only with a token from a file, with a warning', async () => {
    await expect(agentWith({ token: 'x', listen: '0.0.0.0:0' })).rejects.toThrow(
      /needs a token read from a file/,
    );
    const warnings: string[] = [];
    const agent = await agentWith({
      tokenFile: file('wide-token', 'wide'),
      listen: '0.0.0.0:0',
      logger: { warn: (_fields, message) => warnings.push(message) },
    });
    expect(agent.address).toMatchObject({ kind: 'tcp', host: '0.0.0.0', loopback: false });
    expect(warnings.join('\n')).toMatch(/reachable from other hosts/);
  });

  it('refuses addresses that are not addresses, and a port in use', async () => {
    await expect(agentWith({ token: 'x', listen: 'nowhere' })).rejects.toThrow(/is not an address/);
    const first = await agentWith({ token: 'x' });
    const port = first.address.kind === 'tcp' ? first.address.port : 0;
    await expect(agentWith({ token: 'x', listen: `127.0.0.1:${port}` })).rejects.toThrow(/EADDRINUSE/);
  });

  it('answers 429 on connections past max_conn, keeping two more for /ping', async () => {
    const { Agent: HttpAgent } = await import('node:http');
    const agent = await agentWith({ token: 'x', maxConnections: 2 });
    const sockets = Array.from({ length: 4 }, () => new HttpAgent({ keepAlive: true, maxSockets: 1 }));
    const via = (i: number, path: string) =>
      call(
        agent,
        path,
        { 'X-Vault-Token': 'x' },
        { httpAgent: sockets[i] as InstanceType<typeof HttpAgent> },
      );
    // Open connections one at a time: each stays open (keep-alive) for the next.
    expect((await via(0, '/ping')).status).toBe(200);
    expect((await via(1, '/ping')).status).toBe(200);
    expect((await via(2, '/ping')).status).toBe(200);
    const limited = await via(3, '/v1/x');
    expect(limited).toMatchObject({ status: 429, body: 'Connection limit exceeded' });
    expect((await via(3, '/ping')).status).toBe(200);
    for (const s of sockets) s.destroy();
  });
});
