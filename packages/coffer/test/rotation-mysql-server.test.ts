import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { clientFor, createSecret, lambdaArn, startTestServer } from '@coffer/testing';
import { mariadbAvailable, startTestMariadb, type TestMariadb } from '@coffer/testing/mariadb';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEPS } from '../src/rotation/index.js';
import { mysqlNativePasswordHash } from '../src/rotation/mysql/index.js';

/**
 * The whole path a deployed rotation takes, locally: RotateSecret on the local Secrets Manager runs the same
 * rotation function module a Lambda would (coffer's handler with a MySQL rotator, from the built package) in a
 * child process, against a real MariaDB. The module can be told to crash (exit) right after a step, once: the
 * next RotateSecret reattempts the rotation, as Secrets Manager does.
 */
const dist = (path: string) => pathToFileURL(fileURLToPath(new URL(`../dist/${path}`, import.meta.url))).href;
const STRATEGIES = [
  { name: 'singleUser', arn: lambdaArn('mysql-single-user') },
  { name: 'alternatingUsers', arn: lambdaArn('mysql-alternating-users') },
] as const;

let db: TestMariadb;
let server: LocalSecretsManager;
let sm: SecretsManagerClient;
let admin: mysql.Connection;
let dir: string;
let masterArn: string;
const passwords = new Set<string>();
/** Every line the rotation functions printed (their JSON logs). */
const output: string[] = [];

type Credential = { username: string; password: string };

async function current(secretId: string): Promise<Credential> {
  const value = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
  const parsed = JSON.parse(value.SecretString ?? '{}') as Credential;
  passwords.add(parsed.password);
  return parsed;
}

let users = 0;
async function appUser(prefix: string, extra: Record<string, unknown> = {}): Promise<string> {
  const username = `${prefix}_${++users}`;
  const password = `initial-${Math.random().toString(36).slice(2)}-pw`;
  passwords.add(password);
  await admin.query(
    `CREATE USER \`${username}\`@'%' IDENTIFIED BY PASSWORD '${mysqlNativePasswordHash(password)}'`,
  );
  await admin.query(`GRANT SELECT, INSERT ON \`${db.database}\`.* TO \`${username}\`@'%'`);
  const { arn } = await createSecret(sm, {
    Name: `app/${username}`,
    SecretString: db.secretJson(username, password, extra),
  });
  return arn;
}

/** Makes the rotation function exit right after `step` of this secret's next rotation, once. */
function crashAfter(secretArn: string, step: string): void {
  const file = join(dir, 'crash.json');
  const plan = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  writeFileSync(file, JSON.stringify({ ...plan, [secretArn]: step }));
}

