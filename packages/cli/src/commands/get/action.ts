import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { call } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import { CliError } from '../../errors.js';
import type { CliIo } from '../../io.js';
import { isoDate, json } from '../../output/format.js';

export interface GetOptions extends AwsOptions {
  key?: string;
  versionStage?: string;
  versionId?: string;
  json?: boolean;
  color: boolean;
}

/** The value of one JSON key, or a one-line error that says which keys there are. */
function pickKey(secretId: string, text: string, key: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`Secret "${secretId}" is not a JSON object, so it has no key "${key}": drop --key.`);
  }
  if (!Object.hasOwn(parsed, key)) {
    const keys = Object.keys(parsed);
    throw new CliError(
      `Secret "${secretId}" has no key "${key}"; its keys are: ${keys.length === 0 ? '(none)' : keys.join(', ')}.`,
    );
  }
  return (parsed as Record<string, unknown>)[key];
}

export async function run(io: CliIo, secretId: string, options: GetOptions): Promise<void> {
  const client = await clientFor(options);
  const out = await call(secretId, 'GetSecretValue', () =>
    client.send(
      new GetSecretValueCommand({
        SecretId: secretId,
        ...(options.versionStage !== undefined && { VersionStage: options.versionStage }),
        ...(options.versionId !== undefined && { VersionId: options.versionId }),
      }),
    ),
  );
  const binary = out.SecretString === undefined && out.SecretBinary !== undefined;
  if (binary && options.key !== undefined) {
    throw new CliError(`Secret "${secretId}" is binary, so it has no key "${options.key}": drop --key.`);
  }
  const text = out.SecretString ?? '';
  const value: unknown = options.key === undefined ? text : pickKey(secretId, text, options.key);
  if (options.json) {
    io.stdout(
      json({
        name: out.Name,
        arn: out.ARN,
        versionId: out.VersionId,
        versionStages: out.VersionStages ?? [],
        createdDate: isoDate(out.CreatedDate),
        ...(binary
          ? { value: Buffer.from(out.SecretBinary ?? []).toString('base64'), encoding: 'base64' }
          : { value }),
      }),
    );
    return;
  }
  if (binary) {
    // Raw bytes, untouched: `coffer get x > file` must give back exactly what was stored.
    process.stdout.write(Buffer.from(out.SecretBinary ?? []));
    return;
  }
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  // A final newline only for people: in a pipe the value is exact.
  io.stdout(process.stdout.isTTY && !shown.endsWith('\n') ? `${shown}\n` : shown);
}
