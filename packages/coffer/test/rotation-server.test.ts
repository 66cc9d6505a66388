import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, createSecret, startTestServer } from '@coffer/testing';
import { startTestPostgres, type TestPostgres } from '@coffer/testing/postgres';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scramSha256Verifier } from '../src/rotation/postgres/index.js';

/**
 * The whole path a deployed rotation takes, locally: RotateSecret on the local Secrets Manager runs the same
 * rotation function module a Lambda would (coffer's handler with a PostgreSQL rotator) in a child process,
 * against a real PostgreSQL.
 */
const dist = (path: string) => pathToFileURL(fileURLToPath(new URL(`../dist/${path}`, import.meta.url))).href;
const SINGLE = 'arn:aws:lambda:us-east-1:123456789012:function:pg-single-user';
const ALTERNATING = 'arn:aws:lambda:us-east-1:123456789012:function:pg-alternating-users';

let db: TestPostgres;
let server: LocalSecretsManager;
let sm: SecretsManagerClient;
let admin: pg.Client;
let dir: string;
const passwords = new Set<string>();

async function current(secretId: string): Promise<{ username: string; password: string }> {
  const value = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
  const parsed = JSON.parse(value.SecretString ?? '{}') as { username: string; password: string };
  passwords.add(parsed.password);
  return parsed;
}

async function appUser(username: string, extra: Record<string, unknown> = {}): Promise<string> {
  const password = `initial-${Math.random().toString(36).slice(2)}-pw`;
  passwords.add(password);
  await admin.query(
    `CREATE ROLE ${admin.escapeIdentifier(username)} WITH LOGIN PASSWORD ${admin.escapeLiteral(scramSha256Verifier(password))}`,
  );
  const { arn } = await createSecret(sm, {
    Name: `app/${username}`,
    SecretString: db.secretJson(username, password, extra),
  });
  return arn;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-rotation-server-'));
  for (const [file, rotator] of [
    ['single.mjs', 'singleUser()'],
    ['alternating.mjs', 'alternatingUsers()'],
  ] as const) {
    writeFileSync(
      join(dir, file),
      `import { createRotationHandler } from ${JSON.stringify(dist('rotation/index.js'))};
import { alternatingUsers, singleUser } from ${JSON.stringify(dist('rotation/postgres/index.js'))};
export const handler = createRotationHandler({ rotator: ${rotator} });
`,
    );
  }
  [db, server] = await Promise.all([startTestPostgres(), startTestServer()]);
  server.registerRotationFunction(SINGLE, join(dir, 'single.mjs'));
  server.registerRotationFunction(ALTERNATING, join(dir, 'alternating.mjs'));
  sm = clientFor(server);
  admin = await db.admin();
  passwords.add(db.adminPassword);
});

afterAll(async () => {
  await admin?.end();
  await server?.close();
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('RotateSecret on the local server with the PostgreSQL rotators', () => {
  it('single user: the new password works, the old one does not, and the labels and dates are right', async () => {
    const arn = await appUser('svc_single');
    const before = await current(arn);
    const rotated = await sm.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: SINGLE,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    expect(await server.waitForRotation(arn, { timeoutMs: 30_000 })).toMatchObject({ outcome: 'success' });
    const after = await current(arn);
    expect(after.username).toBe('svc_single');
    expect(after.password).not.toBe(before.password);
    expect(await db.logsIn(after)).toBe(true);
    expect(await db.logsIn(before)).toBe(false);
    const described = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(described.RotationEnabled).toBe(true);
    expect(described.LastRotatedDate).toBeInstanceOf(Date);
    expect(described.NextRotationDate).toBeInstanceOf(Date);
    expect(described.VersionIdsToStages?.[rotated.VersionId as string]).toEqual(['AWSCURRENT']);
    expect(
      Object.values(described.VersionIdsToStages ?? {})
        .flat()
        .sort(),
    ).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  });

  it('alternating users: each rotation switches user, and the previous user keeps working until the next one', async () => {
    const masterArn = (
      await createSecret(sm, {
        Name: 'app/master',
        SecretString: db.secretJson(),
      })
    ).arn;
    const arn = await appUser('svc_alt', { masterarn: masterArn });
    const seen: { username: string; password: string }[] = [await current(arn)];
    for (let i = 0; i < 2; i++) {
      await sm.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: ALTERNATING }));
      expect(await server.waitForRotation(arn, { timeoutMs: 30_000 })).toMatchObject({ outcome: 'success' });
      seen.push(await current(arn));
      // The previous credential still logs in: clients holding it keep working until the next rotation.
      expect(await db.logsIn(seen.at(-2) as { username: string; password: string })).toBe(true);
      expect(await db.logsIn(seen.at(-1) as { username: string; password: string })).toBe(true);
    }
    expect(seen.map((s) => s.username)).toEqual(['svc_alt', 'svc_alt_clone', 'svc_alt']);
  });

  it('keeps every password out of the audit log and PostgreSQL’s statement log', () => {
    const audit = JSON.stringify(server.audit.recent());
    const logs = db.logs();
    expect(passwords.size).toBeGreaterThan(4);
    for (const password of passwords) {
      expect(audit).not.toContain(password);
      expect(logs).not.toContain(password);
    }
  });
});
