import { Command, Option } from 'commander';
import type { CliIo } from '../../io.js';
import { withSecretOptions } from '../options.js';
import type { ExportOptions } from './action.js';

export function exportCommand(io: CliIo): Command {
  const command = new Command('export')
    .summary('write secrets as a .env or JSON file')
    .description(
      'Write secrets as .env lines (quoted so that dotenv reads back exactly the same values) or as one JSON ' +
        'object. Each key of a JSON secret becomes a variable; any other secret becomes one variable named after ' +
        'the last part of its name. With --prefix, every secret under the prefix is one variable named by the ' +
        'rest of its name: the inverse of `coffer import --each --prefix`.',
    )
    .argument('[secret...]', 'names or ARNs of the secrets')
    .addOption(new Option('-p, --prefix <prefix>', 'export every secret whose name starts with this'))
    .addOption(new Option('--format <format>', 'output format').choices(['env', 'json']).default('env'))
    .addOption(new Option('-o, --output <file>', 'write to this file (mode 0600) instead of stdout'))
    .addHelpText(
      'after',
      `
Examples:
  $ coffer export prod/app/config > .env.local
  $ coffer export prod/app/config prod/app/api -o .env         # the file is created with mode 0600
  $ coffer export --prefix prod/app/ --format json -o secrets.json

The output holds secret values in clear text: keep such files out of version control and delete them.`,
    );
  // No --json: it would be ambiguous next to --format json, and export has no metadata to print.
  withSecretOptions(command, false);
  return command.action(async (secretIds: string[], options: ExportOptions) =>
    (await import('./action.js')).run(io, secretIds, options),
  );
}
