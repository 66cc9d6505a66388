import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import type { PolicyDocument } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMasterKey } from '../src/data-dir.js';
import { open, seal } from '../src/store/crypto.js';

/**
 * Credentials and resource policies decide who may read what. Values are encrypted, but these rules sit in
 * the database file too: editing them there, without the master key, must grant nothing.
 */
describe('access rules at rest', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-rules-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const READ_ALL: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }],
  };
  const NOTHING: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Action: 'secretsmanager:*', Resource: '*' }],
  };
  /** Edits the database file directly, as someone with access to the data dir but not the master key could. */
  const edit = (dir: string, sql: string, ...params: unknown[]) => {
    const db = new Database(join(dir, 'secrets.db'));
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
  };

  it('refuses a credential whose policy was changed in the file, and says why', async () => {
    const dir = dataDir();
    let server = await startTestServer({ dataDir: dir });
    const restricted = server.addCredential({ userName: 'restricted', policy: NOTHING });
    await clientFor(server).send(new CreateSecretCommand({ Name: 'rules/db', SecretString: 'v' }));
    const denied = await errorOf(() =>
      clientFor(server, { credentials: restricted }).send(
        new GetSecretValueCommand({ SecretId: 'rules/db' }),
      ),
    );
    expect(denied.name).toBe('AccessDeniedException');
    await server.close();

    edit(
      dir,
      'UPDATE credentials SET policy = ? WHERE user_name = ?',
      JSON.stringify(READ_ALL),
      'restricted',
    );
    const reports: string[] = [];
    server = await startTestServer({ dataDir: dir, onIntegrityFailure: (message) => reports.push(message) });
    try {
      const refused = await errorOf(() =>
        clientFor(server, { credentials: restricted }).send(
          new GetSecretValueCommand({ SecretId: 'rules/db' }),
        ),
      );
      expect(refused.name).toBe('UnrecognizedClientException');
      expect(reports).toEqual([
        expect.stringMatching(/^credential restricted \(\w+\) fails its integrity check/),
      ]);
      // The admin, untouched, still works.
      const read = await clientFor(server).send(new GetSecretValueCommand({ SecretId: 'rules/db' }));
      expect(read.SecretString).toBe('v');
    } finally {
      await server.close();
    }
  });

  it('refuses every caller but the admin on a secret whose resource policy was written or removed in the file', async () => {
    const dir = dataDir();
    let server = await startTestServer({ dataDir: dir });
    const reader = server.addCredential({ userName: 'reader', policy: NOTHING });
    const other = server.addCredential({ userName: 'other', policy: READ_ALL });
    const admin = clientFor(server);
    const created = await admin.send(new CreateSecretCommand({ Name: 'rules/api', SecretString: 'v' }));
    const denyOther = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: { AWS: `arn:aws:iam::${server.accountId}:user/other` },
          Action: '*',
          Resource: '*',
        },
      ],
    };
    await admin.send(
      new PutResourcePolicyCommand({ SecretId: 'rules/api', ResourcePolicy: JSON.stringify(denyOther) }),
    );
    const before = await errorOf(() =>
      clientFor(server, { credentials: other }).send(new GetSecretValueCommand({ SecretId: 'rules/api' })),
    );
    expect(before.name).toBe('AccessDeniedException');
    await server.close();

    // Grant `reader` through the policy, in the file: without the MAC's key the row fails its check.
    const grantReader = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${server.accountId}:user/reader` },
          Action: '*',
          Resource: '*',
        },
      ],
    };
    edit(dir, 'UPDATE secrets SET policy = ? WHERE arn = ?', JSON.stringify(grantReader), created.ARN);
    const reports: string[] = [];
    server = await startTestServer({ dataDir: dir, onIntegrityFailure: (message) => reports.push(message) });
    try {
      for (const credentials of [reader, other]) {
        const refused = await errorOf(() =>
          clientFor(server, { credentials }).send(new GetSecretValueCommand({ SecretId: 'rules/api' })),
        );
        expect(refused.name).toBe('AccessDeniedException');
        expect(refused.message).toMatch(/resource policy was changed outside the server/);
      }
      expect(reports).toEqual([expect.stringMatching(/resource policy of .* fails its integrity check/)]);
      // The admin can read and repair it; then the rules are the server's own again.
      expect(
        (await clientFor(server).send(new GetSecretValueCommand({ SecretId: 'rules/api' }))).SecretString,
      ).toBe('v');
      await clientFor(server).send(new DeleteResourcePolicyCommand({ SecretId: 'rules/api' }));
      const repaired = await clientFor(server, { credentials: other }).send(
        new GetSecretValueCommand({ SecretId: 'rules/api' }),
      );
      expect(repaired.SecretString).toBe('v');
    } finally {
      await server.close();
    }

    // Removing a deny policy in the file is a change too.
    server = await startTestServer({ dataDir: dir });
    await clientFor(server).send(
      new PutResourcePolicyCommand({ SecretId: 'rules/api', ResourcePolicy: JSON.stringify(denyOther) }),
    );
    await server.close();
    edit(dir, 'UPDATE secrets SET policy = NULL WHERE arn = ?', created.ARN);
    server = await startTestServer({ dataDir: dir, onIntegrityFailure: () => {} });
    try {
      const refused = await errorOf(() =>
        clientFor(server, { credentials: other }).send(new GetSecretValueCommand({ SecretId: 'rules/api' })),
      );
      expect(refused.name).toBe('AccessDeniedException');
    } finally {
      await server.close();
    }
  });

  it('protects a data dir written before access rules were authenticated, trusting its content once', async () => {
    const dir = dataDir();
    let server = await startTestServer({ dataDir: dir });
    const reader = server.addCredential({ userName: 'reader', policy: READ_ALL });
    await clientFor(server).send(new CreateSecretCommand({ Name: 'rules/old', SecretString: 'v' }));
    await server.close();
    // Back to the earlier format: no MACs, credential keys sealed with their access key id alone.
    const key = loadMasterKey(dir);
    const db = new Database(join(dir, 'secrets.db'));
    db.prepare("DELETE FROM meta WHERE key = 'access_rules'").run();
    db.prepare('UPDATE secrets SET policy_mac = NULL').run();
    for (const row of db.prepare('SELECT * FROM credentials').all() as {
      access_key_id: string;
      user_name: string;
      policy: string;
      owning_service: string | null;
      secret_access_key: Buffer;
    }[]) {
      const aad = `credential:${row.access_key_id}\u0000${row.user_name}\u0000${row.policy}\u0000${row.owning_service ?? ''}`;
      const plain = open(key, row.secret_access_key, aad);
      db.prepare('UPDATE credentials SET secret_access_key = ? WHERE access_key_id = ?').run(
        seal(key, plain, `credential:${row.access_key_id}`),
        row.access_key_id,
      );
    }
    db.close();

    const reports: string[] = [];
    server = await startTestServer({ dataDir: dir, onIntegrityFailure: (message) => reports.push(message) });
    try {
      const read = await clientFor(server, { credentials: reader }).send(
        new GetSecretValueCommand({ SecretId: 'rules/old' }),
      );
      expect(read.SecretString).toBe('v');
      expect(reports).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
