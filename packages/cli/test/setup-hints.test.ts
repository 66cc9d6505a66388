import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, runNode, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/coffer.js', import.meta.url));

/** An AWS config in `home` whose profile `sso` has a cached SSO token that expired in 2020. */
function writeExpiredSsoProfile(home: string): void {
  mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
  writeFileSync(
    join(home, '.aws', 'config'),
    [
      '[profile sso]',
      'sso_session = corp',
      'sso_account_id = 123456789012',
      'sso_role_name = Dev',
      'region = us-east-1',
      '[sso-session corp]',
      'sso_start_url = https://example.awsapps.com/start',
      'sso_region = us-east-1',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update('corp').digest('hex')}.json`),
    JSON.stringify({ accessToken: 'expired', expiresAt: '2020-01-01T00:00:00Z', region: 'us-east-1' }),
  );
}

/**
 * A new user's machine: no AWS variables, no ~/.aws (unless a test writes one), on whatever Node runs the
 * tests. The SDK's Node-version notice is not silenced here: the CLI must keep it quiet itself.
 */
describe('coffer on a clean machine', () => {
  let home: string;
  let server: LocalSecretsManager;
  const cleanEnv = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '',
    HOME: home,
    ...extra,
  });
  /** Runs coffer with no stdin (as from a script), so commands that could read a value from it do not wait. */
  const coffer = (args: string[], env: Record<string, string>) => runNode(BIN, args, { env });

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'coffer-home-'));
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('says how to set a region, then credentials, in one line each', async () => {
    const noRegion = await coffer(['get', 'app/db'], cleanEnv());
    expect(noRegion.code).toBe(1);
    expect(noRegion.stderr).toBe(
      'coffer: No AWS region is set: pass --region, set AWS_REGION, or use the local server: `eval "$(coffer env)"` (with `coffer serve` running).\n',
    );
    const noCredentials = await coffer(['get', 'app/db', '--region', 'eu-west-1'], cleanEnv());
    expect(noCredentials.code).toBe(1);
    expect(noCredentials.stderr).toMatch(
      /^coffer: No AWS credentials found: run `aws configure` or `aws sso login`/,
    );
    expect(noCredentials.stderr.split('\n')).toHaveLength(2);
  });

  it('says an SSO session expired, and that nothing answers at the endpoint', async () => {
    writeExpiredSsoProfile(home);
    const expired = await coffer(['get', 'app/db', '--profile', 'sso'], cleanEnv());
    expect(expired.stderr).toMatch(/^coffer: Your AWS SSO session has expired: run `aws sso login`/);

    const down = await coffer(
      ['get', 'app/db', '--endpoint', 'http://127.0.0.1:9'],
      cleanEnv({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' }),
    );
    expect(down.stderr).toBe(
      "coffer: Nothing answers at http://127.0.0.1:9: start the local server with `coffer serve`, or fix the endpoint (--endpoint, AWS_ENDPOINT_URL_SECRETS_MANAGER, or the profile's endpoint_url).\n",
    );
    for (const result of [expired, down]) expect(result.stderr).not.toMatch(/NodeVersionSupportWarning/);
  });

  it('gives the same one-line hints from every kind of command: one secret, many, a list, and rotate', async () => {
    const ssoHome = mkdtempSync(join(tmpdir(), 'coffer-home-sso-'));
    writeExpiredSsoProfile(ssoHome);
    const envFile = join(ssoHome, 'app.env');
    writeFileSync(envFile, 'A=1\nB=2\n');
    const keys = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' };
    const setups = [
      { env: cleanEnv(), hint: /^coffer: No AWS region is set: pass --region/ },
      { env: cleanEnv({ AWS_REGION: 'us-east-1' }), hint: /^coffer: No AWS credentials found: / },
      {
        env: { ...cleanEnv(), HOME: ssoHome, AWS_PROFILE: 'sso' },
        hint: /^coffer: Your AWS SSO session has expired: run `aws sso login`/,
      },
      {
        env: cleanEnv({
          AWS_REGION: 'us-east-1',
          ...keys,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
        }),
        hint: /^coffer: Nothing answers at http:\/\/127\.0\.0\.1:9: start the local server with `coffer serve`/,
      },
      // Keys of another server (e.g. a local server restarted on another data dir): an unknown access key, and a
      // known one with the wrong secret key.
      {
        env: cleanEnv({
          AWS_REGION: server.region,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: server.endpoint,
          AWS_ACCESS_KEY_ID: 'AKIAFROMANOTHERSERVER',
          AWS_SECRET_ACCESS_KEY: 'x',
        }),
        hint: new RegExp(
          `^coffer: The access key was not recognised by ${server.endpoint}: against AWS, check which credentials are in use \\(\`aws sts get-caller-identity\`.*; against a Coffer local server, take that server's credentials: \`eval "\\$\\(coffer env\\)"\``,
        ),
      },
      {
        env: cleanEnv({
          AWS_REGION: server.region,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: server.endpoint,
          AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: 'not-its-secret-key',
        }),
        hint: new RegExp(
          `^coffer: The secret key does not match the access key for ${server.endpoint}: against AWS, check which credentials are in use .*\`eval "\\$\\(coffer env\\)"\``,
        ),
      },
    ];
    const commands: { args: string[]; env?: Record<string, string> }[] = [
      { args: ['exec', '-s', 'app/db', '-s', 'app/api', '--', 'true'] },
      { args: ['exec', '--', 'true'], env: { DATABASE_URL: 'asm://app/db#url' } },
      { args: ['import', envFile, '--each', '--prefix', 'app/env/'] },
      { args: ['import', envFile, '--as-one', 'app/config'] },
      { args: ['export', 'app/db', 'app/api'] },
      { args: ['export', '--prefix', 'app/'] },
      { args: ['rotate', 'app/db'] },
      { args: ['list'] },
      { args: ['get', 'app/db'] },
      { args: ['describe', 'app/db'] },
      { args: ['put', 'app/db', '--file', envFile] },
    ];
    try {
      for (const setup of setups) {
        const results = await Promise.all(
          commands.map((command) => coffer(command.args, { ...setup.env, ...command.env })),
        );
        for (const [i, result] of results.entries()) {
          const what = `${commands[i]?.args.join(' ')} with ${setup.hint}`;
          expect(result.code, what).toBe(1);
          expect(result.stderr, what).toMatch(setup.hint);
          expect(result.stderr.split('\n'), what).toHaveLength(2);
        }
      }
    } finally {
      rmSync(ssoHome, { recursive: true, force: true });
    }
  });

  it("--profile follows the profile's endpoint_url (services section), as AWS_PROFILE does", async () => {
    await clientFor(server).send(
      new CreateSecretCommand({ Name: 'profile/app', SecretString: 'from-local' }),
    );
    writeFileSync(
      join(home, '.aws', 'config'),
      [
        '[profile local]',
        `region = ${server.region}`,
        'services = local-sm',
        '[services local-sm]',
        'secrets_manager =',
        `  endpoint_url = ${server.endpoint}`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(home, '.aws', 'credentials'),
      `[local]\naws_access_key_id = ${server.credentials.accessKeyId}\naws_secret_access_key = ${server.credentials.secretAccessKey}\n`,
    );
    const viaFlag = await coffer(['get', 'profile/app', '--profile', 'local'], cleanEnv());
    expect(viaFlag.stderr).toBe('');
    expect(viaFlag.stdout).toBe('from-local');
    const viaEnv = await coffer(['get', 'profile/app'], cleanEnv({ AWS_PROFILE: 'local' }));
    expect(viaEnv.stdout).toBe('from-local');
  });

  it('refuses `create` without a value unless --no-value says so, and says a value-less secret needs `coffer put`', async () => {
    const env = cleanEnv({
      AWS_REGION: server.region,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: server.endpoint,
      AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
    });
    const refused = await coffer(['create', 'hints/empty'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^coffer: Give the value: .* or --no-value for a secret without one\.\n$/);
    expect((await coffer(['create', 'hints/empty', '--no-value'], env)).code).toBe(0);
    const empty = await coffer(['get', 'hints/empty'], env);
    expect(empty.stderr).toBe(
      'coffer: Secret "hints/empty" has no value yet: store one with `coffer put hints/empty`.\n',
    );

    expect((await coffer(['create', 'hints/doomed', 'v'], env)).code).toBe(0);
    expect((await coffer(['delete', 'hints/doomed'], env)).code).toBe(0);
    const deleted = await coffer(['get', 'hints/doomed'], env);
    expect(deleted.stderr).toBe(
      'coffer: Secret "hints/doomed" is scheduled for deletion: restore it with `coffer restore hints/doomed`.\n',
    );
  });
});
