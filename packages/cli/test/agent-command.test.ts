import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LocalSecretsManager } from '@coffer/local';
import {
  awsEnvFor,
  canaries,
  canary,
  clientFor,
  createSecret,
  startTestServer,
  uniqueName,
} from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `coffer agent` as a user runs it: a child process with a config file in AWS's layout and the token in a file.

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
let server: LocalSecretsManager;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'coffer-agent-cli-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `coffer agent` and resolves with its URL once it logs that it listens. */
async function agent(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'agent', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...awsEnvFor(server), ...env },
  });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const found = /listening on (http:\/\/[^"\s]+)/.exec(err);
      if (found?.[1] !== undefined) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`coffer agent exited early (${code}): ${err}`)));
  });
  return { child, url, stderr: () => err };
}

describe('coffer agent', () => {
  it('serves secrets with a config file and a token file, logs each request without a value, stops on SIGTERM', async () => {
    const name = uniqueName('cli-agent/db');
    const password = canary();
    await createSecret(clientFor(server), {
      Name: name,
      SecretString: JSON.stringify({ username: 'app', password }),
    });
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'cli-agent-token\n');
    const config = join(dir, 'agent.toml');
    writeFileSync(
      config,
      `[capabilities.secrets_manager]\nhttp_port = 2773\n[capabilities.secrets_manager.cache]\nttl_seconds = 60\n`,
    );
    const { child, url, stderr } = await agent(['--config', config, '--port', '0', '--prefetch', name], {
      AWS_TOKEN: `file://${tokenFile}`,
    });
    const headers = { 'X-Aws-Parameters-Secrets-Token': 'cli-agent-token' };
    const whole = await fetch(`${url}/secretsmanager/get?secretId=${name}`, { headers });
    expect(whole.status).toBe(200);
    expect(JSON.parse(((await whole.json()) as { SecretString: string }).SecretString)).toEqual({
      username: 'app',
      password,
    });
    const key = await fetch(`${url}/v1/${encodeURIComponent(`${name}#password`)}`, { headers });
    expect(await key.text()).toBe(password);
    expect((await fetch(`${url}/v1/${name}`)).status).toBe(403);
    child.kill('SIGTERM');
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
    const lines = stderr()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === 'request').map((l) => [l.route, l.status, l.secretId])).toEqual([
      ['/secretsmanager/get', 200, name],
      ['/v1/', 200, name],
      ['/v1/', 403, undefined],
    ]);
    expect(lines.some((l) => String(l.msg).includes('prefetched 1 secrets'))).toBe(true);
    for (const value of canaries) expect(stderr()).not.toContain(value);
    expect(stderr()).not.toContain('cli-agent-token');
  });

  it('refuses a bad configuration with exit code 2 and one line saying what to fix', async () => {
    const config = join(dir, 'bad.toml');
    writeFileSync(config, '[capabilities.secrets_manager]\nttl = 5\n');
    const result = await promisify(execFile)(process.execPath, [BIN, 'agent', '--config', config], {
      env: { ...process.env, AWS_TOKEN: 'x' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(result).toMatchObject({ code: 2 });
    expect((result as { stderr: string }).stderr).toMatch(
      /^coffer: Unknown setting capabilities\.secrets_manager\.ttl/,
    );
  });
});
