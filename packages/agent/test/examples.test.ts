import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Agent, startAgent } from '@coffer/agent';
import type { LocalSecretsManager } from '@coffer/local';
import { canaries, canary, clientFor, createSecret, startTestServer, uniqueName } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The clients in other languages in examples/: Python (standard library only) and a curl script, run as a user
// would run them against a real agent. CI installs python3 and curl (.ci/run); where one is missing, its tests
// are skipped with one line saying which Debian package to install.

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const run = promisify(execFile);

/** Debian's interpreter first: PATH may put another one ahead of it. */
function find(name: string, debianPath: string): string | undefined {
  if (existsSync(debianPath)) return debianPath;
  for (const dir of (process.env.PATH ?? '').split(':'))
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}
const python = find('python3', '/usr/bin/python3');
const curl = find('curl', '/usr/bin/curl');
if (python === undefined)
  console.log('examples: python3 not found, Python example tests skipped (apt-get install python3)');
if (curl === undefined)
  console.log('examples: curl not found, curl example tests skipped (apt-get install curl)');

let server: LocalSecretsManager;
let agent: Agent;
let dir: string;
let env: Record<string, string>;
const database = uniqueName('examples/postgres');
let password: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'coffer-agent-examples-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'examples-token\n');
  agent = await startAgent({
    listen: '127.0.0.1:0',
    tokenFile,
    clientConfig: {
      endpoint: server.endpoint,
      region: server.region,
      credentials: server.credentials,
      maxAttempts: 1,
    },
  });
  password = canary();
  await createSecret(clientFor(server), {
    Name: database,
    SecretString: JSON.stringify({ username: 'app', password, host: '127.0.0.1', port: 5432 }),
  });
  env = {
    PATH: process.env.PATH ?? '',
    COFFER_AGENT_URL: agent.url,
    AWS_TOKEN: `file://${tokenFile}`,
    PYTHONDONTWRITEBYTECODE: '1',
  };
});
afterAll(async () => {
  await agent.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const noValueIn = (text: string) => {
  for (const value of canaries) expect(text).not.toContain(value);
};

describe.skipIf(python === undefined)('examples/python', () => {
  it('example.py reads a database secret through the agent and prints no value', async () => {
    const { stdout, stderr } = await run(python as string, ['example.py', database], {
      cwd: join(EXAMPLES, 'python'),
      env,
    });
    expect(stdout).toBe(`${database}: user app, password read (consistent)\n`);
    noValueIn(stdout + stderr);
  });

  it("coffer_agent's SecretCache and get_secret return the values; errors carry AWS's status and code", async () => {
    const script = [
      'import sys, coffer_agent as c',
      'cache = c.SecretCache()',
      'ok = cache.get_json(sys.argv[1])["password"] == sys.argv[2] == cache.get_key(sys.argv[1], "password")',
      'ok = ok and c.get_secret(sys.argv[1]) == cache.get_secret_value(sys.argv[1])["SecretString"]',
      'ok = ok and "examples-token" not in repr(cache)',
      'try:\n    cache.get("examples/missing")\nexcept c.AgentError as e:\n    print(e.status, e.type)',
      'print("ok" if ok else "mismatch")',
    ].join('\n');
    const { stdout } = await run(python as string, ['-c', script, database, password], {
      cwd: join(EXAMPLES, 'python'),
      env,
    });
    expect(stdout).toBe('400 ResourceNotFoundException\nok\n');
  });
});

describe.skipIf(curl === undefined)('examples/curl', () => {
  const script = join(EXAMPLES, 'curl', 'get-secret.sh');

  it('get-secret.sh prints the GetSecretValue answer, or one key', async () => {
    const whole = await run('sh', [script, database], { env });
    expect(JSON.parse(JSON.parse(whole.stdout).SecretString)).toMatchObject({ username: 'app', password });
    expect((await run('sh', [script, database, 'password'], { env })).stdout).toBe(password);
  });

  it('fails with the agent’s error for a missing secret or a wrong token', async () => {
    const missing = await run('sh', [script, 'examples/missing'], { env }).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect(missing).toMatchObject({ code: 22 });
    expect(JSON.parse((missing as { stdout: string }).stdout).__type).toBe('ResourceNotFoundException');
    const wrong = await run('sh', [script, database], { env: { ...env, AWS_TOKEN: 'nope' } }).catch(
      (e: { stdout: string }) => e,
    );
    expect((wrong as { stdout: string }).stdout).toBe('Bad Token');
  });
});
