import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { awsEnvFor, canaries, canary, clientFor, startTestServer } from '@coffer/testing';
import { mariadbAvailable, startTestMariadb, type TestMariadb } from '@coffer/testing/mariadb';
import { startTestPostgres, type TestPostgres } from '@coffer/testing/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Docs that are tests: every TypeScript or JavaScript block in the READMEs is a complete program kept here (its
 * first line `// examples/<file>`) or a marked excerpt of one (`// excerpt of examples/<file>`). The programs
 * are type-checked under the house's strict settings and run against a local server (and PostgreSQL).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const examples = fileURLToPath(new URL('.', import.meta.url));
const run = promisify(execFile);
const tsc = join(root, 'node_modules', '.bin', 'tsc');

function readmes(): string[] {
  const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join('packages', entry.name, 'README.md'));
  return ['README.md', ...packages].filter((file) => {
    try {
      readFileSync(join(root, file));
      return true;
    } catch {
      return false;
    }
  });
}

describe('README code blocks', () => {
  it('are each an example program, or a marked excerpt of one', () => {
    const problems: string[] = [];
    let blocks = 0;
    for (const readme of readmes()) {
      const text = readFileSync(join(root, readme), 'utf8');
      for (const match of text.matchAll(/```(?:ts|js|typescript|javascript)\n([\s\S]*?)```/g)) {
        blocks++;
        const [first = '', ...rest] = (match[1] ?? '').replace(/\n$/, '').split('\n');
        const where = `${readme}:${text.slice(0, match.index).split('\n').length}`;
        const marker = /^\/\/ (excerpt of )?(examples\/\S+)$/.exec(first);
        if (marker === null) {
          problems.push(
            `${where}: starts with neither "// examples/<file>" nor "// excerpt of examples/<file>"`,
          );
          continue;
        }
        let source: string;
        try {
          source = readFileSync(join(root, marker[2] as string), 'utf8').replace(/\n$/, '');
        } catch {
          problems.push(`${where}: ${marker[2]} does not exist`);
          continue;
        }
        const body = rest.join('\n');
        const ok = marker[1] === undefined ? body === source : `\n${source}\n`.includes(`\n${body}\n`);
        if (!ok) problems.push(`${where}: differs from ${marker[2]}`);
      }
    }
    expect(problems).toEqual([]);
    expect(blocks).toBeGreaterThan(10);
  });
});

