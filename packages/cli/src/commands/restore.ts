import { Command } from 'commander';
import type { AwsOptions } from '../aws/client.js';
import type { CliIo } from '../io.js';
import { withSecretOptions } from './options.js';

export interface RestoreOptions extends AwsOptions {
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
  return command.action(async (secretId: string, options: RestoreOptions) =>
    (await import('../actions/restore.js')).run(io, secretId, options),
  );
}
