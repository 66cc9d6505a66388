import { DEFAULT_PORT, DEFAULT_REGION, findRunningServer, LocalAdmin } from '@coffer/local';
import { Command, Option } from 'commander';
import { type CliIo, exportsFor } from '../io.js';

export function envCommand(io: CliIo): Command {
  return new Command('env')
    .summary('print the shell exports for a local server')
    .description(
      'Print AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_ENDPOINT_URL_SECRETS_MANAGER\n' +
        "for the local server's admin credential, ready for `eval`.",
    )
    .addOption(new Option('-d, --data-dir <dir>', 'data dir of the server (default: your data directory)'))
    .addOption(
      new Option('--endpoint <url>', 'endpoint to print (default: the running server, else port 4584)'),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ eval "$(coffer env)"
  $ coffer env --data-dir ./.coffer > .env.local`,
    )
    .action((options: { dataDir?: string; endpoint?: string }) => {
      const admin = new LocalAdmin(options.dataDir !== undefined ? { dataDir: options.dataDir } : {});
      const running = findRunningServer(admin.dataDir);
      let credential: ReturnType<LocalAdmin['admin']>;
      try {
        credential = admin.admin();
      } finally {
        admin.close();
      }
      io.stdout(
        exportsFor({
          accessKeyId: credential.accessKeyId,
          secretAccessKey: credential.secretAccessKey,
          region: running?.region ?? DEFAULT_REGION,
          endpoint: options.endpoint ?? running?.endpoint ?? `http://127.0.0.1:${DEFAULT_PORT}`,
        }),
      );
    });
}
