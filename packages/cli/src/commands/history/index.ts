import { Command } from 'commander';
import type { CliIo } from '../../io.js';
import { withSecretOptions } from '../options.js';
import type { HistoryOptions } from './action.js';

export function historyCommand(io: CliIo): Command {
  const command = new Command('history')
    .summary("list a secret's versions and their staging labels, newest first")
    .description(
      'List every version of a secret, newest first, with its staging labels (AWSCURRENT, AWSPREVIOUS, ...), ' +
        'when it was created and last read. Versions without a label are deprecated: Secrets Manager deletes them ' +
        'in time.',
    )
    .argument('<secret>', 'name or ARN of the secret')
    .addHelpText(
      'after',
      `
Examples:
  $ coffer history prod/db
  $ coffer history prod/db --json | jq -r '.versions[1].versionId'   # the version before the newest`,
    );
  withSecretOptions(
    command,
    'print { name, arn, versions: [{ versionId, stages, createdDate, lastAccessedDate }] }',
  );
  return command.action(async (secretId: string, options: HistoryOptions) =>
    (await import('./action.js')).run(io, secretId, options),
  );
}
