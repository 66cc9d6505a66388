import type { CliIo } from '../../io.js';
import { loadLocalServer } from '../../local-server.js';
import { exportsFor } from '../../shell/exports.js';

export interface ServeOptions {
  port: number;
  host: string;
  dataDir?: string;
  inMemory?: boolean;
  region?: string;
  regions?: string[];
  rotationFunction?: Record<string, string>;
  /** False with --no-console. */
  console: boolean;
  consoleUser?: string;
}

export async function run(io: CliIo, options: ServeOptions): Promise<void> {
  const { clearRunningServer, startLocalSecretsManager, writeRunningServer } = await loadLocalServer('serve');
  const server = await startLocalSecretsManager({
    port: options.port,
    host: options.host,
    ...(options.region !== undefined && { region: options.region }),
    ...(options.regions !== undefined && { regions: options.regions }),
    ...(options.rotationFunction !== undefined && { rotationFunctions: options.rotationFunction }),
    console:
      options.console && (options.consoleUser === undefined ? true : { userName: options.consoleUser }),
    onRotationOutput: (line, lambdaArn) =>
      io.stderr(`[${lambdaArn.split(':').at(-1) ?? lambdaArn}] ${line}\n`),
    ...(options.inMemory ? { inMemory: true } : {}),
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
  });
  if (server.dataDir !== undefined) {
    writeRunningServer(server.dataDir, {
      endpoint: server.endpoint,
      region: server.region,
      ...(server.regions !== undefined && { regions: server.regions }),
      pid: process.pid,
    });
  }
  const where = server.dataDir === undefined ? 'in memory (nothing is written to disk)' : server.dataDir;
  io.stderr(`Coffer local Secrets Manager listening on ${server.endpoint}\n`);
  io.stderr(`Data: ${where}${server.firstStart && server.dataDir ? ' (created an admin credential)' : ''}\n`);
  io.stderr(
    server.regions === undefined
      ? `Regions: every AWS region on this one endpoint (AWS_REGION picks one; ${server.region} below)\n`
      : `Regions: ${server.regions.join(', ')} (AWS_REGION picks one; ${server.region} below)\n`,
  );
  if (server.console !== undefined) {
    // On stderr with the rest of the banner: stdout carries only the exports, for `eval`.
    io.stderr(`Console: ${server.console.loginUrl()}\n`);
    io.stderr('         (a one-time sign-in link: open it in your browser; it then stops working)\n');
  }
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
}
