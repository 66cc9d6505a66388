import { resolve } from 'node:path';
import type {
  DEFAULT_HOST as LOCAL_DEFAULT_HOST,
  DEFAULT_PORT as LOCAL_DEFAULT_PORT,
  DEFAULT_REGION as LOCAL_DEFAULT_REGION,
} from '@coffer/local';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../../io.js';
import type { ServeOptions } from './action.js';

// @coffer/local's defaults, repeated here so that defining the command does not load the server; the types
// make the compiler check that they still agree.
const DEFAULT_PORT: typeof LOCAL_DEFAULT_PORT = 4584;
const DEFAULT_HOST: typeof LOCAL_DEFAULT_HOST = '127.0.0.1';
const DEFAULT_REGION: typeof LOCAL_DEFAULT_REGION = 'us-east-1';

/** `a,b,c`: the regions to accept, each an AWS region name. */
const parseRegions = (value: string): string[] => {
  const regions = value
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  if (regions.length === 0 || regions.some((r) => !/^[a-z]+(-[a-z]+)+-\d+$/.test(r))) {
    throw new InvalidArgumentError(
      'must be a comma-separated list of AWS regions, e.g. us-east-1,eu-west-1.',
    );
  }
  return regions;
};

const parsePort = (value: string): number => {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  return port;
};

/** `<arn>=<path>`, repeatable: collected into a map. */
const parseRotationFunction = (value: string, previous: Record<string, string> = {}) => {
  const at = value.lastIndexOf('=');
  if (at <= 0 || at === value.length - 1 || !value.startsWith('arn:')) {
    throw new InvalidArgumentError(
      'must be <lambda-arn>=<module path>, e.g. arn:aws:lambda:us-east-1:123456789012:function:rotate=./rotate.mjs',
    );
  }
  return { ...previous, [value.slice(0, at)]: resolve(value.slice(at + 1)) };
};

export function serveCommand(io: CliIo): Command {
  return new Command('serve')
    .summary('run the local Secrets Manager')
    .description(
      'Run a local AWS Secrets Manager that the AWS SDKs and the AWS CLI use unchanged. ' +
        'Every request must be signed (SigV4) with a credential the server knows; on first start it ' +
        'creates an admin credential in the data dir and prints the shell exports to use it. ' +
        'One endpoint serves every region, as separate AWS regions: a request works on the secrets of ' +
        'the region it is signed for (the SDK signs for AWS_REGION or its region setting).',
    )
    .addOption(
      new Option('-p, --port <port>', 'TCP port (0 picks a free one)')
        .default(DEFAULT_PORT)
        .argParser(parsePort),
    )
    .addOption(new Option('--host <host>', 'interface to bind').default(DEFAULT_HOST))
    .addOption(
      new Option(
        '-d, --data-dir <dir>',
        'where secrets, keys and the audit log live (default: your data directory)',
      ),
    )
    .addOption(
      new Option('--in-memory', 'keep everything in memory; nothing is written to disk').conflicts('dataDir'),
    )
    .addOption(
      new Option(
        '--region <region>',
        `the default region: the AWS_REGION printed below (default: the first of --regions, else ${DEFAULT_REGION})`,
      ),
    )
    .addOption(
      new Option(
        '--regions <list>',
        'accept only these regions, comma-separated (default: every AWS region, all on this one endpoint)',
      ).argParser(parseRegions),
    )
    .addOption(
      new Option(
        '--rotation-function <arn=path>',
        'a rotation function: a module exporting handler(event), run for RotateSecret with that Lambda ARN (repeatable)',
      ).argParser(parseRotationFunction),
    )
    .addOption(
      new Option(
        '--no-console',
        'do not serve the web console (by default it is at /console on the same port, behind a one-time sign-in link)',
      ),
    )
    .addOption(
      new Option(
        '--console-user <name>',
        'the credential the web console acts as (default: coffer-console, created with full access)',
      ),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ coffer serve                          # port 4584, data in your data directory, console at /console
  $ coffer serve --console-user app-reader   # the console sees and does only what app-reader may
  $ coffer serve --rotation-function arn:aws:lambda:us-east-1:123456789012:function:rotate-key=./rotate.mjs
  $ coffer serve --in-memory --port 0     # throwaway server on a free port
  $ coffer serve --regions us-east-1,eu-west-1   # refuse requests signed for any other region
  $ eval "$(coffer env)"                  # in another shell: point the AWS CLI and SDKs at it
  $ aws secretsmanager create-secret --name app/db --secret-string s3cr3t`,
    )
    .action(async (options: ServeOptions) => (await import('./action.js')).run(io, options));
}
