import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { MASTER_KEY_ENV } from '@coffer/local';
import { clientFor, startTestServer } from '@coffer/testing';
import { afterAll, describe, expect, it } from 'vitest';

const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const SECRETS = 6;
/** Below AWS's 100-version quota per secret, counting the first version. */
const MAX_PUTS_PER_SECRET = 90;
/** Kill once this many writes were acknowledged, while the others are still in flight. */
const KILL_AFTER_ACKS = 200;

const CHILD = `
import { startLocalSecretsManager } from ${JSON.stringify(pathToFileURL(BUILT).href)};
const server = await startLocalSecretsManager({ port: 0, dataDir: process.argv[2] });
process.stdout.write(JSON.stringify({
  endpoint: server.endpoint,
  region: server.region,
  accessKeyId: server.credentials.accessKeyId,
  secretAccessKey: server.credentials.secretAccessKey,
}) + '\\n');
setInterval(() => {}, 1 << 30);
`;

interface ChildInfo {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

function startChild(script: string, dataDir: string): Promise<{ child: ChildProcess; info: ChildInfo }> {
  const env = { ...process.env };
  delete env[MASTER_KEY_ENV];
  const child = spawn(process.execPath, [script, dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve({ child, info: JSON.parse(out.slice(0, newline)) as ChildInfo });
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before starting: ${err}`)));
  });
}

describe('crash durability', () => {
  const root = mkdtempSync(join(tmpdir(), 'coffer-durability-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps every acknowledged PutSecretValue after SIGKILL mid-stream', async () => {
    expect(existsSync(BUILT), `${BUILT} is missing: run npm run build first`).toBe(true);
    const dataDir = join(root, 'data');
    const script = join(root, 'child.mjs');
    writeFileSync(script, CHILD);
    const started = await startChild(script, dataDir);
    child = started.child;
    const exited = new Promise<void>((resolve) => started.child.once('exit', () => resolve()));
    const { info } = started;
    const remote = clientFor({
      endpoint: info.endpoint,
      region: info.region,
      credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    });

    const names = Array.from({ length: SECRETS }, (_, i) => `durable/secret-${i}`);
    /** Acknowledged writes: the server answered 200, so the version must survive. */
    const acked = new Map<string, Array<{ versionId: string; value: string }>>();
    /** Every attempted value, acknowledged or not, in order. */
    const attempted = new Map<string, string[]>();
    for (const name of names) {
      const value = `initial-${randomUUID()}`;
      const created = await remote.send(new CreateSecretCommand({ Name: name, SecretString: value }));
      acked.set(name, [{ versionId: created.VersionId ?? '', value }]);
      attempted.set(name, [value]);
    }

    let ackCount = 0;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      started.child.kill('SIGKILL');
    };
    const writer = async (name: string) => {
      for (let i = 0; i < MAX_PUTS_PER_SECRET && !killed; i++) {
        const value = `${name}-v${i}-${randomUUID()}`;
        attempted.get(name)?.push(value);
        try {
          const put = await remote.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
          acked.get(name)?.push({ versionId: put.VersionId ?? '', value });
          if (++ackCount >= KILL_AFTER_ACKS) kill();
        } catch (error) {
          // Only the kill may interrupt the stream; any other failure is a real error.
          if (!killed) throw error;
          return;
        }
      }
    };
    await Promise.all(names.map(writer));
    kill();
    await exited;
    expect(started.child.signalCode).toBe('SIGKILL');
    expect(ackCount).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);

    // Same directory, in-process this time: SQLite recovers from its WAL.
    const server = await startTestServer({ dataDir });
    try {
      expect(server.firstStart).toBe(false);
      expect(server.credentials.accessKeyId).toBe(info.accessKeyId);
      const local = clientFor(server);
      for (const name of names) {
        const versions = acked.get(name) ?? [];
        for (const { versionId, value } of versions) {
          const got = await local.send(new GetSecretValueCommand({ SecretId: name, VersionId: versionId }));
          expect(got.SecretString, `${name} ${versionId}`).toBe(value);
        }
        // AWSCURRENT is the last acknowledged value, or one attempted after it (written, not yet answered).
        const current = await local.send(new GetSecretValueCommand({ SecretId: name }));
        const tried = attempted.get(name) ?? [];
        const lastAcked = versions.at(-1)?.value ?? '';
        expect(tried.slice(tried.indexOf(lastAcked))).toContain(current.SecretString);
        const listed = await local.send(
          new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }),
        );
        const ids = new Set(listed.Versions?.map((v) => v.VersionId));
        for (const { versionId } of versions) expect(ids.has(versionId)).toBe(true);
      }
    } finally {
      await server.close();
    }
  });

  it('has the audit line of every acknowledged call on disk after SIGKILL mid-stream', async () => {
    const dataDir = join(root, 'audited');
    const script = join(root, 'child-audit.mjs');
    writeFileSync(script, CHILD);
    const started = await startChild(script, dataDir);
    child = started.child;
    const exited = new Promise<void>((resolve) => started.child.once('exit', () => resolve()));
    const remote = clientFor({
      endpoint: started.info.endpoint,
      region: started.info.region,
      credentials: { accessKeyId: started.info.accessKeyId, secretAccessKey: started.info.secretAccessKey },
    });
    await remote.send(new CreateSecretCommand({ Name: 'durable/audited', SecretString: 'v' }));
    /** Request ids of the calls the server answered: each must have its line in the audit log. */
    const acknowledged: string[] = [];
    let killed = false;
    const reader = async () => {
      while (!killed) {
        try {
          const read = await remote.send(new GetSecretValueCommand({ SecretId: 'durable/audited' }));
          acknowledged.push(read.$metadata.requestId ?? '');
          if (acknowledged.length >= 2_000 && !killed) {
            killed = true;
            started.child.kill('SIGKILL');
          }
        } catch (error) {
          if (!killed) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, reader));
    await exited;
    expect(started.child.signalCode).toBe('SIGKILL');
    const logged = new Set(
      readFileSync(join(dataDir, 'audit.log'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { requestId: string }).requestId),
    );
    const missing = acknowledged.filter((id) => !logged.has(id));
    expect(acknowledged.length).toBeGreaterThanOrEqual(2_000);
    expect(missing).toEqual([]);
  });
});
