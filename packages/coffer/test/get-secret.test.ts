import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { canary, clientFor, startTestServer } from '@coffer/testing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  AccessDeniedError,
  CofferError,
  DecryptionError,
  getSecret,
  InvalidSecretFormatError,
  type Secret,
  SecretNotFoundError,
  SecretScheduledForDeletionError,
  SecretsManagerUnavailableError,
  type StandardSchemaV1,
  ThrottledError,
} from '../src/index.js';

/** A minimal Standard Schema, as zod/valibot expose one: `{ host: string, port: number }`. */
const dbSchema: StandardSchemaV1<unknown, { host: string; port: number }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate(value) {
      const v = value as Record<string, unknown>;
      const issues: StandardSchemaV1.Issue[] = [];
      if (typeof v.host !== 'string')
        issues.push({
          message: `expected string, received ${String(v.host)}`,
          path: ['host'],
          ...{ code: 'invalid_type', expected: 'string' },
        });
      if (typeof v.port !== 'number')
        issues.push({
          message: `expected number, received ${String(v.port)}`,
          path: [{ key: 'port' }],
          ...{ code: 'invalid_type', expected: 'number' },
        });
      return issues.length > 0 ? { issues } : { value: { host: v.host as string, port: v.port as number } };
    },
  },
};

function expectNoLeak(error: unknown, values: string[]): void {
  const texts = [
    String(error),
    (error as Error).message,
    inspect(error, { depth: 5 }),
    JSON.stringify(error),
  ];
  for (const value of values) for (const text of texts) expect(text).not.toContain(value);
}

