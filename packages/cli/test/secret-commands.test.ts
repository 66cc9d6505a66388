import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { awsEnvFor, clientFor, runNode, startTestServer } from '@coffer/testing';
import { parse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/**
 * Masks what changes from run to run with placeholders of the same width, so tables stay aligned in
 * snapshots: ARN suffixes, version ids, dates.
 */
const normalize = (text: string): string =>
  text
    .replace(/(:secret:[^\s"]+?)-[A-Za-z0-9]{6}(?=[\s"]|$)/gm, '$1-XXXXXX')
    .replace(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
      'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
    )
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/g, 'YYYY-MM-DD hh:mm:ssZ')
    .replace(/\d{4}-\d\d-\d\d/g, 'YYYY-MM-DD');

describe('coffer secret commands', () => {
  let server: LocalSecretsManager;
  let env: NodeJS.ProcessEnv;
  let admin: SecretsManagerClient;
  let dir: string;

  /** Runs the built CLI; stdin gets `input` (or nothing) and is closed, as in a pipe. */
  function coffer(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}) {
    return runNode(BIN, args, { env: { ...env, ...options.env }, input: options.input ?? '' });
  }

  /** Runs the CLI and returns its raw stdout bytes. */
  function cofferBytes(args: string[]): Promise<Buffer> {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    return new Promise((resolve) => child.on('close', () => resolve(Buffer.concat(chunks))));
  }

  /** Runs the CLI with --json and parses stdout, failing with stderr when it did not succeed. */
  async function cofferJson<T = Record<string, unknown>>(args: string[], input?: string): Promise<T> {
    const run = await coffer([...args, '--json'], input === undefined ? {} : { input });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as T;
  }

  beforeAll(async () => {
    server = await startTestServer();
    env = {
      ...process.env,
      ...awsEnvFor(server),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      NO_COLOR: '',
      FORCE_COLOR: '',
    };
    admin = clientFor(server);
    dir = mkdtempSync(join(tmpdir(), 'coffer-commands-'));
  });
  afterAll(async () => {
    admin.destroy();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('create, put, get', () => {
    it('creates a secret from stdin with description and tags, and prints its ARN', async () => {
      const run = await coffer(
        ['create', 'app/db', '--description', 'orders database', '--tag', 'team=orders', '--tag', 'env=prod'],
        { input: '{"user":"app","password":"first"}\n' },
      );
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(normalize(run.stdout)).toMatchInlineSnapshot(`
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-XXXXXX
        "
      `);
      const created = await cofferJson([
        'create',
        'app/empty',
        '--no-value',
        '--description',
        'no value yet',
      ]);
      expect(created).toEqual({ name: 'app/empty', arn: expect.stringMatching(/:secret:app\/empty-/) });
    });

    it('refuses to create a secret that exists, in one line that says what to do', async () => {
      const run = await coffer(['create', 'app/db', '-'], { input: 'x' });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'coffer: Secret "app/db" already exists: store a new version with `coffer put app/db`.\n',
      );
    });

    it('puts new versions from a file, stdin and the argument (with a warning), printing the version id', async () => {
      const file = join(dir, 'db.json');
      writeFileSync(file, '{"user":"app","password":"second"}');
      const fromFile = await coffer(['put', 'app/db', '--file', file]);
      expect(fromFile.code).toBe(0);
      expect(fromFile.stdout).toMatch(/^[0-9a-f-]{36}\n$/);

      const fromArgument = await coffer(['put', 'app/db', '{"user":"app","password":"third"}']);
      expect(fromArgument.code).toBe(0);
      expect(fromArgument.stderr).toMatchInlineSnapshot(`
        "coffer put: warning: a value on the command line may end up in your shell history and in process lists; prefer --file or stdin.
        "
      `);

      const put = await cofferJson<{ versionId: string; versionStages: string[] }>(
        ['put', 'app/db', '-'],
        '{"user":"app","password":"fourth"}\n',
      );
      expect(put).toEqual({
        name: 'app/db',
        arn: expect.stringMatching(/:secret:app\/db-/),
        versionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        versionStages: ['AWSCURRENT'],
      });
      const pending = await cofferJson(['put', 'app/db', '--version-stages', 'AWSPENDING,blue'], 'pending');
      expect(pending.versionStages).toEqual(['AWSPENDING', 'blue']);
    });

    it('gets the whole value, one key, another stage or version, and JSON with metadata', async () => {
      expect((await coffer(['get', 'app/db'])).stdout).toBe('{"user":"app","password":"fourth"}');
      expect((await coffer(['get', 'app/db', '--key', 'password'])).stdout).toBe('fourth');
      expect(
        (await coffer(['get', 'app/db', '--version-stage', 'AWSPREVIOUS', '-k', 'password'])).stdout,
      ).toBe('third');
      const got = await cofferJson<{ versionId: string }>(['get', 'app/db']);
      expect(got).toEqual({
        name: 'app/db',
        arn: expect.stringMatching(/:secret:app\/db-/),
        versionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        versionStages: ['AWSCURRENT'],
        createdDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        value: '{"user":"app","password":"fourth"}',
      });
      const byId = await coffer(['get', 'app/db', '--version-id', got.versionId, '--key', 'user']);
      expect(byId).toEqual({ code: 0, stdout: 'app', stderr: '' });
      expect((await cofferJson(['get', 'app/db', '--key', 'password'])).value).toBe('fourth');
    });

    it('stores and prints binary secrets byte for byte', async () => {
      const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0x80]);
      const file = join(dir, 'key.der');
      writeFileSync(file, bytes);
      expect((await coffer(['create', 'app/tls-key', '--binary', '--file', file])).code).toBe(0);
      expect((await cofferBytes(['get', 'app/tls-key'])).equals(bytes)).toBe(true);
      const got = await cofferJson(['get', 'app/tls-key']);
      expect(got).toMatchObject({ value: bytes.toString('base64'), encoding: 'base64' });
    });

    it('says in one line what is wrong with a missing secret, a missing key or a missing value', async () => {
      const missing = await coffer(['get', 'app/nope']);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('');
      expect(missing.stderr).toMatchInlineSnapshot(`
        "coffer: Secret "app/nope" was not found (Secrets Manager can't find the specified secret.). Check the name or ARN, the region and the account.
        "
      `);
      const key = await coffer(['get', 'app/db', '--key', 'port']);
      expect(key).toEqual({
        code: 1,
        stdout: '',
        stderr: 'coffer: Secret "app/db" has no key "port"; its keys are: user, password.\n',
      });
      const noValue = await coffer(['put', 'app/db']);
      expect(noValue.code).toBe(2);
      expect(noValue.stderr).toMatch(/^coffer: Give the value: .*\n$/);
      for (const id of ['app/nope']) {
        for (const args of [
          ['describe', id],
          ['history', id],
          ['delete', id],
          ['restore', id],
          ['put', id, '-'],
        ]) {
          const run = await coffer(args, { input: 'v' });
          expect(run.code, args.join(' ')).toBe(1);
          expect(run.stderr, args.join(' ')).toMatch(/^coffer: Secret "app\/nope" was not found .*\n$/);
        }
      }
    });
  });

  describe('describe, list, history', () => {
    it('describes a secret: metadata, tags, rotation and versions with their stages', async () => {
      const run = await coffer(['describe', 'app/db']);
      expect(run.code).toBe(0);
      expect(normalize(run.stdout)).toMatchInlineSnapshot(`
    "Name:           app/db
    ARN:            arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-XXXXXX
    Description:    orders database
    KMS key:        aws/secretsmanager (default)
    Created:        YYYY-MM-DD hh:mm:ssZ
    Last changed:   YYYY-MM-DD hh:mm:ssZ
    Last accessed:  YYYY-MM-DD
    Tags:           team=orders, env=prod
    Rotation:       off

    VERSION ID                            STAGES
    xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx  AWSCURRENT
    xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx  AWSPREVIOUS
    xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx  AWSPENDING blue
    "
  `);
      const described = await cofferJson<{ versions: { stages: string[] }[]; tags: object }>([
        'describe',
        'app/db',
      ]);
      expect(described).toMatchObject({
        name: 'app/db',
        description: 'orders database',
        tags: { team: 'orders', env: 'prod' },
        rotationEnabled: false,
      });
      expect(described.versions.map((v) => v.stages)).toEqual([
        ['AWSCURRENT'],
        ['AWSPREVIOUS'],
        ['AWSPENDING', 'blue'],
      ]);
    });

    it('lists secrets as a table, with filters', async () => {
      await admin.send(
        new CreateSecretCommand({
          Name: 'other/api',
          SecretString: 'k',
          Description: 'payments API key',
          Tags: [{ Key: 'team', Value: 'payments' }],
        }),
      );
      const run = await coffer(['list']);
      expect(run.code).toBe(0);
      expect(normalize(run.stdout)).toMatchInlineSnapshot(`
            "NAME         LAST CHANGED          DESCRIPTION       TAGS
            app/db       YYYY-MM-DD hh:mm:ssZ  orders database   team=orders, env=prod
            app/empty    YYYY-MM-DD hh:mm:ssZ  no value yet
            app/tls-key  YYYY-MM-DD hh:mm:ssZ
            other/api    YYYY-MM-DD hh:mm:ssZ  payments API key  team=payments
            "
          `);
      const names = async (...args: string[]) =>
        (await cofferJson<{ name: string }[]>(['list', ...args])).map((s) => s.name);
      expect(await names('--name', 'app/')).toEqual(['app/db', 'app/empty', 'app/tls-key']);
      expect(await names('--tag', 'team')).toEqual(['app/db', 'other/api']);
      expect(await names('--tag', 'team=payments')).toEqual(['other/api']);
      expect(await names('--tag', 'team=pay')).toEqual([]);
      expect(await names('--tag', 'team=orders', '--tag', 'env=prod')).toEqual(['app/db']);
      expect(await names('--description', 'orders')).toEqual(['app/db']);
      expect(await names('--all', 'payments')).toEqual(['other/api']);
      // Any word matches: "key" is a word of app/tls-key's name.
      expect(await names('--all', 'payments key')).toEqual(['app/tls-key', 'other/api']);
      const json = await cofferJson<Record<string, unknown>[]>(['list', '--name', 'other/']);
      expect(json).toEqual([
        {
          name: 'other/api',
          arn: expect.stringMatching(/:secret:other\/api-/),
          description: 'payments API key',
          createdDate: expect.any(String),
          lastChangedDate: expect.any(String),
          rotationEnabled: false,
          tags: { team: 'payments' },
        },
      ]);
      const none = await coffer(['list', '--name', 'zzz/']);
      expect(none).toEqual({ code: 0, stdout: '', stderr: 'No secrets match.\n' });
    });

    it('shows the history of versions, newest first, deprecated ones included', async () => {
      const run = await coffer(['history', 'app/db']);
      expect(run.code).toBe(0);
      expect(normalize(run.stdout)).toMatchInlineSnapshot(`
        "VERSION ID                            CREATED               STAGES           LAST ACCESSED
        xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx  YYYY-MM-DD hh:mm:ssZ  AWSPENDING blue  -
        xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx  YYYY-MM-DD hh:mm:ssZ  AWSCURRENT       YYYY-MM-DD
        xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx  YYYY-MM-DD hh:mm:ssZ  AWSPREVIOUS      YYYY-MM-DD
        xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx  YYYY-MM-DD hh:mm:ssZ  (deprecated)     -
        xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx  YYYY-MM-DD hh:mm:ssZ  (deprecated)     -
        "
      `);
      const history = await cofferJson<{ versions: { stages: string[]; createdDate: string }[] }>([
        'history',
        'app/db',
      ]);
      expect(history.versions.map((v) => v.stages)).toEqual([
        ['AWSPENDING', 'blue'],
        ['AWSCURRENT'],
        ['AWSPREVIOUS'],
        [],
        [],
      ]);
      const dates = history.versions.map((v) => Date.parse(v.createdDate));
      expect(dates).toEqual([...dates].sort((a, b) => b - a));
    });
  });

  describe('delete and restore', () => {
    it('schedules a deletion, restores, and force-deletes', async () => {
      await admin.send(new CreateSecretCommand({ Name: 'tmp/old', SecretString: 'x' }));
      const run = await coffer(['delete', 'tmp/old', '--recovery-window', '7']);
      expect(run.code).toBe(0);
      expect(normalize(run.stdout)).toMatchInlineSnapshot(`
        "Scheduled tmp/old for deletion on YYYY-MM-DD hh:mm:ssZ; undo with \`coffer restore tmp/old\` before then.
        "
      `);
      const deleted = await cofferJson<{ name: string }[]>(['list', '--name', 'tmp/', '--include-deleted']);
      expect(deleted.map((s) => s.name)).toEqual(['tmp/old']);
      expect(await cofferJson(['list', '--name', 'tmp/'])).toEqual([]);
      const gone = await coffer(['get', 'tmp/old']);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toMatch(/^coffer: Secret "tmp\/old" is scheduled for deletion: restore it .*\n$/);

      expect(await coffer(['restore', 'tmp/old'])).toEqual({
        code: 0,
        stdout: 'Restored tmp/old.\n',
        stderr: '',
      });
      expect((await coffer(['get', 'tmp/old'])).stdout).toBe('x');

      const scheduled = await cofferJson<{ deletionDate: string }>(['delete', 'tmp/old']);
      expect(scheduled).toMatchObject({ name: 'tmp/old', recoverable: true });
      const days = (Date.parse(scheduled.deletionDate) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29);
      expect(await cofferJson(['restore', 'tmp/old'])).toEqual({
        name: 'tmp/old',
        arn: expect.stringMatching(/:secret:tmp\/old-/),
      });

      const forced = await coffer(['delete', 'tmp/old', '--force']);
      expect(forced.code).toBe(0);
      expect(normalize(forced.stdout)).toMatchInlineSnapshot(`
        "Deleted tmp/old for good (YYYY-MM-DD hh:mm:ssZ); it cannot be restored.
        "
      `);
      expect((await coffer(['get', 'tmp/old'])).code).toBe(1);
    });
  });

  describe('errors', () => {
    it('prints AccessDenied as one line naming the action and the secret as given', async () => {
      const reader = server.addCredential({
        userName: 'list-only',
        policy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['secretsmanager:ListSecrets'], Resource: '*' }],
        },
      });
      const as = { AWS_ACCESS_KEY_ID: reader.accessKeyId, AWS_SECRET_ACCESS_KEY: reader.secretAccessKey };
      for (const [args, action] of [
        [['get', 'app/db'], 'GetSecretValue'],
        [['describe', 'app/db'], 'DescribeSecret'],
        [['put', 'app/db', '-'], 'PutSecretValue'],
        [['history', 'app/db'], 'ListSecretVersionIds'],
        [['delete', 'app/db'], 'DeleteSecret'],
      ] as const) {
        const run = await coffer([...args], { env: as, input: 'v' });
        expect(run.code, args.join(' ')).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr.split('\n')).toHaveLength(2);
        // As on AWS, the denial names the secret as the caller gave it, never whether it exists.
        expect(run.stderr).toContain(`coffer: Access denied: allow secretsmanager:${action} on app/db`);
      }
      expect((await coffer(['list'], { env: as })).code).toBe(0);
    });

    it('exits 2 on usage errors', async () => {
      for (const args of [
        ['get'],
        ['get', 'app/db', '--nope'],
        ['get', 'app/db', '--version-id', 'a', '--version-stage', 'AWSCURRENT'],
        ['put'],
        ['put', 'app/db', 'value', '--binary'],
        ['create', 'x', '--tag', 'novalue'],
        ['delete', 'app/db', '--recovery-window', '3'],
        ['delete', 'app/db', '--recovery-window', '7', '--force'],
        ['list', '--name', 'bad*char'],
        ['import', 'some.env'],
        ['export'],
        ['export', 'app/db', '--format', 'yaml'],
      ]) {
        const run = await coffer(args);
        expect(run.code, args.join(' ')).toBe(2);
        expect(run.stdout, args.join(' ')).toBe('');
      }
      expect((await coffer(['import', 'x.env'])).stderr).toMatchInlineSnapshot(`
        "coffer: Say where the keys go: --as-one <secret-name> for one JSON secret, or --each --prefix <p> for one secret per key.
        "
      `);
    });

    it('colours only when asked: FORCE_COLOR on, --no-color and NO_COLOR off, never in a pipe by default', async () => {
      const esc = '\x1b[';
      expect((await coffer(['history', 'app/db'])).stdout).not.toContain(esc);
      expect((await coffer(['history', 'app/db'], { env: { FORCE_COLOR: '1' } })).stdout).toContain(esc);
      expect(
        (await coffer(['history', 'app/db', '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout,
      ).not.toContain(esc);
      expect((await coffer(['list'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout).not.toContain(
        esc,
      );
    });
  });

  describe('import and export', () => {
    /** 200 variables whose values hold spaces, quotes, #, =, newlines and unicode, as a .env file. */
    function tricky(): string {
      const kinds = [
        (i: number) => `plain${i}`,
        (i: number) => `with spaces ${i}  inside`,
        (i: number) => `has # a hash ${i}`,
        (i: number) => `a=b==c${i}`,
        (i: number) => `line one\nline two ${i}\n\nlast`,
        (i: number) => `say "hi" ${i}`,
        (i: number) => `it's ${i}`,
        (i: number) => `ünïcødé ✓ 😀 日本 ${i}`,
        (i: number) => `both 'single' and "double" ${i} # and = too`,
        (i: number) => `  padded ${i}  `,
      ];
      const lines = ['# generated for the round trip', ''];
      for (let i = 0; i < 200; i++) {
        const value = (kinds[i % kinds.length] as (i: number) => string)(i);
        const quoted =
          value.includes('\n') && !value.includes('"')
            ? `"${value.replace(/\n/g, '\\n')}"`
            : !value.includes("'")
              ? `'${value}'`
              : !value.includes('"')
                ? `"${value}"`
                : `\`${value}\``;
        lines.push(`KEY_${String(i).padStart(3, '0')}=${quoted}`);
      }
      lines.push('export EXPORTED=yes # with a comment');
      return `${lines.join('\n')}\n`;
    }

    it('round-trips a 200-key .env through one JSON secret and through one secret per key', async () => {
      const file = join(dir, 'big.env');
      writeFileSync(file, tricky());
      const original = parse(readFileSync(file));
      expect(Object.keys(original)).toHaveLength(201);
      expect(original.KEY_004).toBe('line one\nline two 4\n\nlast');
      expect(original.KEY_008).toBe(`both 'single' and "double" 8 # and = too`);

      const one = await cofferJson<{ mode: string; keys: number; secrets: { action: string }[] }>([
        'import',
        file,
        '--as-one',
        'rt/one',
      ]);
      expect(one).toMatchObject({
        mode: 'as-one',
        keys: 201,
        secrets: [{ name: 'rt/one', action: 'created' }],
      });
      const again = await coffer(['import', file, '--as-one', 'rt/one']);
      expect(again.code).toBe(0);
      expect(normalize(again.stdout)).toMatchInlineSnapshot(`
        "Updated rt/one with 201 keys (version xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).
        "
      `);
      const exportedOne = await coffer(['export', 'rt/one']);
      expect(exportedOne.code).toBe(0);
      expect(parse(exportedOne.stdout)).toEqual(original);

      const each = await coffer(['import', file, '--each', '--prefix', 'rt/each/']);
      expect(each.code).toBe(0);
      expect(each.stderr).toBe(''); // no progress bar when stderr is not a terminal
      expect(each.stdout).toMatchInlineSnapshot(`
        "Stored 201 keys as secrets named rt/each/<KEY>: 201 created, 0 updated.
        "
      `);
      // More than one page of ListSecrets (100 a page).
      expect(await cofferJson<unknown[]>(['list', '--name', 'rt/each/'])).toHaveLength(201);
      expect((await coffer(['get', 'rt/each/KEY_004'])).stdout).toBe(original.KEY_004);
      const exportedEach = await coffer(['export', '--prefix', 'rt/each/']);
      expect(exportedEach.code).toBe(0);
      expect(parse(exportedEach.stdout)).toEqual(original);

      const json = await coffer(['export', '--prefix', 'rt/each/', '--format', 'json']);
      expect(JSON.parse(json.stdout)).toEqual(original);
    }, 60_000);

    it('keeps empty values in one JSON secret, and refuses them before writing anything with --each', async () => {
      const file = join(dir, 'empty.env');
      writeFileSync(file, 'EMPTY=\nSET=1\n');
      expect((await coffer(['import', file, '--as-one', 'empty/one'])).code).toBe(0);
      expect(parse((await coffer(['export', 'empty/one'])).stdout)).toEqual({ EMPTY: '', SET: '1' });
      const each = await coffer(['import', file, '--each', '--prefix', 'empty/']);
      expect(each.code).toBe(1);
      expect(each.stderr).toMatchInlineSnapshot(`
        "coffer: EMPTY has an empty value, which Secrets Manager cannot store as a secret: give it a value, leave it out, or use --as-one.
        "
      `);
      expect(await cofferJson(['list', '--name', 'empty/SET'])).toEqual([]);
    });

    it('refuses a file that is not valid JSON without showing any of it', async () => {
      const file = join(dir, 'broken.json');
      const value = `canary-${randomUUID()}`;
      writeFileSync(file, `{"token": "${value}", oops}`);
      const run = await coffer(['import', file, '--as-one', 'json/broken']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/is not valid JSON \(parsing failed at line 1, column \d+\): fix it/);
      expect(run.stderr + run.stdout).not.toContain(value.slice(7, 15));
      expect(run.stderr).not.toContain('oops');
    });

    it('imports a JSON file, whole as one secret (types kept) or one secret per member', async () => {
      const file = join(dir, 'settings.json');
      writeFileSync(file, JSON.stringify({ port: 5432, flags: { beta: true }, name: 'svc' }));
      expect((await coffer(['import', file, '--as-one', 'json/one'])).code).toBe(0);
      expect(JSON.parse((await coffer(['get', 'json/one'])).stdout)).toEqual({
        port: 5432,
        flags: { beta: true },
        name: 'svc',
      });
      const each = await cofferJson<{ secrets: { name: string }[] }>([
        'import',
        file,
        '--each',
        '--prefix',
        'json/',
      ]);
      expect(each.secrets.map((s) => s.name)).toEqual(['json/port', 'json/flags', 'json/name']);
      expect((await coffer(['get', 'json/flags'])).stdout).toBe('{"beta":true}');
      expect(JSON.parse((await coffer(['export', 'json/one', '--format', 'json'])).stdout)).toEqual({
        port: 5432,
        flags: { beta: true },
        name: 'svc',
      });
    });

    it('writes -o files with mode 0600, also over a wider existing file, and warns that they hold secrets', async () => {
      const out = join(dir, 'out.env');
      writeFileSync(out, 'old');
      chmodSync(out, 0o644);
      const run = await coffer(['export', 'app/db', '-o', out]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr.replace(out, '<file>')).toMatchInlineSnapshot(`
        "coffer export: wrote 2 values to <file> (mode 0600). It holds secrets in clear text: keep it out of version control and delete it when done.
        "
      `);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      expect(readFileSync(out, 'utf8')).toBe("user='app'\npassword='fourth'\n");
      const plain = await coffer(['export', 'other/api', 'app/db']);
      expect(plain.stdout).toBe("api='k'\nuser='app'\npassword='fourth'\n");
      const binary = await coffer(['export', 'app/tls-key']);
      expect(binary.code).toBe(1);
      expect(binary.stderr).toMatch(/^coffer: Secret "app\/tls-key" is binary/);
    });
  });
});
