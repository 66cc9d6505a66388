import { randomBytes, randomUUID } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { type AuditEntry, type LocalSecretsManager, MASTER_KEY_ENV } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'coffer-storage-'));
let dirCount = 0;
const freshDir = (): string => join(root, `data-${++dirCount}`);

/** Every regular file under `dir`, recursively, as bytes. */
function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path, readFileSync(path));
  }
  return files;
}

/** The needles a leak could take: raw bytes, base64, hex, UTF-16 and the JSON-escaped form. */
function needles(value: Buffer): Buffer[] {
  return [
    value,
    Buffer.from(value.toString('base64')),
    Buffer.from(value.toString('base64url')),
    Buffer.from(value.toString('hex')),
    Buffer.from(value.toString('utf8'), 'utf16le'),
  ].filter((n) => n.length > 0);
}

function leaks(dir: string, secrets: Buffer[]): string[] {
  const found: string[] = [];
  for (const [path, bytes] of filesUnder(dir)) {
    for (const secret of secrets) {
      for (const needle of needles(secret)) {
        if (bytes.includes(needle)) found.push(`${path} contains ${needle.toString('utf8').slice(0, 20)}...`);
      }
    }
  }
  return found;
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('encrypted on-disk storage', () => {
  const servers: LocalSecretsManager[] = [];
  const start = async (options: Parameters<typeof startTestServer>[0]) => {
    const server = await startTestServer(options);
    servers.push(server);
    return server;
  };
  const savedEnv = process.env[MASTER_KEY_ENV];

  beforeAll(() => {
    delete process.env[MASTER_KEY_ENV];
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    if (savedEnv === undefined) delete process.env[MASTER_KEY_ENV];
    else process.env[MASTER_KEY_ENV] = savedEnv;
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps the data dir 0700 and every file in it 0600, even if the dir was created loose', async () => {
    const dataDir = freshDir();
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const server = await start({ dataDir });
    await clientFor(server).send(new CreateSecretCommand({ Name: 'perm', SecretString: 'x' }));
    expect(mode(dataDir)).toBe(0o700);
    const names = readdirSync(dataDir);
    expect(names).toEqual(expect.arrayContaining(['secrets.db', 'master.key', 'audit.log']));
    for (const name of names) expect(mode(join(dataDir, name)), name).toBe(0o600);
    await server.close();
    for (const name of readdirSync(dataDir)) expect(mode(join(dataDir, name)), name).toBe(0o600);
  });

  it('tightens an existing audit log that is readable by others', async () => {
    const dataDir = freshDir();
    const first = await start({ dataDir });
    await first.close();
    chmodSync(join(dataDir, 'audit.log'), 0o644);
    await start({ dataDir });
    expect(mode(join(dataDir, 'audit.log'))).toBe(0o600);
  });

  it('never writes a secret value in plaintext (or base64/hex) to any file, WAL, or the audit log', async () => {
    const dataDir = freshDir();
    const canary = `canary-${randomUUID()}`;
    const binaryCanary = Buffer.concat([Buffer.from(`bin-canary-${randomUUID()}-`), randomBytes(48)]);
    const updatedCanary = `canary-updated-${randomUUID()}`;
    const secrets = [Buffer.from(canary), binaryCanary, Buffer.from(updatedCanary)];

    const server = await start({ dataDir });
    const client = clientFor(server);
    await client.send(new CreateSecretCommand({ Name: 'canary/string', SecretString: canary }));
    await client.send(new CreateSecretCommand({ Name: 'canary/binary', SecretBinary: binaryCanary }));
    await client.send(new PutSecretValueCommand({ SecretId: 'canary/string', SecretString: updatedCanary }));
    // A JSON-shaped value must not leak through the JSON-encoded wire form either.
    await client.send(
      new CreateSecretCommand({ Name: 'canary/json', SecretString: JSON.stringify({ password: canary }) }),
    );
    for (const id of ['canary/string', 'canary/binary', 'canary/json']) {
      await client.send(new GetSecretValueCommand({ SecretId: id }));
    }
    // Failed calls carrying the value are audited too; the value must not be.
    await errorOf(() =>
      client.send(new CreateSecretCommand({ Name: 'canary/string', SecretString: canary })),
    );
    await errorOf(() =>
      client.send(new PutSecretValueCommand({ SecretId: 'missing/secret', SecretString: canary })),
    );

    // While running: WAL and shared-memory files hold the recent writes.
    const running = filesUnder(dataDir);
    expect([...running.keys()].some((p) => p.endsWith('secrets.db-wal'))).toBe(true);
    expect(leaks(dataDir, secrets)).toEqual([]);

    await server.close();
    expect(leaks(dataDir, secrets)).toEqual([]);

    const audit = readFileSync(join(dataDir, 'audit.log'), 'utf8');
    const entries = audit
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEntry);
    expect(entries.length).toBe(9);
    expect(entries.filter((e) => e.outcome === 'error').map((e) => e.errorCode)).toEqual([
      'ResourceExistsException',
      'ResourceNotFoundException',
    ]);
    expect(entries.every((e) => e.principal === `arn:aws:iam::${server.accountId}:user/coffer-admin`)).toBe(
      true,
    );
    expect(audit).not.toContain(canary);
    expect(audit).not.toContain(updatedCanary);

    // The values are still there, behind the encryption.
    const again = await start({ dataDir });
    const read = clientFor(again);
    expect((await read.send(new GetSecretValueCommand({ SecretId: 'canary/string' }))).SecretString).toBe(
      updatedCanary,
    );
    const binary = await read.send(new GetSecretValueCommand({ SecretId: 'canary/binary' }));
    expect(Buffer.from(binary.SecretBinary ?? new Uint8Array()).equals(binaryCanary)).toBe(true);
  });

  it('keeps the credentials secret key out of plaintext too', async () => {
    const dataDir = freshDir();
    const server = await start({ dataDir });
    const extra = server.addCredential({ userName: 'someone' });
    await server.close();
    expect(
      leaks(dataDir, [Buffer.from(server.credentials.secretAccessKey), Buffer.from(extra.secretAccessKey)]),
    ).toEqual([]);
  });

  it('keeps secrets, versions, stages, tags and policies across a restart', async () => {
    const dataDir = freshDir();
    const first = await start({ dataDir });
    expect(first.firstStart).toBe(true);
    const client = clientFor(first);
    const created = await client.send(
      new CreateSecretCommand({
        Name: 'persist/db',
        SecretString: 'v1',
        Tags: [{ Key: 'team', Value: 'core' }],
      }),
    );
    const v2 = await client.send(new PutSecretValueCommand({ SecretId: 'persist/db', SecretString: 'v2' }));
    await client.send(
      new CreateSecretCommand({ Name: 'persist/bin', SecretBinary: Buffer.from([0, 1, 2, 255]) }),
    );
    await client.send(
      new PutResourcePolicyCommand({
        SecretId: 'persist/db',
        ResourcePolicy: JSON.stringify({
          Statement: [
            {
              Effect: 'Deny',
              Principal: { AWS: `arn:aws:iam::${first.accountId}:user/reader` },
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
            },
          ],
        }),
      }),
    );
    const reader = first.addCredential({
      userName: 'reader',
      policy: { Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }] },
    });
    const admin = {
      accessKeyId: first.credentials.accessKeyId,
      secretAccessKey: first.credentials.secretAccessKey,
    };
    await first.close();

    const second = await start({ dataDir });
    expect(second.firstStart).toBe(false);
    expect(second.credentials.accessKeyId).toBe(admin.accessKeyId);
    expect(second.credentials.secretAccessKey).toBe(admin.secretAccessKey);
    const again = clientFor(second);
    const current = await again.send(new GetSecretValueCommand({ SecretId: 'persist/db' }));
    expect(current.SecretString).toBe('v2');
    expect(current.VersionId).toBe(v2.VersionId);
    expect(current.ARN).toBe(created.ARN);
    const previous = await again.send(
      new GetSecretValueCommand({ SecretId: 'persist/db', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.SecretString).toBe('v1');
    expect(previous.VersionId).toBe(created.VersionId);
    const versions = await again.send(new ListSecretVersionIdsCommand({ SecretId: 'persist/db' }));
    expect(versions.Versions?.length).toBe(2);
    const bin = await again.send(new GetSecretValueCommand({ SecretId: 'persist/bin' }));
    expect([...(bin.SecretBinary ?? [])]).toEqual([0, 1, 2, 255]);

    // The added credential and the resource policy survived too.
    const readerClient = clientFor(second, { credentials: reader });
    expect(
      (await readerClient.send(new GetSecretValueCommand({ SecretId: 'persist/bin' }))).SecretString,
    ).toBe(undefined);
    const denied = await errorOf(() =>
      readerClient.send(new GetSecretValueCommand({ SecretId: 'persist/db' })),
    );
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain('explicit deny in a resource-based policy');

    await second.close();
    const third = await start({ dataDir });
    expect(third.firstStart).toBe(false);
    expect(third.credentials.accessKeyId).toBe(admin.accessKeyId);
  });

  it('refuses to start with a wrong masterKey, with a clear error, and leaves the data usable', async () => {
    const dataDir = freshDir();
    const first = await start({ dataDir });
    await clientFor(first).send(new CreateSecretCommand({ Name: 'keyed', SecretString: 'kept' }));
    await first.close();
    const originalKey = readFileSync(join(dataDir, 'master.key'));

    const wrong = randomBytes(32);
    await expect(startTestServer({ dataDir, masterKey: wrong })).rejects.toThrow(
      /master key does not match this data directory/,
    );
    await expect(startTestServer({ dataDir, masterKey: wrong.toString('base64') })).rejects.toThrow(
      /master key does not match/,
    );
    await expect(startTestServer({ dataDir, masterKey: 'too-short' })).rejects.toThrow(
      /masterKey must be 32 bytes/,
    );
    expect(readFileSync(join(dataDir, 'master.key')).equals(originalKey)).toBe(true);

    // The refused starts did not hold the database or its port.
    const ok = await start({ dataDir });
    expect((await clientFor(ok).send(new GetSecretValueCommand({ SecretId: 'keyed' }))).SecretString).toBe(
      'kept',
    );
  });

  it('refuses to start with a wrong COFFER_MASTER_KEY, and accepts the right one', async () => {
    const dataDir = freshDir();
    const key = randomBytes(32).toString('base64');
    process.env[MASTER_KEY_ENV] = key;
    const first = await start({ dataDir });
    await clientFor(first).send(new CreateSecretCommand({ Name: 'env-keyed', SecretString: 'kept' }));
    await first.close();
    // The key came from the environment: nothing on disk can decrypt the data.
    expect(readdirSync(dataDir)).not.toContain('master.key');

    process.env[MASTER_KEY_ENV] = randomBytes(32).toString('base64');
    await expect(startTestServer({ dataDir })).rejects.toThrow(/master key does not match/);
    process.env[MASTER_KEY_ENV] = 'bm90IDMyIGJ5dGVz';
    await expect(startTestServer({ dataDir })).rejects.toThrow(
      new RegExp(`${MASTER_KEY_ENV} must be 32 bytes`),
    );

    // Without any key, the server must not invent a new master.key beside the existing database.
    delete process.env[MASTER_KEY_ENV];
    await expect(startTestServer({ dataDir })).rejects.toThrow(/holds a database but no master\.key/);
    expect(readdirSync(dataDir)).not.toContain('master.key');

    process.env[MASTER_KEY_ENV] = key;
    const ok = await start({ dataDir });
    expect(ok.firstStart).toBe(false);
    expect(
      (await clientFor(ok).send(new GetSecretValueCommand({ SecretId: 'env-keyed' }))).SecretString,
    ).toBe('kept');
  });

  it('refuses to start when master.key was lost', async () => {
    const dataDir = freshDir();
    const first = await start({ dataDir });
    await first.close();
    unlinkSync(join(dataDir, 'master.key'));
    await expect(startTestServer({ dataDir })).rejects.toThrow(/holds a database but no master\.key/);
  });

  it('reports a port in use clearly and releases the data dir for the next start', async () => {
    const dataDir = freshDir();
    const first = await start({ dataDir });
    await clientFor(first).send(new CreateSecretCommand({ Name: 'port', SecretString: 'kept' }));
    await first.close();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      await expect(startTestServer({ dataDir, port })).rejects.toThrow(/already in use/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    // The refused start released the data dir (its lock, the database, the audit log).
    const second = await start({ dataDir });
    expect((await clientFor(second).send(new GetSecretValueCommand({ SecretId: 'port' }))).SecretString).toBe(
      'kept',
    );
  });

  it('writes nothing at all in memory mode', async () => {
    const before = readdirSync(root).length;
    const server = await start({});
    expect(server.dataDir).toBeUndefined();
    await clientFor(server).send(new CreateSecretCommand({ Name: 'mem', SecretString: 'x' }));
    expect(readdirSync(root).length).toBe(before);
  });
});
