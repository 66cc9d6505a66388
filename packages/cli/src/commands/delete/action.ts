import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { call } from '../../aws/calls.js';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import type { CliIo } from '../../io.js';
import { humanDate, isoDate, json } from '../../output/format.js';
import { styleFor } from '../../output/style.js';

export interface DeleteOptions extends AwsOptions {
  recoveryWindow?: number;
  force?: boolean;
  json?: boolean;
  color: boolean;
}

export async function run(io: CliIo, secretId: string, options: DeleteOptions): Promise<void> {
  const client = await clientFor(options);
  const out = await call(secretId, 'DeleteSecret', () =>
    client.send(
      new DeleteSecretCommand({
        SecretId: secretId,
        ...(options.force && { ForceDeleteWithoutRecovery: true }),
        ...(options.recoveryWindow !== undefined && { RecoveryWindowInDays: options.recoveryWindow }),
      }),
    ),
  );
  const recoverable = options.force !== true;
  if (options.json) {
    io.stdout(json({ name: out.Name, arn: out.ARN, deletionDate: isoDate(out.DeletionDate), recoverable }));
    return;
  }
  const style = styleFor(options, io.env);
  const name = out.Name ?? secretId;
  io.stdout(
    recoverable
      ? `Scheduled ${style.bold(name)} for deletion on ${humanDate(out.DeletionDate)}; undo with \`coffer restore ${name}\` before then.\n`
      : `${style.red('Deleted')} ${style.bold(name)} for good (${humanDate(out.DeletionDate)}); it cannot be restored.\n`,
  );
}
