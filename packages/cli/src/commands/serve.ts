import { resolve } from 'node:path';
import {
  clearRunningServer,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_REGION,
  startLocalSecretsManager,
  writeRunningServer,
} from '@coffer/local';
import { Command, InvalidArgumentError, Option } from 'commander';
import { type CliIo, exportsFor } from '../io.js';

export const parsePort = (value: string): number => {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  return port;
};

/** `<arn>=<path>`, repeatable: collected into a map. */
export const parseRotationFunction = (value: string, previous: Record<string, string> = {}) => {
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
      'Run a local AWS Secrets Manager that the AWS SDKs and the AWS CLI use unchanged.\n' +
        'Every request must be signed (SigV4) with a credential the server knows; on first start it\n' +
        'creates an admin credential in the data dir and prints the shell exports to use it.',
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
      new Option('--region <region>', 'region in ARNs and credential scopes').default(DEFAULT_REGION),
    )
    .addOption(
      new Option(
        '--rotation-function <arn=path>',
        'a rotation function: a module exporting handler(event), run for RotateSecret with that Lambda ARN (repeatable)',
      ).argParser(parseRotationFunction),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ coffer serve                          # port 4584, data in your data directory
  $ coffer serve --rotation-function arn:aws:lambda:us-east-1:123456789012:function:rotate-key=./rotate.mjs
  $ coffer serve --in-memory --port 0     # throwaway server on a free port
  $ eval "$(coffer env)"                  # in another shell: point the AWS CLI and SDKs at it
  $ aws secretsmanager create-secret --name app/db --secret-string s3cr3t`,
    )
    .action(
      async (options: {
        port: number;
        host: string;
        dataDir?: string;
        inMemory?: boolean;
        region: string;
        rotationFunction?: Record<string, string>;
      }) => {
        const server = await startLocalSecretsManager({
          port: options.port,
          host: options.host,
          region: options.region,
          ...(options.rotationFunction !== undefined && { rotationFunctions: options.rotationFunction }),
          onRotationOutput: (line, lambdaArn) =>
            io.stderr(`[${lambdaArn.split(':').at(-1) ?? lambdaArn}] ${line}\n`),
          ...(options.inMemory ? { inMemory: true } : {}),
          ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
        });
        if (server.dataDir !== undefined) {
          writeRunningServer(server.dataDir, {
            endpoint: server.endpoint,
            region: server.region,
            pid: process.pid,
          });
        }
        const where =
          server.dataDir === undefined ? 'in memory (nothing is written to disk)' : server.dataDir;
        io.stderr(`Coffer local Secrets Manager listening on ${server.endpoint}\n`);
        io.stderr(
          `Data: ${where}${server.firstStart && server.dataDir ? ' (created an admin credential)' : ''}\n`,
        );
        for (const [arn, path] of Object.entries(options.rotationFunction ?? {})) {
          io.stderr(`Rotation function: ${arn} -> ${path}\n`);
        }
        io.stderr(
          `Audit log: ${server.dataDir === undefined ? 'in memory' : `coffer audit --follow${options.dataDir ? ` --data-dir ${options.dataDir}` : ''}`}\n\n`,
        );
        io.stderr('Point the AWS CLI or an AWS SDK at it by running these in your shell:\n\n');
        io.stdout(exportsFor({ ...server.credentials, region: server.region, endpoint: server.endpoint }));
        io.stderr(
          '\nThen, for example:\n' +
            '  aws secretsmanager create-secret --name app/db --secret-string s3cr3t\n' +
            '  node -e "new (require(\'@aws-sdk/client-secrets-manager\').SecretsManagerClient)({})"  # picks up the same variables\n\n' +
            'Press Ctrl-C to stop.\n',
        );

        // Runs until Ctrl-C or SIGTERM, then closes cleanly so the data dir is left consistent.
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            if (server.dataDir !== undefined) clearRunningServer(server.dataDir);
            void server.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );
}
