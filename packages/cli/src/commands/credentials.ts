import { readFileSync } from 'node:fs';
import { LocalAdmin, type PolicyDocument } from '@coffer/local';
import { Command, Option } from 'commander';
import { CliError, type CliIo, shellQuote } from '../io.js';

const dataDirOption = () =>
  new Option('-d, --data-dir <dir>', 'data dir of the server (default: your data directory)');

function withAdmin<T>(dataDir: string | undefined, fn: (admin: LocalAdmin) => T): T {
  const admin = new LocalAdmin(dataDir !== undefined ? { dataDir } : {});
  try {
    return fn(admin);
  } finally {
    admin.close();
  }
}

function readPolicy(file: string): PolicyDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read policy file ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as PolicyDocument;
  } catch {
    throw new CliError(`Policy file ${file} is not valid JSON.`);
  }
}

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
    .action((user: string, options: { policy?: string; dataDir?: string }) => {
      const policy = options.policy === undefined ? undefined : readPolicy(options.policy);
      const credential = withAdmin(options.dataDir, (admin) => {
        try {
          return admin.add({ userName: user, ...(policy !== undefined && { policy }) });
        } catch (error) {
          throw new CliError((error as Error).message);
        }
      });
      io.stderr(`Created a credential for ${credential.principalArn}. Use it with:\n\n`);
      io.stdout(
        `export AWS_ACCESS_KEY_ID=${shellQuote(credential.accessKeyId)}\n` +
          `export AWS_SECRET_ACCESS_KEY=${shellQuote(credential.secretAccessKey)}\n`,
      );
    });

  command
    .command('list')
    .description('List the credentials (access key ids and users; never the secret keys).')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action((options: { dataDir?: string; json?: boolean }) => {
      const rows = withAdmin(options.dataDir, (admin) =>
        admin.list().map((c) => ({
          userName: c.userName,
          accessKeyId: c.accessKeyId,
          principal: c.principalArn,
          policy: c.policy,
        })),
      );
      if (options.json) {
        io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const row of rows) io.stdout(`${row.accessKeyId}  ${row.userName}\n`);
    });

  command
    .command('remove')
    .description('Remove the credential of a user. Restart a running server for it to forget the key.')
    .argument('<user>', 'user name')
    .addOption(dataDirOption())
    .action((user: string, options: { dataDir?: string }) => {
      if (!withAdmin(options.dataDir, (admin) => admin.remove(user))) {
        throw new CliError(`No credential for user ${user}.`);
      }
      io.stderr(`Removed the credential of ${user}.\n`);
    });

  return command;
}
