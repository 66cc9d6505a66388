import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, startTestServer } from '@coffer/testing';
import { startTestPostgres, type TestPostgres } from '@coffer/testing/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scramSha256Verifier } from '../src/rotation/postgres/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);
const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:rotate-db';

/** The esbuild command of the README's deployment guide, exactly as written there. */
function documentedCommand(): string {
  const readme = readFileSync(join(root, 'packages', 'coffer', 'README.md'), 'utf8');
  const block = /<!-- rotation-bundle:[^>]*-->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('The README has no rotation-bundle command.');
  return block.replace(/\\\n\s*/g, '').trim();
}

/**
 * A folder as Lambda's Node.js runtime gives a function: the bundle, and the AWS SDK v3 beside it (the runtime
 * provides it); nothing else, so everything the handler needs must be inside the bundle.
 */
function lambdaFolder(bundle: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-lambda-'));
  mkdirSync(join(dir, 'node_modules'));
  for (const scope of ['@aws-sdk', '@smithy', '@aws']) {
    symlinkSync(join(root, 'node_modules', scope), join(dir, 'node_modules', scope));
  }
  for (const name of ['tslib', 'bowser', 'uuid'])
    symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name));
  copyFileSync(bundle, join(dir, 'handler.mjs'));
  return dir;
}

describe('the rotation Lambda, bundled as the README says', () => {
  let server: LocalSecretsManager;
  let sm: SecretsManagerClient;
  let db: TestPostgres;
  let folder: string;

  beforeAll(async () => {
    [server, db] = await Promise.all([startTestServer(), startTestPostgres()]);
    sm = clientFor(server);
    const command = documentedCommand();
    expect(command).toMatch(/^npx esbuild examples\/rotation-lambda\/handler\.ts --bundle /);
    await run('sh', ['-c', command], { cwd: root });
    folder = lambdaFolder(join(root, 'dist', 'rotation', 'handler.mjs'));
    server.registerRotationFunction(FUNCTION, join(folder, 'handler.mjs'));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.stop();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  it('rotates a PostgreSQL user through RotateSecret, loaded with only the AWS SDK beside it', async () => {
    const admin = await db.admin();
    const password = 'first-password-for-the-bundle';
    await admin.query(`CREATE ROLE bundled_app WITH LOGIN PASSWORD '${scramSha256Verifier(password)}'`);
    await admin.end();
    const secret = await sm.send(
      new CreateSecretCommand({ Name: 'bundle/db', SecretString: db.secretJson('bundled_app', password) }),
    );
    await sm.send(
      new RotateSecretCommand({
        SecretId: secret.ARN,
        RotationLambdaARN: FUNCTION,
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      }),
    );
    const outcome = await server.waitForRotation(secret.ARN as string, { timeoutMs: 60_000 });
    expect(outcome).toMatchObject({ outcome: 'success' });
    const rotated = JSON.parse(
      (await sm.send(new GetSecretValueCommand({ SecretId: secret.ARN }))).SecretString ?? '{}',
    ) as { username: string; password: string };
    expect(rotated.password).not.toBe(password);
    expect(await db.logsIn(rotated)).toBe(true);
    expect(await db.logsIn({ username: 'bundled_app', password })).toBe(false);
  });

  it('needs the banner: without it the bundle fails on load with the error the README names', async () => {
    const without = documentedCommand()
      .replace(/\s*"--banner:js=[^"]*"/, '')
      .replace('dist/rotation/handler.mjs', 'dist/rotation/no-banner.mjs');
    await run('sh', ['-c', without], { cwd: root });
    const dir = lambdaFolder(join(root, 'dist', 'rotation', 'no-banner.mjs'));
    try {
      const load = run(process.execPath, ['--input-type=module', '-e', "await import('./handler.mjs')"], {
        cwd: dir,
      });
      await expect(load).rejects.toThrow(/Dynamic require of "events" is not supported/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
