import { Command, Option } from 'commander';
import type { CliIo } from '../../io.js';
import type { AddCredentialOptions, ListCredentialsOptions, RemoveCredentialOptions } from './action.js';

const dataDirOption = () =>
  new Option('-d, --data-dir <dir>', 'data dir of the server (default: your data directory)');

export function credentialsCommand(io: CliIo): Command {
  const command = new Command('credentials')
    .summary('manage who may call the local server')
    .description('Add, list and remove credentials of a local server, each with an IAM-style policy.')
    .addHelpText(
      'after',
      `
Examples:
  $ coffer credentials add app-reader --policy reader.json    # prints the exports for the new credential
  $ coffer credentials list
  $ coffer credentials remove app-reader

\`coffer credentials <command> --help\` shows each command's options.`,
    );

  command
    .command('add')
    .description('Create a credential for a user, with an IAM-style policy (default: full access).')
    .argument('<user>', 'user name; the principal becomes arn:aws:iam::<account>:user/<user>')
    .addOption(
      new Option(
        '--policy <file>',
        'JSON policy: Allow/Deny statements of secretsmanager:* actions on secret ARNs',
      ),
    )
    .addOption(dataDirOption())
    .addHelpText(
      'after',
      `
Example policy (read-only access to app/* secrets):
  {"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],
    "Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:app/*"}]}

Examples:
  $ coffer credentials add app-reader --policy reader.json
  $ eval "$(coffer credentials add ci --policy ci.json)"`,
    )
    .action(async (user: string, options: AddCredentialOptions) =>
      (await import('./action.js')).add(io, user, options),
    );

  command
    .command('list')
    .description('List the credentials (access key ids and users; never the secret keys).')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ coffer credentials list
  $ coffer credentials list --data-dir .coffer
  $ coffer credentials list --json | jq -r '.[].userName'`,
    )
    .action(async (options: ListCredentialsOptions) => (await import('./action.js')).list(io, options));

  command
    .command('remove')
    .description(
      'Remove the credential of a user. A running server on the data dir refuses it within a second.',
    )
    .argument('<user>', 'user name')
    .addOption(dataDirOption())
    .addHelpText(
      'after',
      `
Examples:
  $ coffer credentials remove app-reader
  $ coffer credentials remove ci --data-dir .coffer`,
    )
    .action(async (user: string, options: RemoveCredentialOptions) =>
      (await import('./action.js')).remove(io, user, options),
    );

  return command;
}
