import { Command } from 'commander';
import type { CliIo } from '../../io.js';
import { withSecretOptions } from '../options.js';
import type { DescribeOptions } from './action.js';

export function describeCommand(io: CliIo): Command {
  const command = new Command('describe')
    .summary("show a secret's metadata, versions and rotation")
    .description(
      "Show a secret's metadata (DescribeSecret): description, KMS key, dates, tags, rotation, and each version " +
        'with its staging labels. Never its value.',
    )
    .argument('<secret>', 'name or ARN of the secret')
    .addHelpText(
      'after',
      `
Examples:
  $ coffer describe prod/db
  $ coffer describe prod/db --json | jq '.versions[] | select(.stages | index("AWSPENDING"))'`,
    );
  withSecretOptions(command);
  return command.action(async (secretId: string, options: DescribeOptions) =>
    (await import('./action.js')).run(io, secretId, options),
  );
}
