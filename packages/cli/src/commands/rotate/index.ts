import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../../io.js';
import { withAwsOptions } from '../options.js';
import type { RotateOptions } from './action.js';

const days = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000)
    throw new InvalidArgumentError('must be a whole number of days from 1 to 1000.');
  return Number(value);
};

const seconds = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('must be a whole number above 0.');
  return Number(value);
};

export function rotateCommand(io: CliIo): Command {
  const command = new Command('rotate')
    .summary('rotate a secret now and show each step as it completes')
    .description(
      "Call RotateSecret and follow the rotation function's four steps (createSecret, setSecret, testSecret, finishSecret). Against a Coffer local server the steps come from its audit log; against AWS, DescribeSecret is polled until the new version is AWSCURRENT. Credentials come from the AWS SDK's default chain (environment, profile, ...).",
    )
    .argument('<secret>', 'name or ARN of the secret')
    .addOption(new Option('--lambda <arn>', 'rotation function ARN (needed the first time)'))
    .addOption(new Option('--every <days>', 'rotate automatically every n days').argParser(days))
    .addOption(
      new Option(
        '--schedule <expr>',
        'rotation schedule: rate(10 days), rate(12 hours) or cron(0 16 ? * MON *)',
      ),
    )
    .addOption(new Option('--duration <d>', 'rotation window, e.g. 3h'))
    .addOption(
      new Option(
        '--no-immediately',
        'only set up the schedule (Secrets Manager runs testSecret to check it)',
      ),
    )
    .addOption(
      new Option('-d, --data-dir <dir>', 'data dir of a local server (default: your data directory)'),
    )
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait for the rotation').default(300).argParser(seconds),
    )
    .addOption(new Option('--json', 'print the result as one JSON object'))
    .addHelpText(
      'after',
      `
Examples:
  $ coffer rotate app/api-key --lambda arn:aws:lambda:us-east-1:123456789012:function:rotate-api-key --every 30
  $ coffer rotate app/api-key                                 # rotate again with the configured function
  $ coffer rotate app/db --schedule 'cron(0 4 ? * SUN *)' --duration 2h --no-immediately
  $ coffer rotate app/db --json | jq .outcome

With a local server started as
  $ coffer serve --rotation-function arn:aws:lambda:us-east-1:123456789012:function:rotate-api-key=./rotate.mjs
the steps are shown as they complete.`,
    );
  return withAwsOptions(command).action(async (secretId: string, options: RotateOptions) =>
    (await import('./action.js')).run(io, secretId, options),
  );
}
