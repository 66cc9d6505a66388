import { type Command, InvalidArgumentError, Option } from 'commander';
import { withAwsOptions } from './aws.js';

/** The options of every command that reads or writes secrets: AWS ones, --json and --no-color. */
export function withSecretOptions(
  command: Command,
  json: string | false = 'print JSON for scripts',
): Command {
  withAwsOptions(command);
  if (json !== false) command.addOption(new Option('--json', json));
  return command.addOption(new Option('--no-color', 'no colour in human output (also: NO_COLOR=1)'));
}

/** Staging labels: repeatable and comma-separated, e.g. `--version-stages AWSCURRENT,blue`. */
export const collectStages = (value: string, previous: string[] | undefined): string[] => {
  const stages = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (stages.length === 0) throw new InvalidArgumentError('give at least one staging label.');
  return [...(previous ?? []), ...stages];
};
