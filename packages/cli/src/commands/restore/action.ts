import { RestoreSecretCommand } from '@aws-sdk/client-secrets-manager';
import { call } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import type { CliIo } from '../../io.js';
import { json } from '../../output/format.js';
import { styleFor } from '../../output/style.js';

export interface RestoreOptions extends AwsOptions {
  json?: boolean;
  color: boolean;
}

export async function run(io: CliIo, secretId: string, options: RestoreOptions): Promise<void> {
  const client = await clientFor(options);
  const out = await call(secretId, 'RestoreSecret', () =>
    client.send(new RestoreSecretCommand({ SecretId: secretId })),
  );
  if (options.json) {
    io.stdout(json({ name: out.Name, arn: out.ARN }));
    return;
  }
  io.stdout(`Restored ${styleFor(options, io.env).bold(out.Name ?? secretId)}.\n`);
}
