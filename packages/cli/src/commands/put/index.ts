import { Command, Option } from 'commander';
import type { CliIo } from '../../io.js';
import { collectStages, withSecretOptions } from '../options.js';
import type { PutOptions } from './action.js';

export function putCommand(io: CliIo): Command {
  const command = new Command('put')
    .summary('store a new version of a secret')
    .description(
      'Store a new version of an existing secret (PutSecretValue) and print its version id. The value comes from ' +
        'stdin (`-`, or whatever is piped in), from --file, or from the argument (which your shell may keep in its ' +
        'history). One trailing newline is dropped from stdin; files are stored byte for byte.',
    )
    .argument('<secret>', 'name or ARN of the secret')
    .argument('[value]', 'the value; `-` or none to read stdin')
    .addOption(new Option('-f, --file <path>', 'read the value from this file'))
    .addOption(new Option('--binary', 'store the bytes of --file or stdin as SecretBinary'))
    .addOption(
      new Option(
        '--version-stages <labels>',
        'staging labels for the new version, comma-separated (default: AWSCURRENT)',
      ).argParser(collectStages),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ coffer put prod/db --file db.json
  $ printf %s "$TOKEN" | coffer put prod/api-token
  $ coffer put prod/tls-key --binary --file key.der
  $ coffer put prod/db --file next.json --version-stages AWSPENDING`,
    );
  withSecretOptions(command, 'print { name, arn, versionId, versionStages }');
  return command.action(async (secretId: string, argument: string | undefined, options: PutOptions) =>
    (await import('./action.js')).run(io, secretId, argument, options),
  );
}
