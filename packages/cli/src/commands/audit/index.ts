import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../../io.js';
import type { AuditOptions } from './action.js';

const positiveInt = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('must be a whole number above 0.');
  return Number(value);
};

export function auditCommand(io: CliIo): Command {
  return new Command('audit')
    .summary("print and follow the local server's audit log")
    .description(
      'Print the audit log of a local server: one line per API call with time, principal, operation, ' +
        'outcome and secret. It never holds a secret value.',
    )
    .addOption(new Option('-d, --data-dir <dir>', 'data dir of the server (default: your data directory)'))
    .addOption(new Option('-f, --follow', 'keep printing new calls as they happen'))
    .addOption(new Option('-n, --lines <n>', 'print only the last n calls').argParser(positiveInt))
    .addOption(new Option('--json', 'print the raw JSON lines (for jq and scripts)'))
    .addHelpText(
      'after',
      `
Examples:
  $ coffer audit -n 20
  $ coffer audit --follow
  $ coffer audit --json | jq 'select(.outcome == "error")'`,
    )
    .action(async (options: AuditOptions) => (await import('./action.js')).run(io, options));
}
