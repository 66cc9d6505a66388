import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { call } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import { NO_VALUE, readValue } from '../../input/secret-value.js';
import type { CliIo } from '../../io.js';
import { json } from '../../output/format.js';

export interface PutOptions extends AwsOptions {
  file?: string;
  binary?: boolean;
  versionStages?: string[];
  json?: boolean;
  color: boolean;
}

export async function run(
  io: CliIo,
  secretId: string,
  argument: string | undefined,
  options: PutOptions,
): Promise<void> {
  const value = await readValue(argument, options, io, 'put');
  if (value === undefined) throw NO_VALUE('put');
  const client = await clientFor(options);
  const out = await call(secretId, 'PutSecretValue', () =>
    client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ...value,
        ...(options.versionStages !== undefined && { VersionStages: options.versionStages }),
      }),
    ),
  );
  if (options.json) {
    io.stdout(
      json({
        name: out.Name,
        arn: out.ARN,
        versionId: out.VersionId,
        versionStages: out.VersionStages ?? [],
      }),
    );
    return;
  }
  io.stdout(`${out.VersionId ?? ''}\n`);
}
