import { RestoreSecretCommand } from '@aws-sdk/client-secrets-manager';
import { Command } from 'commander';
import { type AwsOptions, clientFor } from '../aws.js';
import type { CliIo } from '../io.js';
import { json } from '../output/format.js';
import { call, withSecretOptions } from '../output/secrets.js';
import { styleFor } from '../output/style.js';

interface RestoreOptions extends AwsOptions {
  json?: boolean;
  color: boolean;
}

export function restoreCommand(io: CliIo): Command {
  const command = new Command('restore')
    .summary('cancel the scheduled deletion of a secret')
    .description(
      'Cancel the scheduled deletion of a secret (RestoreSecret): it can be read and changed again.',
    )
    .argument('<secret>', 'name or ARN of the secret')
    .addHelpText(
      'after',
      `
Examples:
  $ coffer restore staging/old-db
  $ coffer list --include-deleted                   # find what is scheduled for deletion`,
    );
  withSecretOptions(command, 'print { name, arn }');
  return command.action(async (secretId: string, options: RestoreOptions) => {
    const client = clientFor(options);
    const out = await call(secretId, 'RestoreSecret', () =>
      client.send(new RestoreSecretCommand({ SecretId: secretId })),
    );
    if (options.json) {
      io.stdout(json({ name: out.Name, arn: out.ARN }));
      return;
    }
    io.stdout(`Restored ${styleFor(options, io.env).bold(out.Name ?? secretId)}.\n`);
  });
}
