import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../../io.js';
import { withSecretOptions } from '../options.js';
import type { DeleteOptions } from './action.js';

const recoveryDays = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 7 || Number(value) > 30) {
    throw new InvalidArgumentError('must be a whole number of days from 7 to 30.');
  }
  return Number(value);
};

export function deleteCommand(io: CliIo): Command {
  const command = new Command('delete')
    .summary('schedule a secret for deletion (or delete it now with --force)')
    .description(
      'Schedule a secret for deletion after a recovery window (DeleteSecret; 30 days unless ' +
        '--recovery-window says otherwise) and print the deletion date. Until then `coffer restore` brings it ' +
        'back. --force deletes it at once, with no way back. Asks nothing: check the name first.',
    )
    .argument('<secret>', 'name or ARN of the secret')
    .addOption(
      new Option('-w, --recovery-window <days>', 'days before it is deleted, 7 to 30').argParser(
        recoveryDays,
      ),
    )
    .addOption(
      new Option('--force', 'delete now, without recovery (ForceDeleteWithoutRecovery)').conflicts(
        'recoveryWindow',
      ),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ coffer delete staging/old-db --recovery-window 7
  $ coffer delete tmp/test-secret --force
  $ coffer restore staging/old-db                   # changed your mind within the window`,
    );
  withSecretOptions(command, 'print { name, arn, deletionDate, recoverable }');
  return command.action(async (secretId: string, options: DeleteOptions) =>
    (await import('./action.js')).run(io, secretId, options),
  );
}
