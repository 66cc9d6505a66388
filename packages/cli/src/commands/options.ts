/**
 * Options that several command definitions share. Loaded with every definition, so it imports commander only.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';

/** Adds --endpoint, --region and --profile (read as AwsOptions); without them the SDK's default chain decides. */
export function withAwsOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--endpoint <url>', 'Secrets Manager endpoint, e.g. a local server').env(
        'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      ),
    )
    .addOption(new Option('--region <region>', 'AWS region (default: the SDK default chain)'))
    .addOption(
      new Option('--profile <name>', 'AWS profile from ~/.aws/config (default: the SDK default chain)'),
    );
}

/** The options of every command that reads or writes secrets: AWS ones and --json (--no-color: see program.ts). */
export function withSecretOptions(
  command: Command,
  json: string | false = 'print JSON for scripts',
): Command {
  withAwsOptions(command);
  if (json !== false) command.addOption(new Option('--json', json));
  return command;
}

/** --no-color: every command takes it (buildProgram adds it), whether or not it colours anything. */
export const noColorOption = (): Option =>
  new Option('--no-color', 'no colour in human output (also: NO_COLOR=1)');

/** Staging labels: repeatable and comma-separated, e.g. `--version-stages AWSCURRENT,blue`. */
export const collectStages = (value: string, previous: string[] | undefined): string[] => {
  const stages = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (stages.length === 0) throw new InvalidArgumentError('give at least one staging label.');
  return [...(previous ?? []), ...stages];
};
