import { Command, Option } from 'commander';
import type { CliIo } from '../../io.js';
import type { EnvOptions } from './action.js';

export function envCommand(io: CliIo): Command {
  return new Command('env')
    .summary('print the shell exports for a local server')
    .description(
      'Print AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION (and AWS_DEFAULT_REGION) and AWS_ENDPOINT_URL_SECRETS_MANAGER ' +
        "for the local server's admin credential, ready for `eval`.",
    )
    .addOption(new Option('-d, --data-dir <dir>', 'data dir of the server (default: your data directory)'))
    .addOption(
      new Option('--endpoint <url>', 'endpoint to print (default: the running server, else port 4584)'),
    )
    .addOption(
      new Option(
        '--region <region>',
        "AWS_REGION to print: any region the server accepts (default: the running server's default region)",
      ),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ eval "$(coffer env)"
  $ eval "$(coffer env --region eu-west-1)"   # same server, the secrets of eu-west-1
  $ coffer env --data-dir ./.coffer > .env.local`,
    )
    .action(async (options: EnvOptions) => (await import('./action.js')).run(io, options));
}
