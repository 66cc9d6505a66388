import { CreateSecretCommand, type Tag } from '@aws-sdk/client-secrets-manager';
import { call } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import { readValue } from '../../input/secret-value.js';
import type { CliIo } from '../../io.js';
import { json } from '../../output/format.js';

export interface CreateOptions extends AwsOptions {
  file?: string;
  binary?: boolean;
  description?: string;
  tag?: Tag[];
  kmsKeyId?: string;
  json?: boolean;
  color: boolean;
}

export async function run(
  io: CliIo,
  name: string,
  argument: string | undefined,
  options: CreateOptions,
): Promise<void> {
  const value = await readValue(argument, options, io, 'create');
  const client = clientFor(options);
  const out = await call(name, 'CreateSecret', () =>
    client.send(
      new CreateSecretCommand({
        Name: name,
        ...value,
        ...(options.description !== undefined && { Description: options.description }),
        ...(options.tag !== undefined && { Tags: options.tag }),
        ...(options.kmsKeyId !== undefined && { KmsKeyId: options.kmsKeyId }),
      }),
    ),
  );
  if (options.json) {
    io.stdout(json({ name: out.Name, arn: out.ARN, versionId: out.VersionId }));
    return;
  }
  io.stdout(`${out.ARN ?? ''}\n`);
}
