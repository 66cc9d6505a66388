import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { clientFor, exportsIn, lambdaArn, serverFromEnv, writeFakeFunction } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));

/**
 * A rotation function made with coffer/rotation whose setSecret fails, as the README's example: imported by
 * absolute URL, because a module in a temp dir resolves imports from its own location.
 */
function writeRefusingFunction(dir: string, exposeErrorMessages: boolean): string {
  const file = join(dir, `refusing-${exposeErrorMessages}.mjs`);
  writeFileSync(
    file,
    [
      `import { createRotationHandler, custom } from ${JSON.stringify(import.meta.resolve('coffer/rotation'))};`,
      'export const handler = createRotationHandler({',
      `  exposeErrorMessages: ${exposeErrorMessages},`,
      '  rotator: custom({',
      '    generate: async (_current, ctx) => (await ctx.randomPassword({ length: 40 })).reveal(),',
      "    set: async () => { throw new Error('the API refused the key'); },",
      '    test: async () => {},',
      '  }),',
      '});',
      '',
    ].join('\n'),
  );
  return file;
}

function coffer(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('coffer rotate', () => {
  let dir: string;
  let dataDir: string;
  let child: ChildProcess;
  const vars: Record<string, string> = {};
  let client: SecretsManagerClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-rotate-cli-'));
    dataDir = join(dir, 'data');
    const good = writeFakeFunction(dir, 'good', { log: join(dir, 'good.log'), apiDir: dir });
    const failing = writeFakeFunction(dir, 'failing', {
      log: join(dir, 'failing.log'),
      apiDir: dir,
      failStep: 'setSecret',
      fixed: join(dir, 'never'),
    });
    const withheld = writeRefusingFunction(dir, false);
    const exposed = writeRefusingFunction(dir, true);
    child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--rotation-function',
        `${lambdaArn('good')}=${good}`,
        '--rotation-function',
        `${lambdaArn('failing')}=${failing}`,
        '--rotation-function',
        `${lambdaArn('withheld')}=${withheld}`,
        '--rotation-function',
        `${lambdaArn('exposed')}=${exposed}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
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
    Object.assign(vars, exportsIn(out));
    client = clientFor(serverFromEnv(vars));
  });
  afterAll(async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the four steps as they complete and exits 0', async () => {
    await client.send(new CreateSecretCommand({ Name: 'cli/key', SecretString: 'key-0' }));
    const result = await coffer(
      vars,
      'rotate',
      'cli/key',
      '--lambda',
      lambdaArn('good'),
      '--every',
      '30',
      '-d',
      dataDir,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Rotating cli\/key \(version [0-9a-f-]{36}\)$/);
    expect(lines.slice(1, 5).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual([
      '✓ createSecret',
      '✓ setSecret',
      '✓ testSecret',
      '✓ finishSecret',
    ]);
    for (const line of lines.slice(1, 5)) expect(line).toMatch(/\d+ ms$/);
    expect(lines[5]).toMatch(/^Rotated cli\/key: version [0-9a-f-]{36} is now AWSCURRENT\.$/);
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'cli/key' }));
    expect(described.RotationEnabled).toBe(true);
    expect(described.RotationRules).toEqual({ AutomaticallyAfterDays: 30 });

    const json = await coffer(vars, 'rotate', 'cli/key', '--json', '-d', dataDir);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { outcome: string; steps: { step: string }[] };
    expect(parsed.outcome).toBe('success');
    expect(parsed.steps.map((s) => s.step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
  });

  it('exits 1 with one line when a step fails', async () => {
    await client.send(new CreateSecretCommand({ Name: 'cli/failing', SecretString: 'key-0' }));
    const result = await coffer(
      vars,
      'rotate',
      'cli/failing',
      '--lambda',
      lambdaArn('failing'),
      '-d',
      dataDir,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✓ createSecret/);
    expect(result.stdout).toMatch(/✗ setSecret +\d+ ms\n/);
    // Said once, on stderr, where a script that keeps stdout still sees it.
    expect(result.stdout).not.toContain('the fake API is down');
    expect(result.stderr).toBe(
      'coffer: Rotation of cli/failing failed at setSecret: Error: the fake API is down during setSecret\n',
    );
  });

  it("shows the README's failure lines: the message withheld by default, shown with exposeErrorMessages", async () => {
    const readme = readFileSync(README, 'utf8');
    for (const name of ['withheld', 'exposed']) {
      await client.send(new CreateSecretCommand({ Name: `cli/${name}`, SecretString: 'key-0' }));
      const result = await coffer(vars, 'rotate', `cli/${name}`, '--lambda', lambdaArn(name), '-d', dataDir);
      expect(result.code).toBe(1);
      const line = result.stderr.trim();
      expect(line).toMatch(/^coffer: Rotation of cli\/\w+ failed at setSecret: /);
      expect(readme).toContain(line.replace(`cli/${name}`, 'app/key'));
    }
  });

  it('says once what it waits for when it cannot read the steps (AWS, or a server without a data dir)', async () => {
    await client.send(new CreateSecretCommand({ Name: 'cli/unseen', SecretString: 'key-0' }));
    // Another data dir than the server's: rotate finds no audit log to follow and polls DescribeSecret, as it
    // does against AWS or a `coffer serve --in-memory`.
    const elsewhere = mkdtempSync(join(dir, 'elsewhere-'));
    const result = await coffer(
      vars,
      'rotate',
      'cli/unseen',
      '--lambda',
      lambdaArn('failing'),
      '-d',
      elsewhere,
      '--timeout',
      '2',
    );
    expect(result.code).toBe(1);
    const [waiting, failed, ...rest] = result.stderr.split('\n');
    expect(waiting).toMatch(
      /^Waiting up to 2 s \(--timeout\) for the rotation function to make version [0-9a-f-]{36} AWSCURRENT; Ctrl-C stops only the waiting, not the rotation\. If a step fails, the function's logs say why: CloudWatch Logs on AWS, the output of `coffer serve` locally \(or `coffer audit` for a server with a data dir\)\.$/,
    );
    expect(failed).toMatch(
      /^coffer: Rotation of cli\/unseen did not finish within 2 s: version [0-9a-f-]{36} is not AWSCURRENT yet; check the rotation function's logs\.$/,
    );
    expect(rest).toEqual(['']);
  });

  it('exits 1 with one line when RotateSecret is refused', async () => {
    const result = await coffer(vars, 'rotate', 'cli/key', '--lambda', lambdaArn('unknown'), '-d', dataDir);
    expect(result.code).toBe(1);
    const arn = lambdaArn('unknown');
    expect(result.stderr).toBe(
      `coffer: Secrets Manager cannot invoke the rotation function ${arn}: against a Coffer local server, register it with \`coffer serve --rotation-function ${arn}=<file>\`; against AWS, allow secretsmanager.amazonaws.com to invoke it (\`aws lambda add-permission --function-name ${arn} --action lambda:InvokeFunction --principal secretsmanager.amazonaws.com --statement-id SecretsManagerRotation\`).\n`,
    );
  });

  it('says to pass --lambda when the secret has no rotation function yet', async () => {
    await client.send(new CreateSecretCommand({ Name: 'cli/unrotated', SecretString: 'key-0' }));
    const result = await coffer(vars, 'rotate', 'cli/unrotated', '-d', dataDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'coffer: Secret "cli/unrotated" has no rotation function yet: pass --lambda <function ARN> (later rotations reuse it).\n',
    );
  });
});
