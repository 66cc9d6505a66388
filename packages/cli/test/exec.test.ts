import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { awsEnvFor, clientFor, type Finished, runNode, startTestServer } from '@coffer/testing';
import { Redactor } from 'coffer/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretMasker } from '../src/exec/mask.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

describe('coffer exec', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  let env: NodeJS.ProcessEnv;
  const password = `canary-${randomUUID()}`;

  /** Runs `coffer exec ...` against the local server; `onStdout` can act on output while it runs. */
  function exec(
    args: string[],
    extraEnv: NodeJS.ProcessEnv = {},
    onStdout?: (text: string, pid: number) => void,
  ): Promise<Finished> {
    return runNode(BIN, ['exec', ...args], { env: { ...env, ...extraEnv }, ...(onStdout && { onStdout }) });
  }

  beforeAll(async () => {
    server = await startTestServer();
    env = {
      ...process.env,
      ...awsEnvFor(server),
    };
    client = clientFor(server);
    await client.send(
      new CreateSecretCommand({
        Name: 'exec/db',
        SecretString: JSON.stringify({ dbHost: 'db.internal', password, port: 5432 }),
      }),
    );
    await client.send(new CreateSecretCommand({ Name: 'exec/api-key', SecretString: 'plain-api-key-value' }));
  });
  afterAll(() => server.close());

  it('injects every JSON key as a variable and plain secrets by name, fetching them in one batch', async () => {
    server.audit.resetCounts();
    const run = await exec([
      '-s',
      'exec/db',
      '-s',
      'exec/api-key',
      '--no-mask',
      '--',
      'sh',
      '-c',
      'echo "$DB_HOST $PASSWORD $PORT $API_KEY"',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`db.internal ${password} 5432 plain-api-key-value`);
    expect(server.audit.callCounts()).toEqual({ BatchGetSecretValue: 1 });
  });

  it('resolves asm:// references already in the environment, and names single keys with NAME=id#key', async () => {
    const run = await exec(
      [
        '-s',
        'PW=exec/db#password',
        '--prefix',
        'APP_',
        '--no-mask',
        '--',
        'sh',
        '-c',
        'echo "$DATABASE_PASSWORD|$PW"',
      ],
      { DATABASE_PASSWORD: 'asm://exec/db#password' },
    );
    expect(run.stdout.trim()).toBe(`${password}|${password}`);
  });

  it("masks secret values in the child's output, also when one is split across two writes", async () => {
    const half = Math.floor(password.length / 2);
    const script = `process.stdout.write('a:${password.slice(0, half)}'); setTimeout(() => { process.stdout.write('${password.slice(half)}:b\\n'); console.error('err ${password}'); }, 50);`;
    const run = await exec(['-s', 'exec/db', '--', process.execPath, '-e', script]);
    expect(run.stdout).toBe('a:*****:b\n');
    expect(run.stderr).toContain('err *****');
    expect(run.stdout + run.stderr).not.toContain(password);
  });

  it('passes the exit code through, and 128+n when the child dies of signal n', async () => {
    expect((await exec(['--', 'sh', '-c', 'exit 7'])).code).toBe(7);
    expect((await exec(['--', 'sh', '-c', 'kill -KILL $$'])).code).toBe(137);
  });

  it('forwards SIGTERM from a supervisor to the child', async () => {
    const script =
      "process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(3); }); console.log('ready'); setInterval(() => {}, 1000);";
    let signalled = false;
    const run = await exec(['--', process.execPath, '-e', script], {}, (out, pid) => {
      if (!signalled && out.includes('ready')) {
        signalled = true;
        process.kill(pid, 'SIGTERM');
      }
    });
    expect(run.stdout).toContain('child got SIGTERM');
    expect(run.code).toBe(3);
  });

  it('--watch sends the chosen signal when a referenced secret rotates', async () => {
    await client.send(new CreateSecretCommand({ Name: 'exec/watched-signal', SecretString: 'first-value' }));
    const script =
      "process.on('SIGHUP', () => { console.log('reloading'); process.exit(5); }); console.log('ready'); setInterval(() => {}, 1000);";
    let rotated = false;
    const run = await exec(
      [
        '--watch',
        '--on-rotate',
        'signal',
        '--signal',
        'HUP',
        '--interval',
        '0.2',
        '-s',
        'V=exec/watched-signal',
        '--',
        process.execPath,
        '-e',
        script,
      ],
      {},
      (out) => {
        if (!rotated && out.includes('ready')) {
          rotated = true;
          void client.send(
            new PutSecretValueCommand({ SecretId: 'exec/watched-signal', SecretString: 'second-value' }),
          );
        }
      },
    );
    expect(run.stdout).toContain('reloading');
    expect(run.stderr).toMatch(/exec\/watched-signal rotated; sending SIGHUP/);
    expect(run.code).toBe(5);
  });

  it('--watch restarts the command with the new value when a referenced secret rotates', async () => {
    await client.send(new CreateSecretCommand({ Name: 'exec/watched-restart', SecretString: 'first-value' }));
    const script = "console.log('value=' + process.env.V); setInterval(() => {}, 1000);";
    let rotated = false;
    let stopped = false;
    const run = await exec(
      [
        '--watch',
        '--interval',
        '0.2',
        '--no-mask',
        '-s',
        'V=exec/watched-restart',
        '--',
        process.execPath,
        '-e',
        script,
      ],
      {},
      (out, pid) => {
        if (!rotated && out.includes('value=first-value')) {
          rotated = true;
          void client.send(
            new PutSecretValueCommand({ SecretId: 'exec/watched-restart', SecretString: 'second-value' }),
          );
        }
        if (!stopped && out.includes('value=second-value')) {
          stopped = true;
          process.kill(pid, 'SIGTERM');
        }
      },
    );
    expect(run.stdout).toBe('value=first-value\nvalue=second-value\n');
    expect(run.stderr).toMatch(/restarting/);
    expect(run.code).toBe(143);
  });

  it('masks only secret values, in every form, and leaves host, port, engine, user and words alone', async () => {
    const token = `canary-${randomUUID()}`;
    await client.send(
      new CreateSecretCommand({
        Name: 'exec/rds',
        SecretString: JSON.stringify({
          engine: 'postgres',
          host: 'db.internal',
          port: 5432,
          username: 'app_user',
          password,
          dbname: 'postgres',
          extra: { token },
        }),
      }),
    );
    const script = [
      'const v = process.env;',
      // Nested field on its own, JSON-escaped (as pino writes it), base64 in a header, no trailing newline.
      `console.log(v.ENGINE, v.HOST, v.PORT, v.USERNAME, v.DBNAME, 'postgres is a word');`,
      `console.log(JSON.parse(v.EXTRA).token);`,
      `console.log(JSON.stringify({ msg: 'login ' + v.PASSWORD }));`,
      `console.log('Authorization: Basic ' + Buffer.from(v.USERNAME + ':' + v.PASSWORD).toString('base64'));`,
      `process.stdout.write(v.PASSWORD);`,
    ].join(' ');
    const run = await exec(['-s', 'exec/rds', '--', process.execPath, '-e', script]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('postgres db.internal 5432 app_user postgres postgres is a word');
    expect(lines[1]).toBe('*****');
    expect(lines[2]).toBe('{"msg":"login *****"}');
    expect(lines[3]).toMatch(/^Authorization: Basic \S*\*\*\*\*\*/);
    expect(lines[4]).toBe('*****');
    for (const value of [password, token]) expect(run.stdout + run.stderr).not.toContain(value);
    expect(Buffer.from(lines[3]?.split(' ').pop() ?? '', 'base64').toString()).not.toContain(password);

    const overridden = await exec([
      '-s',
      'exec/rds',
      '--mask-key',
      'host',
      '--no-mask-key',
      'password',
      '--',
      'sh',
      '-c',
      'echo "$HOST $PASSWORD"',
    ]);
    expect(overridden.stdout.trim()).toBe(`***** ${password}`);
  });

  it('lets the command open /dev/stdout and /dev/stderr by path while masking, and forces no colour on it', async () => {
    const run = await exec([
      '-s',
      'exec/db',
      '--',
      'sh',
      '-c',
      'echo "out $PASSWORD" > /dev/stdout && echo "err $PASSWORD" > /dev/stderr && (printenv FORCE_COLOR || echo unset)',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('out *****\nunset\n');
    expect(run.stderr).toBe('err *****\n');
  });

  it('gives the command a terminal of its own when coffer runs on one, with the window size, and masks it', async () => {
    const pty = await import('node-pty');
    const script = `console.log('tty=' + process.stdout.isTTY + ' cols=' + process.stdout.columns + ' ' + process.env.PASSWORD)`;
    const term = pty.spawn(
      process.execPath,
      [BIN, 'exec', '-s', 'exec/db', '--', process.execPath, '-e', script],
      {
        cols: 123,
        rows: 40,
        env: env as Record<string, string>,
      },
    );
    let output = '';
    term.onData((data) => {
      output += data;
    });
    const code = await new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    expect(code).toBe(0);
    expect(output).toContain('tty=true cols=123 *****');
    expect(output).not.toContain(password);
    expect(output).not.toContain('masking without a terminal');
  });

  it('reports unreadable secrets, collisions and bad commands in clear lines', async () => {
    const missing = await exec(['-s', 'exec/none', '--', 'true']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/exec\/none: Secret "exec\/none" was not found/);
    const collision = await exec(['-s', 'exec/db', '-s', 'PASSWORD=exec/api-key', '--', 'true']);
    expect(collision.code).toBe(1);
    expect(collision.stderr).toMatch(/PASSWORD is set by both/);
    // As a shell answers: 127 for a command that is not found, 126 for one that cannot run.
    const notFound = await exec(['--', 'no-such-command-anywhere']);
    expect(notFound.code).toBe(127);
    expect(notFound.stderr).toMatch(/Command not found: no-such-command-anywhere/);
    const masked = await exec(['-s', 'exec/db', '--', 'no-such-command-anywhere']);
    expect(masked.code).toBe(127);
    const script = join(mkdtempSync(join(tmpdir(), 'coffer-exec-')), 'script.sh');
    writeFileSync(script, 'echo hi\n', { mode: 0o644 });
    const notExecutable = await exec(['--', script]);
    expect(notExecutable.code).toBe(126);
    expect(notExecutable.stderr).toMatch(/Command not executable/);
    for (const run of [missing, collision, notFound]) expect(run.stderr).not.toContain(password);
  });
});

describe('SecretMasker', () => {
  const mask = async (values: string[], chunks: string[]) => {
    const masker = new SecretMasker(new Redactor(values));
    const out: Buffer[] = [];
    masker.on('data', (d: Buffer) => out.push(d));
    for (const chunk of chunks) masker.write(Buffer.from(chunk));
    masker.end();
    await new Promise((resolve) => masker.on('end', resolve));
    return Buffer.concat(out).toString();
  };

  it('masks values split at every byte, keeps colours, prefers the longest match, and flushes held bytes at the end', async () => {
    const value = 'hunter22-secret';
    expect(await mask([value], [...`x ${value} y`])).toBe('x ***** y');
    expect(await mask([value], [`\u001b[31m${value}\u001b[0m`])).toBe('\u001b[31m*****\u001b[0m');
    expect(await mask(['abcd', 'abcdef'], ['xxabcdefyy', 'abcdzz'])).toBe('xx*****yy*****zz');
    expect(await mask([value], ['ends with hu'])).toBe('ends with hu');
  });

  it('masks a value cut short at the end of the output, and short values only as whole tokens, across chunks', async () => {
    expect(await mask(['hunter22-secret'], ['ends with hunt'])).toBe('ends with *****');
    // Cut short before a truncation marker in the middle of the output, also when split across writes.
    expect(await mask(['hunter22-secret'], ['a hunter2... b'])).toBe('a *****... b');
    expect(await mask(['hunter22-secret'], ['a hunt', 'er2', '..', '. b', ' hunter22-s[truncated]'])).toBe(
      'a *****... b *****[truncated]',
    );
    expect(await mask(['hunter22-secret'], ['the hunt... is on'])).toBe('the *****... is on');
    expect(await mask(['hunter22-secret'], ['the hun... is on'])).toBe('the hun... is on');
    expect(await mask(['ab'], ['ab is', ' short; abc and cab are words; ', 'a', 'b'])).toBe(
      '***** is short; abc and cab are words; *****',
    );
  });

  it('lets held bytes go after a pause, so a prompt shows, and masks the rest of a value printed after one', async () => {
    const value = 'Canary-Pw/9x+Q-zz';
    const masker = new SecretMasker(new Redactor([value]), { idleMs: 20 });
    const out: string[] = [];
    masker.on('data', (d: Buffer) => out.push(d.toString()));
    const pause = () => new Promise((resolve) => setTimeout(resolve, 80));
    // A prompt that ends with the value's first letter: shown while the child waits for an answer.
    masker.write(Buffer.from('Continue? [y/N] C'));
    await pause();
    expect(out.join('')).toBe('Continue? [y/N] C');
    masker.write(Buffer.from('\n'));
    // A value printed in pieces with pauses in between: no piece of four or more characters shows.
    for (const piece of ['Cana', 'ry-Pw/', '9x+Q-zz']) {
      masker.write(Buffer.from(piece));
      await pause();
    }
    masker.write(Buffer.from(' done\n'));
    masker.end();
    await new Promise((resolve) => masker.on('end', resolve));
    const text = out.join('');
    for (let i = 0; i + 4 <= value.length; i++) expect(text).not.toContain(value.slice(i, i + 4));
    expect(text.endsWith(' done\n')).toBe(true);
  });

  it('masks every encoded form, split across writes', async () => {
    const value = 'p@ss w/rd-Sup3rS3cret';
    const forms = [
      JSON.stringify(value),
      encodeURIComponent(value),
      Buffer.from(`app:${value}`).toString('base64'),
      Buffer.from(value).toString('hex'),
    ];
    for (const form of forms) {
      const text = await mask([value], [...`line: ${form}\n`]);
      expect(text).toContain('*****');
      expect(text).not.toContain(form.slice(6, 14));
    }
  });
});