describe('example programs', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  let db: TestPostgres;
  let env: Record<string, string>;

  const node = async (file: string, args: string[] = [], extraEnv: Record<string, string> = {}) => {
    const { stdout, stderr } = await run(process.execPath, [join(examples, '.out', file), ...args], {
      env: { ...env, ...extraEnv },
      cwd: examples,
    });
    for (const value of canaries)
      expect(stdout + stderr, `${file} printed a secret value`).not.toContain(value);
    return stdout;
  };
  /** Calls a Lambda handler module's `handler` the way Lambda would. */
  const invoke = async (file: string, event: unknown = {}) => {
    const script = `import(${JSON.stringify(join(examples, '.out', file))}).then((m) => m.handler(${JSON.stringify(event)})).then((r) => console.log(JSON.stringify(r)))`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
    for (const value of canaries) expect(stdout, `${file} returned a secret value`).not.toContain(value);
    return JSON.parse(stdout) as { statusCode: number; body: string };
  };

  beforeAll(async () => {
    [server, db] = await Promise.all([startTestServer(), startTestPostgres()]);
    client = clientFor(server);
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...awsEnvFor(server),
      AGENT_LISTEN: '127.0.0.1:0',
    };
    env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const create = (Name: string, SecretString: string) =>
      client.send(new CreateSecretCommand({ Name, SecretString }));
    await create('app/db', JSON.stringify({ username: 'app', password: canary() }));
    await client.send(
      new CreateSecretCommand({
        Name: 'prod/db',
        SecretString: JSON.stringify({ host: '127.0.0.1', port: 1, password: canary() }),
        AddReplicaRegions: [{ Region: 'eu-west-1' }],
      }),
    );
    // AWSCURRENT: the database's own superuser, so the examples can connect; the first version is AWSPREVIOUS.
    await client.send(new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: db.secretJson() }));
    canaries.push(db.adminPassword);
    await create('prod/api-key', canary());
    await create('prod/payments', JSON.stringify({ key: canary() }));
    rmSync(join(examples, '.out'), { recursive: true, force: true });
    // Type errors fail here, under the same strict settings a user's project would have.
    await run(tsc, ['-p', examples]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([server?.close(), db?.stop()]);
  });

  it('the AWS SDK against the local server (README)', async () => {
    expect(await node('local/sdk-client.js')).toMatch(/^app\/db holds \d+ characters/);
  });

  it('coffer: quick start, getSecret, the cache tour, references', async () => {
    expect(await node('coffer/quick-start.js')).toMatch(/password: \*\*\*\*\*\nconnected as postgres at /);
    expect(await node('coffer/get-secret.js')).toMatch(
      /^prod\/api-key \(arn:aws:secretsmanager:.*\nvalue: \*\*\*\*\*/,
    );
    expect(await node('coffer/cache-tour.js')).toMatch(/apiCalls/);
    const [dbVersion, keyVersion] = await Promise.all([
      currentVersion('prod/db'),
      currentVersion('prod/api-key'),
    ]);
    expect(await node('coffer/references.js')).toBe(
      `prod/db version ${dbVersion}\nprod/api-key version ${keyVersion}\n`,
    );
  });

  it('coffer: a rotating pg pool', async () => {
    expect(await node('coffer/rotating-pool.js')).toMatch(/^the database says \d{4}-/);
  });

  it('coffer and settings: Lambda handlers with module-scope caches', async () => {
    expect(await invoke('coffer/lambda-handler.js')).toEqual({
      statusCode: 200,
      body: '{"authorized":true}',
    });
    const settings = await invoke('settings/lambda-handler.js', { path: '/pay' });
    expect(settings.body).toMatch(/^\/pay with a key of \d+ characters$/);
  });

  it('settings: typed settings from env vars and Secrets Manager', async () => {
    const out = await node('settings/settings.js');
    expect(out).toMatch(
      /^Secret\(\*\*\*\*\*\)\nport 8080, database 127\.0\.0\.1, password of \d+ characters\n/,
    );
  });

  it('settings: a failed load prints what the README shows, and no value', async () => {
    // Eight characters: short of the schema's 12, and still a canary that must not be printed.
    const shortPassword = canary().slice(-8);
    canaries.push(shortPassword);
    await client.send(
      new CreateSecretCommand({
        Name: 'staging/db',
        SecretString: JSON.stringify({ password: shortPassword }),
      }),
    );
    const readme = readFileSync(join(root, 'packages/settings/README.md'), 'utf8');
    const shown = /<!-- settings-errors:[^\n]*\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown, 'the settings README has its errors block').toBeDefined();
    const out = await node('settings/errors.js', [], { APP_PORT: 'eighty', APP_MODE: 'fast' });
    expect(out).toBe(shown);
  });

  it('local: the server in a test, and RotateSecret with a rotation function', async () => {
    expect(await node('local/in-tests.js')).toBe('read back 6 characters\n');
    expect(await node('local/rotation.js')).toBe(
      'success: createSecret, setSecret, testSecret, finishSecret\n',
    );
    expect(await node('local/console.js')).toBe('Secrets page: 200, lists app/db: true\nlink reused: 401\n');
  });

  it('local: regions on one endpoint, and replication', async () => {
    expect(await node('local/regions.js')).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:\d{12}:secret:app\/db-\w{6} holds west\n$/,
    );
    expect(await node('local/replication.js')).toMatch(
      /^replica arn:aws:secretsmanager:eu-west-1:.*\npromoted\n$/,
    );
  });

  it('coffer: a cache that fails over to a replica region', async () => {
    expect(await node('coffer/failover.js')).toMatch(
      /^GetSecretValue in us-east-1: ok\n\{ 'us-east-1': 1 \}\n$/,
    );
  });

  it('agent: started from Node, read over HTTP', async () => {
    const out = await node('agent/start-agent.js', []);
    expect(out).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n/);
    expect(out).toMatch(/200 prod\/api-key [0-9a-f-]{36}\n$/);
  });

  it('a CommonJS TypeScript project (module nodenext, node20) requires coffer, coffer/pg and @coffer/settings', async () => {
    const project = join(examples, 'cjs-consumer');
    rmSync(join(project, '.out'), { recursive: true, force: true });
    for (const [config, out] of [
      ['tsconfig.json', '.out'],
      ['tsconfig.node20.json', '.out/node20'],
    ] as const) {
      const { compilerOptions } = JSON.parse(readFileSync(join(project, config), 'utf8')) as {
        compilerOptions: { module: string };
      };
      expect(compilerOptions.module, config).toMatch(
        config === 'tsconfig.json' ? /^nodenext$/i : /^node20$/i,
      );
      await run(tsc, ['-p', join(project, config)]);
      const compiled = readFileSync(join(project, out, 'index.js'), 'utf8');
      expect(compiled, config).toContain('require("coffer")');
      const { stdout } = await run(process.execPath, [join(project, out, 'index.js')], { env });
      expect(stdout, config).toBe('***** function function function\n');
    }
  });

  it('a CommonJS TypeScript project on module node16 refuses require of coffer, and loads it with import()', async () => {
    const project = join(examples, 'cjs-consumer');
    const config = join(project, 'tsconfig.node16.json');
    expect(
      (JSON.parse(readFileSync(config, 'utf8')) as { compilerOptions: { module: string } }).compilerOptions
        .module,
    ).toMatch(/^node16$/i);
    // Why import(): under node16 the static imports of index.ts are refused (TS1479).
    const statics = run(tsc, [
      '--noEmit',
      '--module',
      'node16',
      '--types',
      'node',
      join(project, 'index.ts'),
    ]);
    await expect(statics).rejects.toMatchObject({ stdout: expect.stringContaining('error TS1479') });
    await run(tsc, ['-p', config]);
    const compiled = readFileSync(join(project, '.out', 'node16', 'dynamic-import.js'), 'utf8');
    expect(compiled).toContain("await import('coffer')");
    const { stdout } = await run(process.execPath, [join(project, '.out', 'node16', 'dynamic-import.js')], {
      env,
    });
    expect(stdout).toBe('***** function function\n');
  });

  async function currentVersion(secretId: string): Promise<string> {
    const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return (
      Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
        stages.includes('AWSCURRENT'),
      )?.[0] ?? ''
    );
  }
});