describe('getSecret against the local server', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  it('reads a string secret with its metadata, masked', async () => {
    const value = canary();
    const created = await client.send(new CreateSecretCommand({ Name: 'get/string', SecretString: value }));
    const result = await getSecret('get/string', { client });
    expect(result.value.reveal()).toBe(value);
    expect(result).toMatchObject({
      name: 'get/string',
      arn: created.ARN,
      versionId: created.VersionId,
      versionStages: ['AWSCURRENT'],
    });
    expect(result.createdDate).toBeInstanceOf(Date);
    expect(Object.isFrozen(result)).toBe(true);
    expect(JSON.stringify(result)).not.toContain(value);
    expect(inspect(result)).not.toContain(value);
    expectTypeOf(result.value).toEqualTypeOf<Secret<string>>();
  });

  it('reads binary secrets as bytes and JSON secrets as objects, validated by a Standard Schema', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await client.send(new CreateSecretCommand({ Name: 'get/binary', SecretBinary: bytes }));
    expect([...(await getSecret('get/binary', { client, as: 'bytes' })).value.reveal()]).toEqual([...bytes]);
    await expect(getSecret('get/binary', { client })).rejects.toBeInstanceOf(InvalidSecretFormatError);

    await client.send(
      new CreateSecretCommand({ Name: 'get/json', SecretString: JSON.stringify({ host: 'db', port: 5432 }) }),
    );
    const json = await getSecret('get/json', { client, as: 'json' });
    expect(json.value.reveal()).toEqual({ host: 'db', port: 5432 });
    const typed = await getSecret('get/json', { client, schema: dbSchema });
    expectTypeOf(typed.value).toEqualTypeOf<Secret<{ host: string; port: number }>>();
    expect(typed.value.reveal().port).toBe(5432);
  });

  it('names the failing paths of a schema or JSON error, never the values', async () => {
    const host = canary();
    const port = canary();
    await client.send(
      new CreateSecretCommand({ Name: 'get/bad-json', SecretString: JSON.stringify({ host: 42, port }) }),
    );
    const error = await getSecret('get/bad-json', { client, schema: dbSchema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSecretFormatError);
    expect((error as InvalidSecretFormatError).paths).toEqual(['host', 'port']);
    // The validator's message quotes the value; only the path and the kind of problem are shown.
    expect((error as Error).message).toMatch(/port: invalid_type check failed \(expected number\)/);
    expect((error as Error).message).not.toMatch(/received/);
    expectNoLeak(error, [port]);

    await client.send(new CreateSecretCommand({ Name: 'get/not-json', SecretString: `{"host": ${host}` }));
    const notJson = await getSecret('get/not-json', { client, as: 'json' }).catch((e: unknown) => e);
    expect(notJson).toBeInstanceOf(InvalidSecretFormatError);
    expectNoLeak(notJson, [host]);
  });

  it('reads other versions by stage and by id', async () => {
    const first = await client.send(new CreateSecretCommand({ Name: 'get/versions', SecretString: 'one' }));
    await client.send(new PutSecretValueCommand({ SecretId: 'get/versions', SecretString: 'two' }));
    expect((await getSecret('get/versions', { client, versionStage: 'AWSPREVIOUS' })).value.reveal()).toBe(
      'one',
    );
    expect(
      (await getSecret('get/versions', { client, versionId: first.VersionId as string })).value.reveal(),
    ).toBe('one');
    expect((await getSecret('get/versions', { client })).value.reveal()).toBe('two');
  });

  it('maps real server errors to typed errors with a stable code, the secret id and the SDK error as cause', async () => {
    const missing = await getSecret('get/missing', { client }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SecretNotFoundError);
    expect(missing).toMatchObject({ code: 'SECRET_NOT_FOUND', secretId: 'get/missing' });
    expect((missing as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });

    const value = canary();
    const created = await client.send(new CreateSecretCommand({ Name: 'get/deleted', SecretString: value }));
    await client.send(new DeleteSecretCommand({ SecretId: 'get/deleted', RecoveryWindowInDays: 7 }));
    const deleted = await getSecret('get/deleted', { client }).catch((e: unknown) => e);
    expect(deleted).toBeInstanceOf(SecretScheduledForDeletionError);
    expect((deleted as Error).message).toMatch(/restore/i);

    await client.send(new CreateSecretCommand({ Name: 'get/private', SecretString: value }));
    const reader = server.addCredential({
      userName: 'get-reader',
      policy: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: `${created.ARN?.split(':secret:')[0]}:secret:app/*`,
          },
        ],
      },
    });
    const denied = await getSecret('get/private', {
      client: clientFor(server, { credentials: reader }),
    }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect(denied).toMatchObject({ code: 'ACCESS_DENIED', action: 'secretsmanager:GetSecretValue' });
    // As on AWS, the denial names the secret as it was asked for (never whether it exists).
    expect((denied as AccessDeniedError).resource).toBe('get/private');
    expect((denied as Error).message).toContain('allow secretsmanager:GetSecretValue on get/private');
    for (const error of [missing, deleted, denied]) {
      expect(error).toBeInstanceOf(CofferError);
      expectNoLeak(error, [value]);
    }
  });

  it('reports an unreachable endpoint as SecretsManagerUnavailableError and throttling as ThrottledError', async () => {
    const stopped = await startTestServer();
    const offline = clientFor(stopped);
    await stopped.close();
    const unavailable = await getSecret('get/anything', { client: offline }).catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(SecretsManagerUnavailableError);
    expect((unavailable as Error).message).toMatch(/unavailable/);

    // The local server never throttles, so this fault is injected in the SDK's middleware stack.
    const throttled = clientFor(server);
    throttled.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        });
      },
      { step: 'finalizeRequest', name: 'injectThrottling' },
    );
    await expect(getSecret('get/string', { client: throttled })).rejects.toBeInstanceOf(ThrottledError);
  });

  it('reports a value that does not decrypt as DecryptionError', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffer-decrypt-'));
    try {
      const local = await startTestServer({ dataDir });
      await clientFor(local).send(new CreateSecretCommand({ Name: 'get/tampered', SecretString: canary() }));
      await local.close();
      // Flip one byte of the stored ciphertext, as disk corruption or tampering would.
      const db = new Database(join(dataDir, 'secrets.db'));
      const row = db.prepare('SELECT rowid, value FROM versions').get() as { rowid: number; value: Buffer };
      row.value[row.value.length - 1] = (row.value[row.value.length - 1] ?? 0) ^ 0xff;
      db.prepare('UPDATE versions SET value = ? WHERE rowid = ?').run(row.value, row.rowid);
      db.close();
      const restarted = await startTestServer({ dataDir });
      const error = await getSecret('get/tampered', { client: clientFor(restarted) }).catch(
        (e: unknown) => e,
      );
      await restarted.close();
      expect(error).toBeInstanceOf(DecryptionError);
      expect(error).toMatchObject({ code: 'DECRYPTION_FAILED' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses bad arguments with clear TypeErrors before calling anything', async () => {
    await expect(getSecret('', { client })).rejects.toThrow(TypeError);
    await expect(getSecret(42 as unknown as string, { client })).rejects.toThrow(/secretId/);
    await expect(getSecret('x', { client, as: 'xml' as 'json' })).rejects.toThrow(/as must be/);
    await expect(getSecret('x', { client, versionId: 'short' })).rejects.toThrow(/versionId/);
    await expect(getSecret('x', { client, schema: {} as StandardSchemaV1 })).rejects.toThrow(
      /Standard Schema/,
    );
    await expect(
      getSecret('x', { client, as: 'bytes', schema: dbSchema as StandardSchemaV1 }),
    ).rejects.toThrow(/schema validates JSON/);
  });
});
