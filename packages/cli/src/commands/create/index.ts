import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../../io.js';
import { withSecretOptions } from '../options.js';
import type { CreateOptions } from './action.js';

type Tags = NonNullable<CreateOptions['tag']>;

const collectTag = (text: string, previous: Tags | undefined): Tags => {
  const at = text.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('must be key=value, e.g. --tag team=payments.');
  return [...(previous ?? []), { Key: text.slice(0, at), Value: text.slice(at + 1) }];
};

export function createCommand(io: CliIo): Command {
  const command = new Command('create')
    .summary('create a secret')
    .description(
      'Create a secret (CreateSecret) and print its ARN. The value comes from stdin (`-`, or whatever is piped ' +
        'in), from --file, or from the argument (which your shell may keep in its history). To create a secret ' +
        'with no value yet (for `coffer put` later), say so with --no-value.',
    )
    .argument('<name>', 'name of the new secret, e.g. prod/db')
    .argument('[value]', 'the value; `-` to read stdin')
    .addOption(new Option('-f, --file <path>', 'read the value from this file'))
    .addOption(new Option('--binary', 'store the bytes of --file or stdin as SecretBinary'))
    .addOption(
      new Option('--no-value', 'create the secret without a value; store one later with `coffer put`'),
    )
    .addOption(new Option('-d, --description <text>', 'description'))
    .addOption(new Option('-t, --tag <key=value>', 'tag (repeatable)').argParser(collectTag))
    .addOption(new Option('--kms-key-id <key>', 'KMS key to encrypt with (default: aws/secretsmanager)'))
    .addHelpText(
      'after',
      `
Examples:
  $ coffer create prod/db --file db.json --description "orders database" --tag team=orders --tag env=prod
  $ openssl rand -hex 32 | coffer create prod/session-key
  $ coffer create prod/tls-key --binary --file key.der --kms-key-id alias/prod-secrets`,
    );
  withSecretOptions(command, 'print { name, arn, versionId }');
  return command.action(async (name: string, argument: string | undefined, options: CreateOptions) =>
    (await import('./action.js')).run(io, name, argument, options),
  );
}
