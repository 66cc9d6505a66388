import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { clientFor } from '../aws.js';
import type { CreateOptions } from '../commands/create.js';
import type { CliIo } from '../io.js';
import { json } from '../output/format.js';
import { call } from '../output/secrets.js';
import { readValue } from '../output/value.js';

export async function run(
  io: CliIo,
  name: string,
  argument: string | undefined,
  options: CreateOptions,
): Promise<void> {
  const value = await readValue(argument, options, io, 'create');
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
