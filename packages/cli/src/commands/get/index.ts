import { Command, Option } from 'commander';
import type { CliIo } from '../../io.js';
import { withSecretOptions } from '../options.js';
import type { GetOptions } from './action.js';

export function getCommand(io: CliIo): Command {
  const command = new Command('get')
    .summary("print a secret's value")
    .description(
      "Print a secret's value: the SecretString as it is, or a SecretBinary as raw bytes. --key prints one key " +
        "of a JSON secret; --json prints the value with the version's metadata.",
    )
    .argument('<secret>', 'name or ARN of the secret')
    .addOption(new Option('-k, --key <key>', 'print only this key of a JSON secret'))
    .addOption(
      new Option('--version-stage <stage>', 'the version with this staging label (default: AWSCURRENT)'),
    )
    .addOption(new Option('--version-id <id>', 'this version').conflicts('versionStage'))
    .addHelpText(
      'after',
      `
Examples:
  $ coffer get prod/db
  $ coffer get prod/db --key password
  $ coffer get prod/db --version-stage AWSPREVIOUS
  $ coffer get prod/tls-key > key.der                 # a binary secret, byte for byte
  $ coffer get prod/db --json | jq -r .versionId`,
    );
  withSecretOptions(command, 'print { name, arn, versionId, versionStages, createdDate, value }');
  return command.action(async (secretId: string, options: GetOptions) =>
    (await import('./action.js')).run(io, secretId, options),
  );
}
