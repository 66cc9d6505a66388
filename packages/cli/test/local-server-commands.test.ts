import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
} from '@aws-sdk/client-secrets-manager';
import { clientFor, exportsIn, serverFromEnv, startTestServer } from '@coffer/testing';
import { afterAll, describe, expect, it, vi } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const run = promisify(execFile);

async function coffer(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Starts `coffer serve` and resolves once it has printed its exports. */
async function serve(
  ...args: string[]
): Promise<{ child: ChildProcess; vars: Record<string, string>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('AWS_ENDPOINT_URL_SECRETS_MANAGER')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited early (${code}): ${err}`)));
  });
  return { child, vars: exportsIn(out), stderr: () => err };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

describe('coffer serve, env, audit and credentials (the local server commands)', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-cli-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('serve prints exports that the AWS SDK uses unchanged, and stops cleanly on SIGTERM', async () => {
    const { child, vars, stderr } = await serve('--in-memory');
    expect(Object.keys(vars).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      // AWS CLI v1 and older boto3 read only AWS_DEFAULT_REGION.
      'AWS_DEFAULT_REGION',
      'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    expect(vars.AWS_ENDPOINT_URL_SECRETS_MANAGER).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = clientFor(serverFromEnv(vars));
    await client.send(new CreateSecretCommand({ Name: 'cli/one', SecretString: 'v' }));
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'cli/one' }))).SecretString).toBe('v');
    expect(stderr()).toContain('listening on');
    expect(stderr()).toContain('Regions: every AWS region on this one endpoint');
    // Any region works on the same endpoint, each with its own secrets.
    const west = clientFor(serverFromEnv({ ...vars, AWS_REGION: 'eu-west-1' }));
    expect((await west.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('env prints the same credential for a data dir, and audit shows the calls without values', async () => {
    const dataDir = tempDir();
    const { child, vars } = await serve('--data-dir', dataDir);
    const env = await coffer('env', '--data-dir', dataDir);
    expect(env.code).toBe(0);
    expect(exportsIn(env.stdout)).toEqual(vars);

    const canary = `canary-${Math.random().toString(36).slice(2)}`;
    const client = clientFor(serverFromEnv(vars));
    await client.send(new CreateSecretCommand({ Name: 'cli/audited', SecretString: canary }));
    await client.send(new GetSecretValueCommand({ SecretId: 'cli/audited' }));
    // A call is acknowledged only once its audit line is in the file.
    const audit = await coffer('audit', '--data-dir', dataDir, '--json');
    const entries = audit.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { operation: string; outcome: string });
    expect(entries.map((e) => e.operation)).toEqual(['CreateSecret', 'GetSecretValue']);
    expect(entries.every((e) => e.outcome === 'success')).toBe(true);
    expect(audit.stdout).not.toContain(canary);
    const human = await coffer('audit', '--data-dir', dataDir, '-n', '1');
    const [header, line] = human.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TIME\s+PRINCIPAL\s+OPERATION\s+OUTCOME\s+SOURCE\s+SECRET$/);
    expect(line).toMatch(/coffer-admin\s+GetSecretValue\s+ok\s+\S+\s+cli\/audited$/);
    // Aligned: each column starts where its title does.
    expect(line?.indexOf('GetSecretValue')).toBe(header?.indexOf('OPERATION'));
    expect(readFileSync(join(dataDir, 'audit.log'), 'utf8')).not.toContain(canary);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('audit rows fit a terminal 80 or 120 columns wide, aligned under the header; a pipe gets full rows', async () => {
    const dataDir = tempDir();
    const server = await startTestServer({ dataDir });
    const client = clientFor(server);
    const long = `cli/${'a-rather-long-secret-name-'.repeat(4)}end`;
    try {
      await client.send(new CreateSecretCommand({ Name: long, SecretString: 'v' }));
      await expect(client.send(new GetSecretValueCommand({ SecretId: 'cli/missing' }))).rejects.toMatchObject(
        {
          name: 'ResourceNotFoundException',
        },
      );
    } finally {
      await server.close();
    }
    const pty = await import('node-pty');
    const onTerminal = (cols: number) =>
      new Promise<string[]>((resolve) => {
        const term = pty.spawn(process.execPath, [BIN, 'audit', '--data-dir', dataDir], {
          cols,
          rows: 40,
          env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
        });
        let output = '';
        term.onData((data) => {
          output += data;
        });
        term.onExit(() => resolve(output.split(/\r?\n/).filter((line) => line !== '')));
      });
    for (const cols of [80, 120]) {
      const [header, created, missing, ...rest] = await onTerminal(cols);
      expect(rest, `${cols} columns`).toEqual([]);
      for (const line of [header, created, missing])
        expect(line?.length, `${cols}: ${line}`).toBeLessThanOrEqual(cols);
      expect(header).toMatch(/^TIME\s+PRINCIPAL\s+OPERATION\s+OUTCOME\s+SECRET$/);
      expect(missing?.indexOf('GetSecretValue')).toBe(header?.indexOf('OPERATION'));
      expect(missing?.indexOf('ResourceNotFound')).toBe(header?.indexOf('OUTCOME'));
      expect(missing?.indexOf('cli/missing')).toBe(header?.indexOf('SECRET'));
      expect(created?.indexOf('cli/a-rather')).toBe(header?.indexOf('SECRET'));
      expect(created).toMatch(/…$/);
    }
    const piped = await coffer('audit', '--data-dir', dataDir);
    const [header, created, missing] = piped.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TIME\s+PRINCIPAL\s+OPERATION\s+OUTCOME\s+SOURCE\s+SECRET$/);
    expect(created?.endsWith(long)).toBe(true);
    expect(missing).toMatch(/\sResourceNotFoundException\s+\S+\s+cli\/missing$/);
  });

  it('audit --follow keeps following the log as the server rotates it, and misses no call', async () => {
    const dataDir = tempDir();
    // Small files, so that a few dozen calls rotate the log several times, sometimes twice between two polls.
    const server = await startTestServer({ dataDir, auditLog: { maxBytes: 4096, maxFiles: 4 } });
    const client = clientFor(server);
    await client.send(new CreateSecretCommand({ Name: 'cli/followed', SecretString: 'v' }));
    const follower = spawn(process.execPath, [BIN, 'audit', '--follow', '--json', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let followed = '';
    follower.stdout?.on('data', (chunk: Buffer) => {
      followed += chunk.toString();
    });
    const seen = () =>
      followed
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (JSON.parse(line) as { requestId: string }).requestId);
    try {
      // Following from the first call on: it has printed the backlog.
      await vi.waitFor(() => expect(seen()).toHaveLength(1), { timeout: 10_000, interval: 50 });
      for (let i = 0; i < 60; i++) {
        await client.send(new GetSecretValueCommand({ SecretId: 'cli/followed' }));
        await new Promise((r) => setTimeout(r, 10));
      }
      const expected = server.audit.recent().map((entry) => entry.requestId);
      expect(
        readdirSync(dataDir).filter((name) => name.startsWith('audit.log.')).length,
      ).toBeGreaterThanOrEqual(3);
      await vi.waitFor(() => expect(seen()).toEqual(expected), { timeout: 5000, interval: 100 });
    } finally {
      follower.kill('SIGTERM');
      await exited(follower);
      await server.close();
    }
  });

  it.skipIf(Boolean((process.features as { typescript?: unknown }).typescript))(
    'serve refuses a TypeScript rotation function that this Node cannot run, before it starts',
    async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'rotate.ts'), 'export const handler = async (): Promise<void> => {};\n');
      const arn = 'arn:aws:lambda:us-east-1:123456789012:function:rotate';
      const result = await coffer(
        'serve',
        '--in-memory',
        '--port',
        '0',
        '--rotation-function',
        `${arn}=${join(dir, 'rotate.ts')}`,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^coffer: Node v[\d.]+ cannot load the TypeScript rotation function .*compile it to JavaScript first/m,
      );
    },
  );

  it("the README's Examples block works as written, and env says what an --in-memory server has instead", async () => {
    const home = tempDir();
    const env = { PATH: `${join(home, 'bin')}:${process.env.PATH ?? ''}`, HOME: home };
    mkdirSync(join(home, 'bin'));
    writeFileSync(
      join(home, 'bin', 'coffer'),
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${BIN} "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const shell = (script: string) => run('sh', ['-ec', script], { env, cwd: home });
    // Debian's jq, which .ci/run installs; without it the README's jq filter is left out.
    const jq = await run('sh', ['-c', 'command -v jq']).then(
      () => true,
      () => false,
    );
    if (!jq)
      console.warn('jq is not installed (Debian package jq): the README example runs without its jq filter');

    const empty = await shell('coffer env').catch((error: { stderr: string }) => error);
    expect(empty.stderr).toBe(
      `coffer: No local Secrets Manager data in ${join(home, '.local', 'share', 'coffer')}: start one with \`coffer serve\` first. A server started with \`coffer serve --in-memory\` has no data dir: its exports are the ones it printed.\n`,
    );

    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const examples = readme.split('## Examples')[1] ?? '';
    const [first = '', ...rest] = (/```sh\n([\s\S]*?)```/.exec(examples)?.[1] ?? '').trim().split('\n');
    writeFileSync(join(home, 'reader.json'), /```json\n([\s\S]*?)```/.exec(examples)?.[1] ?? '');
    // The first line runs in a terminal of its own. (On a free port: other servers may run on this machine.)
    expect(first).toMatch(/^coffer serve +#/);
    const server = spawn('sh', ['-c', `exec ${first.replace(/ +#.*/, '')} --port 0`], { env, cwd: home });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('AWS_ENDPOINT_URL_SECRETS_MANAGER')) resolve();
        });
        server.once('exit', (code) => reject(new Error(`serve exited early (${code})`)));
      });
      // The rest in another shell, as written; then the variables it set reach the server.
      const { stdout } = await shell(
        [
          ...rest.map((line) => (jq ? line : line.replace(/ \| jq .*/, ''))),
          'aws_region=$AWS_REGION',
          'coffer create readme/example from-readme >/dev/null 2>&1',
          'printf "%s %s\\n" "$aws_region" "$(coffer get readme/example)"',
        ].join('\n'),
      );
      expect(stdout).toMatch(
        /^export AWS_ACCESS_KEY_ID=.*\nexport AWS_SECRET_ACCESS_KEY=.*\neu-west-1 from-readme\n$/,
      );
    } finally {
      server.kill('SIGTERM');
      await exited(server);
    }
  });

  it('serve --regions restricts the regions on the one endpoint; env prints any of them with --region', async () => {
    const dataDir = tempDir();
    const { child, vars, stderr } = await serve('--data-dir', dataDir, '--regions', 'us-west-2,eu-central-1');
    try {
      expect(vars.AWS_REGION).toBe('us-west-2');
      expect(stderr()).toContain('Regions: us-west-2, eu-central-1');
      const server = serverFromEnv(vars);
      await clientFor(server).send(new CreateSecretCommand({ Name: 'cli/regional', SecretString: 'w2' }));
      const central = clientFor(server, { region: 'eu-central-1' });
      expect((await central.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
      await expect(
        clientFor(server, { region: 'us-east-1' }).send(new ListSecretsCommand({})),
      ).rejects.toMatchObject({ name: 'InvalidSignatureException' });

      expect(exportsIn((await coffer('env', '--data-dir', dataDir)).stdout)).toEqual(vars);
      const other = await coffer('env', '--data-dir', dataDir, '--region', 'eu-central-1');
      expect(exportsIn(other.stdout)).toEqual({
        ...vars,
        AWS_REGION: 'eu-central-1',
        AWS_DEFAULT_REGION: 'eu-central-1',
      });
      const refused = await coffer('env', '--data-dir', dataDir, '--region', 'us-east-1');
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toEqual([
        expect.stringContaining('accepts only us-west-2, eu-central-1: choose one of them with --region'),
      ]);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
    const badRegions = await coffer('serve', '--regions', 'us-east-1,,nowhere');
    expect(badRegions.code).toBe(2);
    expect(badRegions.stderr).toContain('comma-separated list of AWS regions');
  });

  it('refuses a second serve on a data dir in use, in one line naming the first', async () => {
    const dataDir = tempDir();
    const { child, vars } = await serve('--data-dir', dataDir);
    try {
      const second = await coffer('serve', '--port', '0', '--data-dir', dataDir);
      expect(second.code).toBe(1);
      expect(second.stdout).toBe('');
      expect(second.stderr.trim().split('\n')).toEqual([
        `coffer: The data dir ${dataDir} is in use by another local Secrets Manager (pid ${child.pid}, ${vars.AWS_ENDPOINT_URL_SECRETS_MANAGER}): stop it first, or use another data dir.`,
      ]);
      // The first one is unaffected.
      await clientFor(serverFromEnv(vars)).send(new ListSecretsCommand({}));
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  });

  it('credentials add creates a least-privilege credential that a running server honours', async () => {
    const dataDir = tempDir();
    const { child, vars } = await serve('--data-dir', dataDir);
    const policyFile = join(dataDir, 'reader.json');
    writeFileSync(
      policyFile,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
      }),
    );
    const added = await coffer('credentials', 'add', 'reader', '--policy', policyFile, '--data-dir', dataDir);
    expect(added.code).toBe(0);
    const reader = clientFor(serverFromEnv({ ...vars, ...exportsIn(added.stdout) }));
    await clientFor(serverFromEnv(vars)).send(
      new CreateSecretCommand({ Name: 'cli/readable', SecretString: 'r' }),
    );
    expect((await reader.send(new GetSecretValueCommand({ SecretId: 'cli/readable' }))).SecretString).toBe(
      'r',
    );
    await expect(reader.send(new ListSecretsCommand({}))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });

    const listed = await coffer('credentials', 'list', '--data-dir', dataDir, '--json');
    expect((JSON.parse(listed.stdout) as { userName: string }[]).map((c) => c.userName).sort()).toEqual([
      'coffer-admin',
      'reader',
    ]);
    expect(listed.stdout).not.toContain(exportsIn(added.stdout).AWS_SECRET_ACCESS_KEY);
    const table = (await coffer('credentials', 'list', '--data-dir', dataDir)).stdout.trimEnd().split('\n');
    expect(table[0]).toBe(`USER${' '.repeat(10)}ACCESS KEY ID${' '.repeat(9)}PRINCIPAL`);
    expect(table.slice(1).sort()).toEqual([
      expect.stringMatching(/^coffer-admin {2}\S{20} {2}arn:aws:iam::\d{12}:user\/coffer-admin$/),
      expect.stringMatching(/^reader {8}\S{20} {2}arn:aws:iam::\d{12}:user\/reader$/),
    ]);
    expect(table.join('\n')).not.toContain(exportsIn(added.stdout).AWS_SECRET_ACCESS_KEY);
    expect((await coffer('credentials', 'remove', 'reader', '--data-dir', dataDir)).code).toBe(0);
    expect((await coffer('credentials', 'remove', 'reader', '--data-dir', dataDir)).code).toBe(1);
    child.kill('SIGTERM');
    await exited(child);
  });

  it('reports usage mistakes with exit code 2 and run-time failures with exit code 1, in one line', async () => {
    const badPort = await coffer('serve', '--port', 'abc');
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('must be a whole number');
    expect(badPort.stderr).toBe(
      "coffer: option '-p, --port <port>' argument 'abc' is invalid: must be a whole number from 0 to 65535; see `coffer serve --help`.\n",
    );
    // Commander's usage errors are one line starting with `coffer:`, as every error line is.
    const unknown = await coffer('nonsense');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("coffer: unknown command 'nonsense'; see `coffer --help`.\n");
    const typo = await coffer('credentials', 'list', '--jsn');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      "coffer: unknown option '--jsn' (did you mean --json?); see `coffer credentials list --help`.\n",
    );
    const noData = await coffer('env', '--data-dir', join(tempDir(), 'missing'));
    expect(noData.code).toBe(1);
    expect(noData.stderr.trim().split('\n')).toHaveLength(1);
    expect(noData.stderr).toContain('coffer serve');
  });

  it('has help with examples for every command and subcommand', async () => {
    /** The commands a help text lists, under its "Commands:" heading. */
    const commandsIn = (help: string) =>
      [...(help.split('\nCommands:\n')[1] ?? '').matchAll(/^ {2}([a-z]+)\b/gm)]
        .map((match) => match[1] as string)
        .filter((name) => name !== 'help');
    const all: string[] = [];
    for (const name of commandsIn((await coffer('--help')).stdout)) {
      all.push(name);
      for (const sub of commandsIn((await coffer(name, '--help')).stdout)) all.push(`${name} ${sub}`);
    }
    expect(all).toEqual(
      expect.arrayContaining(['serve', 'credentials', 'credentials list', 'credentials remove']),
    );
    const helps = await Promise.all(all.map((command) => coffer(...command.split(' '), '--help')));
    for (const [i, help] of helps.entries()) {
      expect(help.code, all[i]).toBe(0);
      expect(help.stdout, all[i]).toMatch(/^Examples?:$/m);
    }
    // Every command takes --no-color, as the README says; every secret command but exec (and export, which has
    // --format json) takes --json.
    const names = all.filter((name) => name !== 'credentials');
    expect(names.length).toBeGreaterThan(15);
    const secretCommands = ['get', 'put', 'create', 'describe', 'list', 'history', 'delete', 'restore'];
    for (const name of names) {
      const help = (await coffer(...name.split(' '), '--help')).stdout;
      expect(help, name).toMatch(/^ {2}--no-color /m);
      if ([...secretCommands, 'import', 'rotate', 'audit', 'credentials list', 'demo'].includes(name))
        expect(help, name).toMatch(/^ {2}--json /m);
    }
    expect(await coffer('exec', '--no-color', '--', 'true')).toMatchObject({ code: 0, stderr: '' });
    const audit = await coffer('audit', '--no-color', '--data-dir', join(tempDir(), 'none'));
    expect(audit.stderr).toMatch(/^coffer: No audit log at /);
    const version = await coffer('--version');
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
