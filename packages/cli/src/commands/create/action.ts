import { CreateSecretCommand, type Tag } from '@aws-sdk/client-secrets-manager';
import { call } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import { CliError, EXIT } from '../../errors.js';
import { NO_VALUE, readValue } from '../../input/secret-value.js';
import type { CliIo } from '../../io.js';
import { json } from '../../output/format.js';

export interface CreateOptions extends AwsOptions {
  file?: string;
  binary?: boolean;
  /** False with --no-value: create the secret without a value, on purpose. */
  value: boolean;
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
  const value = options.value ? await readValue(argument, options, io, 'create') : undefined;
  if (options.value && value === undefined)
    throw NO_VALUE('create', '; or --no-value for a secret without one');
  if (!options.value && (argument !== undefined || options.file !== undefined)) {
    throw new CliError(
      '--no-value creates a secret without a value: leave out the value and --file.',
      EXIT.usage,
    );
  }
  const client = await clientFor(options);
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
