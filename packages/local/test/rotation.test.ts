import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { AuditEntry, LocalSecretsManager } from '@coffer/local';
import {
  clientFor,
  errorOf,
  type FakeFunctionOptions,
  lambdaArn,
  startTestServer,
  writeFakeFunction,
} from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('rotation', () => {
  let dir: string;
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  let counter = 0;

  /** A fresh fake function registered under a fresh ARN, with its own log and API state. */
  function fakeFunction(options: Partial<FakeFunctionOptions> & { gated?: boolean } = {}) {
    const name = `fn-${++counter}`;
    const apiDir = join(dir, name);
    mkdirSync(apiDir);
    const log = join(apiDir, 'calls.log');
    const fixed = join(apiDir, 'fixed');
    const gate = join(apiDir, 'gate');
    const { gated, ...rest } = options;
    const file = writeFakeFunction(dir, name, { log, apiDir, fixed, ...rest, ...(gated && { gate }) });
    const arn = lambdaArn(name);
    server.registerRotationFunction(arn, file);
    return {
      arn,
      gate,
      fixed,
      calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
      steps: () =>
        (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []).map((l) => l.split(' ')[0]),
      activeKey: () => readFileSync(join(apiDir, 'active'), 'utf8'),
    };
  }

  const stepEntries = (arn: string): AuditEntry[] =>
    server.audit.recent().filter((e) => e.operation === 'RotationStep' && e.secretArn === arn);

  async function createSecret(
    name: string,
    value = 'key-initial',
  ): Promise<{ arn: string; versionId: string }> {
    const out = await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    return { arn: out.ARN ?? '', versionId: out.VersionId ?? '' };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-rotation-'));
    server = await startTestServer({ rotationStepTimeoutMs: 15_000 });
    client = clientFor(server);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the four steps in order on a new AWSPENDING version and makes it AWSCURRENT', async () => {
    const fn = fakeFunction();
    const { arn, versionId: first } = await createSecret('rotate/happy');
    const token = randomUUID();
    const before = Date.now();
    const out = await client.send(
      new RotateSecretCommand({
        SecretId: 'rotate/happy',
        ClientRequestToken: token,
        RotationLambdaARN: fn.arn,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    expect(out).toMatchObject({ ARN: arn, Name: 'rotate/happy', VersionId: token });
    const outcome = await server.waitForRotation('rotate/happy', { timeoutMs: 20_000 });
    expect(outcome).toMatchObject({ outcome: 'success', versionId: token, completedSteps: STEPS });

    expect(fn.calls()).toEqual(STEPS.map((step) => `${step} ${token}`));
    const entries = stepEntries(arn);
    expect(entries.map((e) => e.step)).toEqual(STEPS);
    for (const entry of entries) {
      expect(entry).toMatchObject({ principal: 'secretsmanager.amazonaws.com', outcome: 'success' });
    }

    const versions = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'rotate/happy' }));
    const stages = Object.fromEntries((versions.Versions ?? []).map((v) => [v.VersionId, v.VersionStages]));
    expect(stages).toEqual({ [token]: ['AWSCURRENT'], [first]: ['AWSPREVIOUS'] });
    const current = await client.send(new GetSecretValueCommand({ SecretId: 'rotate/happy' }));
    expect(current.VersionId).toBe(token);
    expect(current.SecretString).toMatch(/^key-/);
    expect(fn.activeKey()).toBe(current.SecretString);

    const described = await client.send(new DescribeSecretCommand({ SecretId: 'rotate/happy' }));
    expect(described.RotationEnabled).toBe(true);
    expect(described.RotationLambdaARN).toBe(fn.arn);
    expect(described.RotationRules).toEqual({ AutomaticallyAfterDays: 30 });
    const last = described.LastRotatedDate?.getTime() ?? 0;
    expect(last).toBeGreaterThanOrEqual(before - 1000);
    expect(described.NextRotationDate?.getTime()).toBe(last + 30 * 86_400_000);
    const listed = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['rotate/happy'] }] }),
    );
    expect(listed.SecretList?.[0]).toMatchObject({ RotationEnabled: true, RotationLambdaARN: fn.arn });
    expect(listed.SecretList?.[0]?.NextRotationDate).toEqual(described.NextRotationDate);
  });

  it('creates the AWSPENDING version empty before the first step, with the token as its id', async () => {
    const held = fakeFunction({ gated: true });
    await createSecret('rotate/pending');
    const token = randomUUID();
    await client.send(
      new RotateSecretCommand({
        SecretId: 'rotate/pending',
        ClientRequestToken: token,
        RotationLambdaARN: held.arn,
      }),
    );
    // createSecret is held at the gate: the version exists, labelled, with no value yet.
    await until(() => held.calls().length > 0);
    const versions = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: 'rotate/pending', IncludeDeprecated: true }),
    );
    expect(versions.Versions?.find((v) => v.VersionId === token)?.VersionStages).toEqual(['AWSPENDING']);
    const empty = await errorOf(() =>
      client.send(new GetSecretValueCommand({ SecretId: 'rotate/pending', VersionStage: 'AWSPENDING' })),
    );
    expect(empty.name).toBe('ResourceNotFoundException');

    // A second RotateSecret while this one runs is refused, as on AWS.
    const busy = await errorOf(() => client.send(new RotateSecretCommand({ SecretId: 'rotate/pending' })));
    expect(busy.name).toBe('InvalidRequestException');
    expect(busy.message).toBe('A previous rotation isn’t complete. That rotation will be reattempted.');

    writeFileSync(held.gate, '');
    expect(await server.waitForRotation('rotate/pending', { timeoutMs: 20_000 })).toMatchObject({
      outcome: 'success',
      versionId: token,
    });
  });

  it('runs only testSecret with RotateImmediately=false', async () => {
    const fn = fakeFunction();
    const { arn, versionId } = await createSecret('rotate/later');
    const out = await client.send(
      new RotateSecretCommand({
        SecretId: 'rotate/later',
        RotationLambdaARN: fn.arn,
        RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '3h' },
        RotateImmediately: false,
      }),
    );
    expect(out.VersionId).toBe(versionId);
    expect(await server.waitForRotation(arn)).toMatchObject({
      outcome: 'success',
      completedSteps: ['testSecret'],
    });
    expect(fn.steps()).toEqual(['testSecret']);
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'rotate/later' }));
    expect(described.RotationEnabled).toBe(true);
    expect(described.RotationRules).toEqual({ ScheduleExpression: 'rate(10 days)', Duration: '3h' });
    expect(described.LastRotatedDate).toBeUndefined();
    expect(described.NextRotationDate).toBeInstanceOf(Date);
    expect(Object.keys(described.VersionIdsToStages ?? {})).toEqual([versionId]);
  });

  it('leaves AWSPENDING after a failed step, and a later RotateSecret completes that same version', async () => {
    const fn = fakeFunction({ failStep: 'setSecret' });
    const { arn, versionId: first } = await createSecret('rotate/retry');
    const token = randomUUID();
    await client.send(
      new RotateSecretCommand({
        SecretId: 'rotate/retry',
        ClientRequestToken: token,
        RotationLambdaARN: fn.arn,
      }),
    );
    const failed = await server.waitForRotation('rotate/retry');
    expect(failed).toMatchObject({
      outcome: 'error',
      failedStep: 'setSecret',
      completedSteps: ['createSecret'],
      error: 'Error: the fake API is down during setSecret',
    });
    expect(fn.steps()).toEqual(['createSecret', 'setSecret']);
    const setEntry = stepEntries(arn).at(-1);
    expect(setEntry).toMatchObject({ step: 'setSecret', outcome: 'error', errorCode: 'RotationStepFailed' });
    let described = await client.send(new DescribeSecretCommand({ SecretId: 'rotate/retry' }));
    expect(described.VersionIdsToStages).toEqual({ [first]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
    expect(described.LastRotatedDate).toBeUndefined();

    // CancelRotateSecret reports the pending version.
    const cancelled = await client.send(new CancelRotateSecretCommand({ SecretId: 'rotate/retry' }));
    expect(cancelled).toMatchObject({ ARN: arn, Name: 'rotate/retry', VersionId: token });
    described = await client.send(new DescribeSecretCommand({ SecretId: 'rotate/retry' }));
    expect(described.RotationEnabled).toBe(false);

    writeFileSync(fn.fixed, '');
    const again = await client.send(new RotateSecretCommand({ SecretId: 'rotate/retry' }));
    expect(again.VersionId).toBe(token);
    expect(await server.waitForRotation('rotate/retry')).toMatchObject({
      outcome: 'success',
      versionId: token,
    });
    described = await client.send(new DescribeSecretCommand({ SecretId: 'rotate/retry' }));
    expect(described.VersionIdsToStages).toEqual({ [first]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
    expect(described.RotationEnabled).toBe(true);
  });

  it('masks secret values that a failing function quotes in its error, in the audit log and the outcome', async () => {
    const secretKey = `canary-${randomUUID()}`;
    const value = JSON.stringify({ key: secretKey });
    const fn = fakeFunction({ leakStep: 'setSecret', leakValue: value });
    const { arn } = await createSecret('rotate/leaky', value);
    await client.send(new RotateSecretCommand({ SecretId: 'rotate/leaky', RotationLambdaARN: fn.arn }));
    const outcome = await server.waitForRotation('rotate/leaky');
    expect(outcome).toMatchObject({ outcome: 'error', failedStep: 'setSecret' });
    expect(outcome?.error).toContain('rejected key *****');
    const entries = JSON.stringify(stepEntries(arn));
    expect(entries).toContain('rejected key');
    expect(entries).not.toContain(secretKey);
    expect(JSON.stringify(outcome)).not.toContain(secretKey);
  });

  it('fails the rotation when the function exits or cannot be imported, and keeps serving', async () => {
    const exits = fakeFunction({ exitStep: 'testSecret' });
    const { arn } = await createSecret('rotate/exit');
    await client.send(new RotateSecretCommand({ SecretId: 'rotate/exit', RotationLambdaARN: exits.arn }));
    expect(await server.waitForRotation(arn)).toMatchObject({
      outcome: 'error',
      failedStep: 'testSecret',
      error: 'The rotation function exited during testSecret (exit code 1).',
    });
    expect(stepEntries(arn).at(-1)).toMatchObject({ errorCode: 'RotationFunctionCrashed' });

    const broken = fakeFunction({ throwAtImport: true });
    const second = await createSecret('rotate/broken');
    await client.send(new RotateSecretCommand({ SecretId: 'rotate/broken', RotationLambdaARN: broken.arn }));
    const outcome = await server.waitForRotation(second.arn);
    expect(outcome).toMatchObject({ outcome: 'error', failedStep: 'createSecret' });
    expect(outcome?.error).toBe('The rotation function could not be loaded: Error: this module is broken');

    const value = await client.send(new GetSecretValueCommand({ SecretId: 'rotate/exit' }));
    expect(value.SecretString).toBe('key-initial');
  });

  it('refuses a TypeScript function where Node cannot run it, and says where a function imports from', async () => {
    const typescript = join(dir, 'rotate.ts');
    writeFileSync(typescript, 'export const handler = async (event: unknown): Promise<void> => {};\n');
    const register = () => server.registerRotationFunction(lambdaArn('typescript'), typescript);
    if ((process.features as { typescript?: unknown }).typescript) expect(register).not.toThrow();
    else
      expect(register).toThrow(
        /^Node v[\d.]+ cannot load the TypeScript rotation function .*rotate\.ts: compile it to JavaScript first/,
      );

    // A module outside any project: its imports cannot see this repository's node_modules.
    const outside = mkdtempSync(join(tmpdir(), 'coffer-outside-'));
    const lonely = join(outside, 'rotate.mjs');
    writeFileSync(lonely, "import 'coffer-package-not-installed';\nexport const handler = async () => {};\n");
    server.registerRotationFunction(lambdaArn('lonely'), lonely);
    const { arn } = await createSecret('rotate/lonely');
    await client.send(
      new RotateSecretCommand({ SecretId: 'rotate/lonely', RotationLambdaARN: lambdaArn('lonely') }),
    );
    const outcome = await server.waitForRotation(arn);
    expect(outcome?.error).toMatch(
      /^The rotation function could not be loaded: Error: Cannot find package 'coffer-package-not-installed'.*resolve from its own folder, .*coffer-outside-.*: put it inside the project/,
    );
    rmSync(outside, { recursive: true, force: true });
  });

  it('builds, with the command it prints for a TypeScript function, a bundle that rotates', async () => {
    // Inside the repository, so the function's imports (coffer/rotation, the AWS SDK) resolve as in a project.
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    mkdirSync(join(root, '.coffer-test'), { recursive: true });
    const project = mkdtempSync(join(root, '.coffer-test', 'ts-rotation-'));
    try {
      const source = join(project, 'rotate-key.ts');
      writeFileSync(
        source,
        [
          "import { createRotationHandler, custom } from 'coffer/rotation';",
          '',
          'const accepted = new Set<string>();',
          'export const handler = createRotationHandler({',
          '  rotator: custom({',
          "    generate: async (_current, ctx) => 'key-' + (await ctx.randomPassword({ length: 24 })).reveal(),",
          '    set: async (pending) => {',
          '      accepted.add(pending.reveal());',
          '    },',
          '    test: async (pending) => {',
          "      if (!accepted.has(pending.reveal())) throw new Error('the new key was not set');",
          '    },',
          '  }),',
          '});',
          '',
        ].join('\n'),
      );
      let registered = source;
      if (!(process.features as { typescript?: unknown }).typescript) {
        let hint = '';
        try {
          server.registerRotationFunction(lambdaArn('ts-hint'), source);
        } catch (error) {
          hint = (error as Error).message;
        }
        const command = /`(npx esbuild [^`]+)`/.exec(hint)?.[1];
        const bundle = /register (\S+) instead/.exec(hint)?.[1];
        expect(command, hint).toBeDefined();
        expect(bundle, hint).toBe(join(project, 'rotate-key.mjs'));
        await run('sh', ['-c', command as string], { cwd: root });
        registered = bundle as string;
      }
      server.registerRotationFunction(lambdaArn('ts-hint'), registered);
      const { arn } = await createSecret('rotate/ts-hint');
      await client.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: lambdaArn('ts-hint') }));
      expect(await server.waitForRotation(arn, { timeoutMs: 60_000 })).toMatchObject({ outcome: 'success' });
      const value = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      expect(value.SecretString).toMatch(/^key-.{24}$/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }, 120_000);

  it('kills a step that runs past the timeout', async () => {
    const local = await startTestServer({ rotationStepTimeoutMs: 300 });
    try {
      const hangs = writeFakeFunction(dir, 'hangs', {
        log: join(dir, 'hangs.log'),
        apiDir: dir,
        hangStep: 'createSecret',
      });
      local.registerRotationFunction(lambdaArn('hangs'), hangs);
      const sm = clientFor(local);
      await sm.send(new CreateSecretCommand({ Name: 'rotate/hangs', SecretString: 'x' }));
      await sm.send(
        new RotateSecretCommand({ SecretId: 'rotate/hangs', RotationLambdaARN: lambdaArn('hangs') }),
      );
      expect(await local.waitForRotation('rotate/hangs')).toMatchObject({
        outcome: 'error',
        failedStep: 'createSecret',
        error: 'createSecret timed out after 300 ms; the function was stopped.',
      });
    } finally {
      await local.close();
    }
  });

  it('refuses an unknown Lambda ARN and a missing one as AWS does', async () => {
    const { versionId } = await createSecret('rotate/refused');
    const fn = fakeFunction();
    const reused = await errorOf(() =>
      client.send(
        new RotateSecretCommand({
          SecretId: 'rotate/refused',
          RotationLambdaARN: fn.arn,
          ClientRequestToken: versionId,
        }),
      ),
    );
    expect(reused.name).toBe('ResourceExistsException');
    const unknown = await errorOf(() =>
      client.send(
        new RotateSecretCommand({ SecretId: 'rotate/refused', RotationLambdaARN: lambdaArn('nope') }),
      ),
    );
    expect(unknown.name).toBe('AccessDeniedException');
    expect(unknown.message).toBe(
      'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.',
    );
    const none = await errorOf(() => client.send(new RotateSecretCommand({ SecretId: 'rotate/refused' })));
    expect(none.name).toBe('InvalidRequestException');
    const missing = await errorOf(() =>
      client.send(new RotateSecretCommand({ SecretId: 'rotate/nope', RotationLambdaARN: lambdaArn('x') })),
    );
    expect(missing.name).toBe('ResourceNotFoundException');
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'rotate/refused' }));
    expect(described.RotationEnabled).toBeUndefined();
    expect(fn.calls()).toEqual([]);
  });

  it('needs secretsmanager:RotateSecret and CancelRotateSecret on the secret', async () => {
    const fn = fakeFunction();
    await createSecret('rotate/authz');
    const reader = server.addCredential({
      userName: 'rotation-reader',
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: '*' }],
      },
    });
    const limited = clientFor(server, { credentials: reader });
    for (const command of [
      new RotateSecretCommand({ SecretId: 'rotate/authz', RotationLambdaARN: fn.arn }),
      new CancelRotateSecretCommand({ SecretId: 'rotate/authz' }),
    ]) {
      const denied = await errorOf(() => limited.send(command as RotateSecretCommand));
      expect(denied.name).toBe('AccessDeniedException');
      expect(denied.message).toMatch(
        /is not authorized to perform: secretsmanager:(Rotate|CancelRotate)Secret/,
      );
    }
  });

  it('validates RotationRules', async () => {
    const fn = fakeFunction();
    await createSecret('rotate/rules');
    const rotate = (RotationRules: Record<string, unknown>) =>
      errorOf(() =>
        client.send(
          new RotateSecretCommand({
            SecretId: 'rotate/rules',
            RotationLambdaARN: fn.arn,
            RotateImmediately: false,
            RotationRules,
          }),
        ),
      );
    const zero = await rotate({ AutomaticallyAfterDays: 0 });
    expect(zero.name).toBe('ValidationException');
    expect(zero.message).toBe(
      "1 validation error detected: Value '0' at 'rotationRules.automaticallyAfterDays' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    expect((await rotate({ AutomaticallyAfterDays: 1001 })).name).toBe('ValidationException');
    expect((await rotate({ Duration: '3hours' })).name).toBe('ValidationException');
    for (const rules of [
      { AutomaticallyAfterDays: 5, ScheduleExpression: 'rate(5 days)' },
      { ScheduleExpression: 'rate(2 hours)' },
      { ScheduleExpression: 'rate(5 weeks)' },
      { ScheduleExpression: 'cron(0 16 * * *)' },
      { ScheduleExpression: 'cron(0 16 1 * MON *)' },
      { ScheduleExpression: 'cron(0 16 ? * 9 *)' },
      { ScheduleExpression: 'rate(1 days)', Duration: '25h' },
      { AutomaticallyAfterDays: 1, Duration: '0h' },
      { Duration: '3h' },
      // No date ever matches: a past year, a day that does not exist, a 29th of February in no leap year.
      { ScheduleExpression: 'cron(0 0 * * ? 1999)' },
      { ScheduleExpression: 'cron(0 0 30 2 ? *)' },
      { ScheduleExpression: 'cron(0 0 29 2 ? 2027)' },
    ]) {
      const error = await rotate(rules);
      expect(error.name, JSON.stringify(rules)).toBe('InvalidParameterException');
    }
    // Valid: AWS's six-field cron, on the first Monday of each month at 16:00 UTC.
    await client.send(
      new RotateSecretCommand({
        SecretId: 'rotate/rules',
        RotationLambdaARN: fn.arn,
        RotateImmediately: false,
        RotationRules: { ScheduleExpression: 'cron(0 16 ? * MON#1 *)', Duration: '2h' },
      }),
    );
    await server.waitForRotation('rotate/rules');
    const next = (await client.send(new DescribeSecretCommand({ SecretId: 'rotate/rules' })))
      .NextRotationDate;
    expect(next?.getUTCDay()).toBe(1);
    expect(next?.getUTCDate()).toBeLessThanOrEqual(7);
    expect(next?.getUTCHours()).toBe(16);
    expect(next?.getTime()).toBeGreaterThan(Date.now());
  });
});

describe('scheduled rotation', () => {
  it('rotates a secret once its NextRotationDate has passed on the server clock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-schedule-'));
    let now = Date.UTC(2030, 0, 1, 12);
    const server = await startTestServer({ now: () => now, rotationCheckIntervalMs: 25 });
    try {
      const file = writeFakeFunction(dir, 'scheduled', { log: join(dir, 'calls.log'), apiDir: dir });
      server.registerRotationFunction(lambdaArn('scheduled'), file);
      const client = clientFor(server);
      const created = await client.send(
        new CreateSecretCommand({ Name: 'scheduled', SecretString: 'key-0' }),
      );
      await client.send(
        new RotateSecretCommand({
          SecretId: 'scheduled',
          RotationLambdaARN: lambdaArn('scheduled'),
          RotationRules: { AutomaticallyAfterDays: 2 },
          RotateImmediately: false,
        }),
      );
      await server.waitForRotation('scheduled');
      let described = await client.send(new DescribeSecretCommand({ SecretId: 'scheduled' }));
      expect(described.NextRotationDate?.getTime()).toBe(now + 2 * 86_400_000);

      // A day later: not due yet.
      now += 86_400_000;
      await new Promise((r) => setTimeout(r, 150));
      const count = () =>
        server.audit.recent().filter((e) => e.operation === 'RotationStep' && e.step === 'finishSecret')
          .length;
      expect(count()).toBe(0);

      now += 86_400_000 + 1000;
      await until(() => count() === 1);
      expect(await server.waitForRotation('scheduled')).toMatchObject({ outcome: 'success' });
      described = await client.send(new DescribeSecretCommand({ SecretId: 'scheduled' }));
      expect(described.LastRotatedDate?.getTime()).toBe(now);
      expect(described.NextRotationDate?.getTime()).toBe(now + 2 * 86_400_000);
      const stages = described.VersionIdsToStages ?? {};
      expect(stages[created.VersionId ?? '']).toEqual(['AWSPREVIOUS']);
      expect(Object.values(stages)).toContainEqual(['AWSCURRENT']);

      // Cancelled: no more scheduled rotations, and no NextRotationDate.
      await client.send(new CancelRotateSecretCommand({ SecretId: 'scheduled' }));
      now += 10 * 86_400_000;
      await new Promise((r) => setTimeout(r, 150));
      expect(count()).toBe(1);
      described = await client.send(new DescribeSecretCommand({ SecretId: 'scheduled' }));
      expect(described.NextRotationDate).toBeUndefined();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
