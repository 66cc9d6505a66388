import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../../io.js';
import { withAwsOptions } from '../options.js';
import type { ExecOptions } from './action.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const seconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number of seconds above 0.');
  return n;
};
const signalName = (value: string): NodeJS.Signals => {
  const name = (value.startsWith('SIG') ? value : `SIG${value}`).toUpperCase();
  if (!/^SIG[A-Z0-9]+$/.test(name)) throw new InvalidArgumentError('must be a signal name such as SIGHUP.');
  return name as NodeJS.Signals;
};

export function execCommand(io: CliIo): Command {
  const command = new Command('exec')
    .summary('run a command with secrets in its environment')
    .description(
      'Run a command with secrets in its environment: each JSON key of each --secret becomes a variable, and ' +
        'asm://<id>#<key> references already in the environment are resolved in place. Every secret is fetched ' +
        'in one BatchGetSecretValue round trip where possible. Output that contains a secret value is masked.',
    )
    .argument('<command...>', 'the command and its arguments, after --')
    .addOption(
      new Option('-s, --secret <id>', 'secret to inject (repeatable): <id>, or NAME=<id>[#key]')
        .argParser(collect)
        .default([]),
    )
    .addOption(new Option('--prefix <prefix>', 'prefix for variables made from JSON keys').default(''))
    .addOption(
      new Option('--naming <rule>', 'how JSON keys become names')
        .choices(['upper-snake', 'keep'])
        .default('upper-snake'),
    )
    .addOption(new Option('--no-mask', "pass the command's output through without masking secret values"))
    // Commander gives --mask-key and --no-mask-key one attribute; each entry is marked with the one it came from.
    .addOption(
      new Option('--mask-key <key>', 'also mask this JSON key (repeatable), e.g. username')
        .argParser((key: string, previous: string[]) => [...previous, `+${key}`])
        .default([]),
    )
    .addOption(
      new Option('--no-mask-key <key>', 'never mask this JSON key (repeatable)').argParser(
        (key: string, previous: unknown) => [...(Array.isArray(previous) ? previous : []), `-${key}`],
      ),
    )
    .addOption(new Option('--watch', 'when a secret rotates, restart the command or send it a signal'))
    .addOption(
      new Option('--on-rotate <action>', 'with --watch').choices(['restart', 'signal']).default('restart'),
    )
    .addOption(
      new Option('--signal <name>', 'signal for --on-rotate signal').default('SIGHUP').argParser(signalName),
    )
    .addOption(
      new Option('--interval <seconds>', 'with --watch: how often to check for a new version')
        .default(60)
        .argParser(seconds),
    )
    .passThroughOptions()
    .addHelpText(
      'after',
      `
Examples:
  $ coffer exec -s prod/db -- node server.js              # DB_HOST, DB_PASSWORD, ... from the JSON secret
  $ coffer exec -s API_KEY=prod/payments#key -- ./deploy.sh
  $ DATABASE_URL=asm://prod/db#url coffer exec -- rails server
  $ coffer exec --watch --on-rotate signal --signal SIGHUP -s prod/db -- nginx -g 'daemon off;'

Masking: the values of the secrets are masked in the command's output in every common form (as they are,
JSON-escaped, URL-encoded, base64, hex, and cut short at the end). Keys that name where and as whom to connect
(engine, host, port, dbname, username, masterarn, dbClusterIdentifier, dbInstanceIdentifier) and plain
numbers are not masked; change that with --mask-key / --no-mask-key. On a terminal the command runs on a
terminal of its own (colours, full-screen programs and window size work) when the optional node-pty loads.

The command's exit code is passed through (128+n when signal n ended it). Ctrl-C in a terminal reaches the
command directly; SIGTERM, SIGHUP and other signals sent to coffer are forwarded to it.`,
    );
  withAwsOptions(command);
  return command.action(async (argv: string[], options: ExecOptions) =>
    (await import('./action.js')).run(io, argv, options),
  );
}
