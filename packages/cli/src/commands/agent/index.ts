import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../../io.js';
import type { AgentCommandOptions } from './action.js';

const whole =
  (min: number, max: number) =>
  (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return number;
  };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function agentCommand(io: CliIo): Command {
  return new Command('agent')
    .summary("serve secrets over local HTTP, compatible with AWS's Secrets Manager agent")
    .description(
      "Serve secrets to programs in any language over local HTTP, compatible with AWS's Secrets Manager agent " +
        "(GET /secretsmanager/get?secretId=..., /v1/<secretId>) and backed by Coffer's cache.\n\n" +
        'Every request needs the token in X-Aws-Parameters-Secrets-Token or X-Vault-Token. It comes from ' +
        "--token-file or, as in AWS's agent, AWS_TOKEN, AWS_SESSION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN " +
        '(a value or file://<path>).\n\n' +
        "Settings come from --config (AWS's TOML layout), then COFFER_AGENT_* variables, then flags.",
    )
    .addOption(new Option('-c, --config <file>', "a TOML config file in AWS's agent's layout"))
    .addOption(
      new Option(
        '--listen <address>',
        'host:port, [ipv6]:port or a Unix socket path (beyond loopback needs --token-file) (default: 127.0.0.1:2773)',
      ),
    )
    .addOption(
      new Option('-p, --port <port>', 'port on 127.0.0.1, like http_port').argParser(whole(0, 65_535)),
    )
    .addOption(new Option('--token-file <file>', 'read the token from this file'))
    .addOption(
      new Option(
        '--ttl <seconds>',
        'seconds a value is served from cache; 0 disables caching (default: 300)',
      ).argParser(whole(0, 3600)),
    )
    .addOption(
      new Option('--cache-size <n>', 'most secrets cached (default: 1000)').argParser(whole(1, 1_000_000)),
    )
    .addOption(
      new Option('--max-conn <n>', 'most open connections; past it, 429 (default: 800)').argParser(
        whole(1, 1_000_000),
      ),
    )
    .addOption(
      new Option('--max-roles <n>', 'most roles assumed with roleArn (default: 20)').argParser(
        whole(1, 1000),
      ),
    )
    .addOption(
      new Option(
        '--max-stale <seconds>',
        'serve the last good value this long past its TTL while Secrets Manager fails (default: 3600)',
      ).argParser(whole(0, 7 * 24 * 3600)),
    )
    .addOption(new Option('--no-version-aware', 'refresh with GetSecretValue only, not DescribeSecret first'))
    .addOption(new Option('--region <region>', "the AWS region (default: the SDK's)"))
    .addOption(
      new Option('--prefetch <secretId>', 'load this secret at start (repeatable)').argParser(collect),
    )
    .addOption(
      new Option(
        '--prefetch-tag <key>',
        'load every secret with this tag key at start (repeatable)',
      ).argParser(collect),
    )
    .addOption(new Option('--log-level <level>', 'debug, info, warn, error or none (default: info)'))
    .addOption(new Option('--no-access-log', 'do not log each request'))
    .addHelpText(
      'after',
      `
Examples:
  $ export AWS_TOKEN=file:///run/awssmatoken; head -c 32 /dev/urandom | base64 > /run/awssmatoken
  $ coffer agent                                     # 127.0.0.1:2773, AWS's defaults
  $ coffer agent --config /etc/aws_secretsmanager_agent/config.toml
  $ coffer agent --listen /run/coffer-agent.sock --prefetch prod/db
  $ curl -H "X-Aws-Parameters-Secrets-Token: $(cat /run/awssmatoken)" \\
      'http://127.0.0.1:2773/secretsmanager/get?secretId=prod/db&key=password'`,
    )
    .action(async (options: AgentCommandOptions, command: Command) =>
      (await import('./action.js')).run(io, options, command),
    );
}
