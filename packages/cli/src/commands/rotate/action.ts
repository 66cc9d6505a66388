import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  RotateSecretCommand,
  type RotateSecretCommandInput,
} from '@aws-sdk/client-secrets-manager';
import type { AuditEntry } from '@coffer/local';
import { toCofferError } from 'coffer';
import { CURRENT, PENDING } from 'coffer/internal';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import { isSetupProblem, rotationHint } from '../../aws/setup-hints.js';
import { CliError } from '../../errors.js';
import { LogTail } from '../../input/log-tail.js';
import type { CliIo } from '../../io.js';
import { tryLoadLocalServer } from '../../local-server.js';

export interface RotateOptions extends AwsOptions {
  lambda?: string;
  every?: number;
  schedule?: string;
  duration?: string;
  immediately: boolean;
  dataDir?: string;
  timeout: number;
  json?: boolean;
}

const POLL_MS = 100;
const DESCRIBE_POLL_MS = 1_000;

interface StepReport {
  step: string;
  outcome: 'success' | 'error';
  durationMs?: number;
  error?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The audit entries appended since the last call. */
function readEntries(tail: LogTail, onEntry: (entry: AuditEntry) => void): void {
  tail.read((line) => {
    try {
      onEntry(JSON.parse(line) as AuditEntry);
    } catch {
      // Not a JSON line: not ours to judge here.
    }
  });
}

const sameEndpoint = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** A step's line. A failed step's error is not repeated here: the command's one error line says it. */
function formatStep(report: StepReport): string {
  const mark = report.outcome === 'success' ? '✓' : '✗';
  const time = report.durationMs === undefined ? '' : `${Math.round(report.durationMs)} ms`.padStart(9);
  return `  ${mark} ${report.step.padEnd(13)}${time}\n`;
}

const describeError = (error: unknown): string => {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
};

export async function run(io: CliIo, secretId: string, options: RotateOptions): Promise<void> {
  if (options.every !== undefined && options.schedule !== undefined) {
    throw new CliError('Use either --every or --schedule, not both.', 2);
  }
  // A local server on the data dir (when the CLI has @coffer/local) shows each step as it runs.
  const localServer = await tryLoadLocalServer();
  const running = localServer?.findRunningServer(options.dataDir);
  // Without an endpoint anywhere, a local server running on the data dir is the likely target.
  const endpoint = options.endpoint ?? io.env.AWS_ENDPOINT_URL ?? running?.endpoint;
  const region = options.region ?? (running && endpoint === running.endpoint ? running.region : undefined);
  const client = await clientFor({
    ...options,
    ...(endpoint !== undefined && { endpoint }),
    ...(region !== undefined && { region }),
  });
  const local = running !== undefined && endpoint !== undefined && sameEndpoint(endpoint, running.endpoint);
  const auditFile = local ? localServer?.auditLogPath(options.dataDir) : undefined;
  const tail = auditFile === undefined ? undefined : new LogTail(auditFile, { fromEnd: true });

  const rules: NonNullable<RotateSecretCommandInput['RotationRules']> = {};
  if (options.every !== undefined) rules.AutomaticallyAfterDays = options.every;
  if (options.schedule !== undefined) rules.ScheduleExpression = options.schedule;
  if (options.duration !== undefined) rules.Duration = options.duration;
  const token = randomUUID();
  let started: { ARN?: string | undefined; Name?: string | undefined; VersionId?: string | undefined };
  try {
    started = await client.send(
      new RotateSecretCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        ...(options.lambda !== undefined && { RotationLambdaARN: options.lambda }),
        ...(Object.keys(rules).length > 0 && { RotationRules: rules }),
        RotateImmediately: options.immediately,
      }),
    );
  } catch (error) {
    // No region, no credentials, nothing at the endpoint: the CLI's one-line hint, as for every command.
    const cofferError = toCofferError(error, secretId, 'RotateSecret');
    if (isSetupProblem(cofferError)) throw cofferError;
    throw new CliError(
      rotationHint(error, secretId, options.lambda) ?? `RotateSecret failed: ${describeError(error)}`,
    );
  }
  const arn = started.ARN ?? secretId;
  const name = started.Name ?? secretId;
  const versionId = started.VersionId ?? token;
  const human = !options.json;
  if (human) {
    io.stdout(
      options.immediately
        ? `Rotating ${name} (version ${versionId})\n`
        : `Rotation of ${name} configured; testing the function (testSecret)\n`,
    );
  }

  const deadline = Date.now() + options.timeout * 1000;
  const steps: StepReport[] = [];
  const lastStep = options.immediately ? 'finishSecret' : 'testSecret';
  let failure: string | undefined;
  if (tail !== undefined) {
    // A Coffer local server records every step in its audit log: print them as they land.
    let finished = false;
    while (!finished) {
      readEntries(tail, (entry) => {
        if (finished || entry.operation !== 'RotationStep' || entry.secretArn !== arn) return;
        const report: StepReport = {
          step: entry.step ?? '?',
          outcome: entry.outcome,
          durationMs: entry.durationMs,
        };
        if (entry.outcome === 'error') report.error = entry.errorMessage ?? entry.errorCode ?? 'failed';
        steps.push(report);
        if (human) io.stdout(formatStep(report));
        if (entry.outcome === 'error') {
          failure = `Rotation of ${name} failed at ${report.step}: ${report.error}`;
          finished = true;
        } else if (report.step === lastStep) finished = true;
      });
      if (finished) break;
      if (Date.now() > deadline) {
        failure = `Rotation of ${name} did not finish within ${options.timeout} s; see \`coffer audit\`.`;
        break;
      }
      await sleep(POLL_MS);
    }
  } else if (options.immediately) {
    // Elsewhere (AWS, or a local server without a data dir to read), only the labels show progress: AWSPENDING,
    // then AWSCURRENT on the new version. A failed step shows nowhere in them (the pending version simply stays,
    // for Secrets Manager's next attempt), so a failure is only known at the timeout: say so while waiting.
    io.stderr(
      `Waiting up to ${options.timeout} s (--timeout) for the rotation function to make version ${versionId} AWSCURRENT; Ctrl-C stops only the waiting, not the rotation. If a step fails, the function's logs say why: CloudWatch Logs on AWS, the output of \`coffer serve\` locally (or \`coffer audit\` for a server with a data dir).\n`,
    );
    let seen = '';
    const stepStart = Date.now();
    for (;;) {
      let described: DescribeSecretCommandOutput;
      try {
        described = await client.send(new DescribeSecretCommand({ SecretId: arn }));
      } catch (error) {
        failure = `DescribeSecret failed while following the rotation: ${describeError(error)}`;
        break;
      }
      const labels = described.VersionIdsToStages?.[versionId] ?? [];
      const state = labels.includes(CURRENT) ? CURRENT : labels.includes(PENDING) ? PENDING : '';
      if (state !== seen && state !== '') {
        seen = state;
        const report: StepReport = {
          step: state === CURRENT ? 'finishSecret' : 'createSecret',
          outcome: 'success',
          durationMs: Date.now() - stepStart,
        };
        steps.push(report);
        if (human) {
          io.stdout(
            state === CURRENT
              ? `  ✓ version ${versionId} is AWSCURRENT (finishSecret done)\n`
              : `  ✓ version ${versionId} staged AWSPENDING\n`,
          );
        }
      }
      if (state === CURRENT) break;
      if (Date.now() > deadline) {
        failure = `Rotation of ${name} did not finish within ${options.timeout} s: version ${versionId} is not AWSCURRENT yet; check the rotation function's logs.`;
        break;
      }
      await sleep(DESCRIBE_POLL_MS);
    }
  }

  if (options.json) {
    io.stdout(
      `${JSON.stringify({
        ARN: arn,
        Name: name,
        VersionId: versionId,
        outcome: failure === undefined ? 'success' : 'error',
        steps,
        ...(failure !== undefined && { error: failure }),
      })}\n`,
    );
  }
  if (failure !== undefined) throw new CliError(failure);
  if (human) {
    io.stdout(
      options.immediately
        ? `Rotated ${name}: version ${versionId} is now AWSCURRENT.\n`
        : `Rotation of ${name} is scheduled.\n`,
    );
  }
}
