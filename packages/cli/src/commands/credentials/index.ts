import { Command, Option } from 'commander';
import type { CliIo } from '../../io.js';
import type { AddCredentialOptions, ListCredentialsOptions, RemoveCredentialOptions } from './action.js';

const dataDirOption = () =>
  new Option('-d, --data-dir <dir>', 'data dir of the server (default: your data directory)');

export function credentialsCommand(io: CliIo): Command {
  const command = new Command('credentials')
    .summary('manage who may call the local server')
    .description('Add, list and remove credentials of a local server, each with an IAM-style policy.');

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
    .action(async (options: ListCredentialsOptions) => (await import('./action.js')).list(io, options));

  command
    .command('remove')
    .description(
      'Remove the credential of a user. A running server on the data dir refuses it within a second.',
    )
    .argument('<user>', 'user name')
    .addOption(dataDirOption())
    .action(async (user: string, options: RemoveCredentialOptions) =>
      (await import('./action.js')).remove(io, user, options),
    );

  return command;
}
