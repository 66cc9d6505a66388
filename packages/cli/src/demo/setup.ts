import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { CliError } from '../errors.js';
import { createAppUser, type DemoDatabase, type Engine } from './database.js';

export type Strategy = 'single-user' | 'alternating-users';

export const SECRETS = {
  database: 'demo/app-db',
  apiKey: 'demo/api-key',
} as const;

/** The master secret's name: `demo/postgres-master`, `demo/mariadb-master`. */
export const masterSecret = (engine: Engine): string => `demo/${engine}-master`;

export const APP_USER = 'app_demo';
export const ROTATION_LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:coffer-demo-rotate-db';

const password = () => randomBytes(24).toString('base64url');

/**
 * The rotation function, as it would be deployed to Lambda: a module exporting `handler`. It imports the
 * Coffer that this CLI runs (by absolute path), so it works from any temp dir.
 */
export function writeRotationFunction(dir: string, strategy: Strategy, engine: Engine): string {
  const file = join(dir, 'rotate-database.mjs');
  const rotation = import.meta.resolve('coffer/rotation');
  const rotators = import.meta.resolve(
    engine === 'postgres' ? 'coffer/rotation/postgres' : 'coffer/rotation/mysql',
  );
  const rotator = strategy === 'single-user' ? 'singleUser' : 'alternatingUsers';
  writeFileSync(
    file,
    `// Written by \`coffer demo\`: the database secret's rotation function (${strategy}, ${engine}).
import { createRotationHandler } from ${JSON.stringify(rotation)};
import { ${rotator} } from ${JSON.stringify(rotators)};

export const handler = createRotationHandler({ rotator: ${rotator}() });
`,
  );
  return file;
}

/**
 * The demo's secrets, in AWS's layout for database secrets: the superuser as the master, the app's own user
 * (created with a hash of its password, so the password never reaches the database in clear), and an API key for
 * the service.
 */
export async function createSecrets(sm: SecretsManagerClient, db: DemoDatabase): Promise<{ apiKey: string }> {
  const common = { engine: db.engine, host: db.host, port: db.port, dbname: db.database };
  const master = await sm.send(
    new CreateSecretCommand({
      Name: masterSecret(db.engine),
      Description: `coffer demo: the ${db.name} superuser (the rotation master)`,
      SecretString: JSON.stringify({ ...common, username: db.adminUser, password: db.adminPassword }),
    }),
  );
  const appPassword = password();
  await createAppUser(db, APP_USER, appPassword);
  await sm.send(
    new CreateSecretCommand({
      Name: SECRETS.database,
      Description: 'coffer demo: the app database user',
      SecretString: JSON.stringify({
        ...common,
        username: APP_USER,
        password: appPassword,
        masterarn: master.ARN,
      }),
    }),
  );
  const apiKey = `demo-${password()}`;
  await sm.send(
    new CreateSecretCommand({
      Name: SECRETS.apiKey,
      Description: 'coffer demo: the API key clients send',
      SecretString: JSON.stringify({ key: apiKey }),
    }),
  );
  return { apiKey };
}

/** Turns rotation on as one would on AWS: RotateSecret without rotating now (Secrets Manager runs testSecret). */
export async function enableRotation(sm: SecretsManagerClient, server: LocalSecretsManager): Promise<void> {
  await sm.send(
    new RotateSecretCommand({
      SecretId: SECRETS.database,
      ClientRequestToken: randomUUID(),
      RotationLambdaARN: ROTATION_LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately: false,
    }),
  );
  const outcome = await server.waitForRotation(SECRETS.database, { timeoutMs: 60_000 });
  if (outcome?.outcome !== 'success') {
    throw new CliError(`Enabling rotation failed: ${outcome?.error ?? 'no outcome'}`);
  }
}

/** One rotation, started through the SDK like any client would, and followed to its end. */
export async function rotateOnce(sm: SecretsManagerClient, server: LocalSecretsManager): Promise<void> {
  await sm.send(new RotateSecretCommand({ SecretId: SECRETS.database, ClientRequestToken: randomUUID() }));
  const outcome = await server.waitForRotation(SECRETS.database, { timeoutMs: 120_000 });
  if (outcome?.outcome !== 'success') {
    throw new Error(`rotation failed at ${outcome?.failedStep ?? '?'}: ${outcome?.error ?? 'no outcome'}`);
  }
}
