import { Command } from 'commander';
import type { CliIo } from '../../io.js';
import { withSecretOptions } from '../options.js';
import type { RestoreOptions } from './action.js';

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
    (await import('./action.js')).run(io, secretId, options),
  );
}
