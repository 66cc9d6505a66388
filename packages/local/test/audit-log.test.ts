import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG_DEFAULTS, type AuditEntry, startLocalSecretsManager } from '../src/index.js';

const entriesIn = (file: string): AuditEntry[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEntry);

describe('the audit log file', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-audit-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('rotates by size, keeps maxFiles older files and loses no line in between', async () => {
    expect(AUDIT_LOG_DEFAULTS).toMatchObject({ maxBytes: 64 * 1024 * 1024, maxFiles: 4 });
    const dataDir = tempDir();
    const maxBytes = 2048;
    const server = await startTestServer({ dataDir, auditLog: { maxBytes, maxFiles: 2 } });
    const client = clientFor(server);
    await client.send(new CreateSecretCommand({ Name: 'audited/rotation', SecretString: 'v' }));
    // One call at a time, so each turn writes one line and the file sizes are predictable.
    for (let i = 0; i < 30; i++)
      await client.send(new GetSecretValueCommand({ SecretId: 'audited/rotation' }));
    const file = join(dataDir, 'audit.log');
    const kept = [file, `${file}.1`, `${file}.2`];
    expect(kept.every((path) => existsSync(path))).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    for (const path of kept) {
      expect(statSync(path).size).toBeLessThanOrEqual(maxBytes);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
    // Oldest first across the kept files: the newest calls, in order, with no gap.
    const lines = [`${file}.2`, `${file}.1`, file].flatMap(entriesIn);
    const recent = server.audit.recent().slice(-lines.length);
    expect(lines.map((entry) => entry.requestId)).toEqual(recent.map((entry) => entry.requestId));
    await server.close();
  });

  it('names the secret the caller asked for when the call was denied or found nothing', async () => {
    const server = await startTestServer();
    const admin = clientFor(server);
    await admin.send(new CreateSecretCommand({ Name: 'audited/private', SecretString: 'v' }));
    const outsider = clientFor(server, {
      credentials: server.addCredential({
        userName: 'outsider',
        policy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' }],
        },
      }),
    });
    await errorOf(() => outsider.send(new GetSecretValueCommand({ SecretId: 'audited/private' })));
    await errorOf(() => admin.send(new GetSecretValueCommand({ SecretId: 'audited/missing' })));
    const [denied, missing] = server.audit.recent().slice(-2);
    expect(denied).toMatchObject({ errorCode: 'AccessDeniedException', secretId: 'audited/private' });
    expect(missing).toMatchObject({ errorCode: 'ResourceNotFoundException', secretId: 'audited/missing' });
    expect(denied?.secretArn).toBeUndefined();
    // A call that found its secret names it by ARN only.
    await admin.send(new GetSecretValueCommand({ SecretId: 'audited/private' }));
    const found = server.audit.recent().at(-1);
    expect(found?.secretArn).toMatch(/:secret:audited\/private-/);
    expect(found?.secretId).toBeUndefined();
    await server.close();
  });

  it('refuses rotation settings that make no sense, before it opens anything', async () => {
    await expect(
      startLocalSecretsManager({ port: 0, inMemory: true, auditLog: { maxBytes: 10 } }),
    ).rejects.toThrow('maxBytes must be an integer of at least 1024, got 10.');
    await expect(
      startLocalSecretsManager({ port: 0, inMemory: true, auditLog: { maxFiles: 0 } }),
    ).rejects.toThrow('maxFiles must be an integer of at least 1, got 0.');
  });
});
