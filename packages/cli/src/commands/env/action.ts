import type { LocalAdmin } from '@coffer/local';
import { CliError } from '../../errors.js';
import type { CliIo } from '../../io.js';
import { openLocalAdmin } from '../../local-server.js';
import { exportsFor } from '../../shell/exports.js';

export interface EnvOptions {
  dataDir?: string;
  endpoint?: string;
  region?: string;
}

export async function run(io: CliIo, options: EnvOptions): Promise<void> {
  const { local, admin } = await openLocalAdmin(
    'env',
    options.dataDir,
    'its exports are the ones it printed',
  );
  const { DEFAULT_PORT, DEFAULT_REGION, findRunningServer } = local;
  const running = findRunningServer(admin.dataDir);
  let credential: ReturnType<LocalAdmin['admin']>;
  try {
    credential = admin.admin();
  } finally {
    admin.close();
  }
  const region = options.region ?? running?.region ?? DEFAULT_REGION;
  if (running?.regions !== undefined && !running.regions.includes(region)) {
    throw new CliError(
      `The server on ${running.endpoint} accepts only ${running.regions.join(', ')}: choose one of them with --region.`,
    );
  }
  io.stdout(
    exportsFor({
      accessKeyId: credential.accessKeyId,
      secretAccessKey: credential.secretAccessKey,
      region,
      endpoint: options.endpoint ?? running?.endpoint ?? `http://127.0.0.1:${DEFAULT_PORT}`,
    }),
  );
}