describe.skipIf(!mariadbAvailable('MySQL example programs'))('example programs on MariaDB', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  let db: TestMariadb;
  let env: Record<string, string>;

  beforeAll(async () => {
    [server, db] = await Promise.all([startTestServer(), startTestMariadb()]);
    client = clientFor(server);
    env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...awsEnvFor(server) };
    env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    // The programs above compiled them; compiled again when this block runs alone.
    if (!existsSync(join(examples, '.out', 'coffer', 'mysql-pool.js'))) await run(tsc, ['-p', examples]);
  }, 120_000);
  afterAll(async () => {
    client?.destroy();
    await Promise.all([server?.close(), db?.stop()]);
  });

  it('coffer: a rotating mysql2 pool, before and after its rotation function alternated the user', async () => {
    const password = canary();
    const admin = await db.admin();
    try {
      const { mysqlNativePasswordHash } = await import('coffer/rotation/mysql');
      await admin.query(
        `CREATE USER 'shop'@'%' IDENTIFIED BY PASSWORD '${mysqlNativePasswordHash(password)}'`,
      );
      await admin.query(`GRANT ALL PRIVILEGES ON \`${db.database}\`.* TO 'shop'@'%'`);
    } finally {
      await admin.end();
    }
    const master = await client.send(
      new CreateSecretCommand({ Name: 'prod/mysql-master', SecretString: db.secretJson() }),
    );
    await client.send(
      new CreateSecretCommand({
        Name: 'prod/mysql',
        SecretString: db.secretJson('shop', password, { masterarn: master.ARN }),
      }),
    );
    const pool = async () => {
      const { stdout, stderr } = await run(
        process.execPath,
        [join(examples, '.out', 'coffer', 'mysql-pool.js')],
        {
          env,
          cwd: examples,
        },
      );
      for (const value of canaries) expect(stdout + stderr, 'printed a secret value').not.toContain(value);
      return stdout;
    };
    expect(await pool()).toMatch(/^the database says \d{4}-/);

    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:mysql-rotation';
    server.registerRotationFunction(arn, join(examples, '.out', 'coffer', 'mysql-rotation.js'));
    await client.send(new RotateSecretCommand({ SecretId: 'prod/mysql', RotationLambdaARN: arn }));
    expect(await server.waitForRotation('prod/mysql', { timeoutMs: 60_000 })).toMatchObject({
      outcome: 'success',
    });
    const current = await client.send(new GetSecretValueCommand({ SecretId: 'prod/mysql' }));
    const rotated = JSON.parse(current.SecretString ?? '{}') as { username: string; password: string };
    canaries.push(rotated.password);
    expect(rotated.username).toBe('shop_clone');
    expect(await pool()).toMatch(/^the database says \d{4}-/);
  }, 120_000);
});
