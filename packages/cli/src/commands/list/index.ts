import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../../io.js';
import { withSecretOptions } from '../options.js';
import type { ListOptions } from './action.js';

/** What ListSecrets accepts in a filter value; checked here so a bad one is a usage error, not an AWS one. */
const FILTER_VALUE = /^[a-zA-Z0-9 :_@/+=.\-!]{1,512}$/;
const filterValue = (value: string): string => {
  if (!FILTER_VALUE.test(value)) {
    throw new InvalidArgumentError('may only hold letters, digits, spaces and :_@/+=.-! (at most 512).');
  }
  return value;
};
const collectTag = (
  text: string,
  previous: NonNullable<ListOptions['tag']> | undefined,
): NonNullable<ListOptions['tag']> => {
  const at = text.indexOf('=');
  const key = at < 0 ? text : text.slice(0, at);
  filterValue(key);
  if (at >= 0) filterValue(text.slice(at + 1));
  return [...(previous ?? []), at < 0 ? { key } : { key, value: text.slice(at + 1) }];
};

export function listCommand(io: CliIo): Command {
  const command = new Command('list')
    .summary('list secrets')
    .description(
      'List secrets (ListSecrets, every page) with when they last changed, their description and tags. Filters ' +
        'combine with AND; --name matches the start of names, --description words of descriptions, --all any of\n' +
        'its words in the name, description, tag keys or values (words split at case changes, digits and punctuation).',
    )
    .addOption(new Option('-n, --name <prefix>', 'names starting with this').argParser(filterValue))
    .addOption(
      new Option('-t, --tag <key[=value]>', 'with this tag (and value); repeatable').argParser(collectTag),
    )
    .addOption(
      new Option('-d, --description <words>', 'descriptions with words starting with these').argParser(
        filterValue,
      ),
    )
    .addOption(
      new Option(
        '-a, --all <words>',
        'any of these words in the name, description, a tag key or value',
      ).argParser(filterValue),
    )
    .addOption(new Option('--include-deleted', 'also secrets scheduled for deletion'))
    .addHelpText(
      'after',
      `
Examples:
  $ coffer list
  $ coffer list --name prod/ --tag team=payments
  $ coffer list --all "orders database" --include-deleted
  $ coffer list --json | jq -r '.[].name'`,
    );
  withSecretOptions(command, 'print [{ name, arn, description, lastChangedDate, tags, ... }]');
  return command.action(async (options: ListOptions) => (await import('./action.js')).run(io, options));
}
