import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { LocalAdmin, NoLocalDataError, startLocalSecretsManager } from '@coffer/local';
import { clientFor } from '@coffer/testing';
import { afterAll, describe, expect, it } from 'vitest';

const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const SERVER_CHILD = `
import { startLocalSecretsManager } from ${JSON.stringify(pathToFileURL(BUILT).href)};
const server = await startLocalSecretsManager({ port: 0, dataDir: process.argv[2] });
process.stdout.write(server.endpoint + '\\n');
setInterval(() => {}, 1 << 30);
`;

/** Starts a server on `dataDir` in a child process; resolves with it and its endpoint once it listens. */
function serveInChild(script: string, dataDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, [script, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve({ child, endpoint: out.trim() });
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}): ${err}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

describe('one server per data dir', () => {
  const root = mkdtempSync(join(tmpdir(), 'coffer-lock-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a second server in the same process, and starts again once the first is closed', async () => {
    const dataDir = join(root, 'same-process');
    const first = await startLocalSecretsManager({ port: 0, dataDir });
    await expect(startLocalSecretsManager({ port: 0, dataDir })).rejects.toThrow(
      `The data dir ${dataDir} is in use by another local Secrets Manager (pid ${process.pid}, ${first.endpoint}): stop it first, or use another data dir.`,
    );
    // The refused start changed nothing: the first server still works, and still holds the lock.
    await clientFor(first).send(new ListSecretsCommand({}));
    expect(JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8'))).toMatchObject({
      pid: process.pid,
    });
    await first.close();
    expect(existsSync(join(dataDir, 'server.lock'))).toBe(false);
    const again = await startLocalSecretsManager({ port: 0, dataDir });
    await again.close();
  });

  it("refuses a server on another process's data dir, naming it; after that process is killed, starts", async () => {
    expect(existsSync(BUILT), `${BUILT} is missing: run npm run build first`).toBe(true);
    const dataDir = join(root, 'other-process');
    const script = join(root, 'server.mjs');
    writeFileSync(script, SERVER_CHILD);
    const { child, endpoint } = await serveInChild(script, dataDir);
    children.push(child);
    const refused = await startLocalSecretsManager({ port: 0, dataDir }).catch(
      (error: unknown) => error as Error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe(
      `The data dir ${dataDir} is in use by another local Secrets Manager (pid ${child.pid}, ${endpoint}): stop it first, or use another data dir.`,
    );
    expect((refused as Error).message.split('\n')).toHaveLength(1);

    // kill -9 leaves the lock behind: a crashed server's lock is stale and does not block a restart.
    child.kill('SIGKILL');
    await exited(child);
    expect(existsSync(join(dataDir, 'server.lock'))).toBe(true);
    const restarted = await startLocalSecretsManager({ port: 0, dataDir });
    try {
      expect(JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8'))).toMatchObject({
        pid: process.pid,
      });
      await clientFor(restarted).send(new ListSecretsCommand({}));
    } finally {
      await restarted.close();
    }
  });

  // Process states come from /proc.
  it.skipIf(process.platform !== 'linux')(
    'takes over the lock of a killed server that its parent never reaped (a zombie)',
    async () => {
      const dataDir = join(root, 'zombie');
      const script = join(root, 'server.mjs');
      writeFileSync(script, SERVER_CHILD);
      // `exec sleep` turns the shell into the server's parent, and sleep never waits for a child: killed, the
      // server stays a zombie, as under a container's PID 1 that reaps nothing.
      const parent = spawn('sh', ['-c', `"${process.execPath}" "${script}" "${dataDir}" & exec sleep 600`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(parent);
      await new Promise<void>((resolve, reject) => {
        parent.stdout?.once('data', () => resolve());
        parent.once('exit', (code) => reject(new Error(`the server's parent exited (${code})`)));
      });
      const { pid } = JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8')) as { pid: number };
      process.kill(pid, 'SIGKILL');
      const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      for (let i = 0; i < 100 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(state()).toBe('Z');
      const started = await startLocalSecretsManager({ port: 0, dataDir });
      await started.close();
      parent.kill('SIGKILL');
    },
  );

  // Start times come from /proc: elsewhere a reused pid keeps the lock until that process ends.
  it.skipIf(process.platform !== 'linux')(
    'takes over a lock whose pid now belongs to another process (a reused pid)',
    async () => {
      const dataDir = join(root, 'reused-pid');
      const first = await startLocalSecretsManager({ port: 0, dataDir });
      await first.close();
      // A live process that is no server: the lock names its pid but not its start time.
      const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], {
        stdio: 'ignore',
      });
      children.push(bystander);
      writeFileSync(join(dataDir, 'server.lock'), JSON.stringify({ pid: bystander.pid, started: '1' }));
      const started = await startLocalSecretsManager({ port: 0, dataDir });
      await started.close();
      bystander.kill('SIGKILL');
    },
  );
});

describe('LocalAdmin on a data dir no server has used', () => {
  it('is a NoLocalDataError with a stable code, naming the dir and what to do', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffer-empty-'));
    try {
      const error = (() => {
        try {
          new LocalAdmin({ dataDir }).close();
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(NoLocalDataError);
      expect(error).toMatchObject({ code: 'NO_LOCAL_DATA', dataDir });
      expect((error as Error).message).toBe(
        `No local Secrets Manager data in ${dataDir}: start one with \`coffer serve\` first.`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