async function rotateNow(arn: string, lambda?: string) {
  await sm.send(
    new RotateSecretCommand({
      SecretId: arn,
      ...(lambda !== undefined && {
        RotationLambdaARN: lambda,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    }),
  );
  return server.waitForRotation(arn, { timeoutMs: 60_000 });
}

describe.skipIf(!mariadbAvailable('MySQL rotation through RotateSecret'))(
  'RotateSecret on the local server with the MySQL rotators',
  () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'coffer-rotation-mysql-server-'));
      writeFileSync(join(dir, 'crash.json'), '{}');
      for (const strategy of STRATEGIES) {
        writeFileSync(
          join(dir, `${strategy.name}.mjs`),
          `import { readFileSync, writeFileSync } from 'node:fs';
import { createRotationHandler } from ${JSON.stringify(dist('rotation/index.js'))};
import { ${strategy.name} } from ${JSON.stringify(dist('rotation/mysql/index.js'))};
const inner = createRotationHandler({ rotator: ${strategy.name}() });
const planFile = ${JSON.stringify(join(dir, 'crash.json'))};
export async function handler(event) {
  await inner(event);
  const plan = JSON.parse(readFileSync(planFile, 'utf8'));
  if (plan[event.SecretId] === event.Step) {
    delete plan[event.SecretId];
    writeFileSync(planFile, JSON.stringify(plan));
    process.exit(1);
  }
}
`,
        );
      }
      [db, server] = await Promise.all([
        startTestMariadb(),
        startTestServer({ onRotationOutput: (line) => output.push(line) }),
      ]);
      for (const strategy of STRATEGIES) {
        server.registerRotationFunction(strategy.arn, join(dir, `${strategy.name}.mjs`));
      }
      sm = clientFor(server);
      admin = await db.admin();
      passwords.add(db.adminPassword);
      masterArn = (await createSecret(sm, { Name: 'app/master', SecretString: db.secretJson() })).arn;
    });

    afterAll(async () => {
      await admin?.end();
      sm?.destroy();
      await server?.close();
      await db?.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it('single user: the new password works, the old one does not, and the labels are right', async () => {
      const arn = await appUser('svc_single');
      const before = await current(arn);
      expect(await rotateNow(arn, STRATEGIES[0].arn)).toMatchObject({ outcome: 'success' });
      const after = await current(arn);
      expect(after.username).toBe(before.username);
      expect(after.password).not.toBe(before.password);
      expect(await db.logsIn(after)).toBe(true);
      expect(await db.logsIn(before)).toBe(false);
      const described = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
      expect(described.RotationEnabled).toBe(true);
      expect(
        Object.values(described.VersionIdsToStages ?? {})
          .flat()
          .sort(),
      ).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
    });

    it('alternating users: each rotation switches user; the previous one works until the next rotation', async () => {
      const arn = await appUser('svc_alt', { masterarn: masterArn });
      const seen: Credential[] = [await current(arn)];
      for (let i = 0; i < 3; i++) {
        expect(await rotateNow(arn, STRATEGIES[1].arn)).toMatchObject({ outcome: 'success' });
        seen.push(await current(arn));
        expect(await db.logsIn(seen.at(-2) as Credential)).toBe(true);
        expect(await db.logsIn(seen.at(-1) as Credential)).toBe(true);
      }
      const user = seen[0]?.username;
      expect(seen.map((s) => s.username)).toEqual([user, `${user}_clone`, user, `${user}_clone`]);
    });

    for (const strategy of STRATEGIES) {
      it(`${strategy.name}: the function crashes after each step; the next RotateSecret completes the rotation`, async () => {
        const arn = await appUser(`crash_${strategy.name === 'singleUser' ? 's' : 'a'}`, {
          masterarn: masterArn,
        });
        // Rotation on, with one rotation done, so both alternating paths (create, change) are crossed.
        expect(await rotateNow(arn, strategy.arn)).toMatchObject({ outcome: 'success' });
        for (const step of STEPS) {
          const before = await current(arn);
          crashAfter(arn, step);
          const crashed = await rotateNow(arn);
          expect(crashed).toMatchObject({ outcome: 'error', failedStep: step });
          if (strategy.name === 'alternatingUsers') expect(await db.logsIn(await current(arn))).toBe(true);
          // Reattempted (the same pending version), or, after finishSecret, a new rotation: either way it ends.
          expect(await rotateNow(arn)).toMatchObject({ outcome: 'success' });
          const after = await current(arn);
          expect(after.password).not.toBe(before.password);
          expect(await db.logsIn(after)).toBe(true);
        }
      }, 120_000);
    }

    it('keeps every password out of the audit log, the functions’ output and the general query log', () => {
      const audit = JSON.stringify(server.audit.recent());
      const general = db.generalLog();
      expect(output.length).toBeGreaterThan(10);
      expect(general).toContain('SET PASSWORD');
      const logs = output.join('\n');
      expect(passwords.size).toBeGreaterThan(10);
      for (const password of passwords) {
        expect(audit).not.toContain(password);
        expect(logs).not.toContain(password);
        expect(logs).not.toContain(mysqlNativePasswordHash(password));
        expect(general).not.toContain(password);
      }
    });
  },
);
