import { Command, Option } from 'commander';
import type { CliIo } from '../../io.js';
import { withSecretOptions } from '../options.js';
import type { ImportOptions } from './action.js';

export function importCommand(io: CliIo): Command {
  const command = new Command('import')
    .summary('store a .env or JSON file as secrets')
    .description(
      'Store the variables of a .env file (or the members of a JSON object) in Secrets Manager: with ' +
        '--as-one <name>, all of them in one JSON secret (created, or a new version when it exists); with --each, ' +
        'one secret per key named <prefix><KEY>. Files ending in .json (or starting with {) are read as JSON.',
    )
    .argument('<file>', '.env or JSON file')
    .addOption(new Option('--as-one <name>', 'store every key in this one JSON secret'))
    .addOption(new Option('--each', 'one secret per key, named <prefix><KEY>').conflicts('asOne'))
    .addOption(
      new Option('--prefix <prefix>', 'with --each: prefix of the secret names, e.g. prod/app/').default(''),
    )
    .addOption(
      new Option('--format <format>', 'how to read the file (default: from its name)').choices([
        'env',
        'json',
      ]),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ coffer import .env --as-one prod/app/config
  $ coffer import .env --each --prefix prod/app/          # prod/app/DATABASE_URL, prod/app/API_KEY, ...
  $ coffer import settings.json --as-one prod/app/settings --json

A progress bar is drawn on stderr when it is a terminal.`,
    );
  withSecretOptions(command, 'print a summary: { mode, secrets: [{ name, arn, versionId, action }] }');
  return command.action(async (file: string, options: ImportOptions) =>
    (await import('./action.js')).run(io, file, options),
  );
}
