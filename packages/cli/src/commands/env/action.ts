import type { LocalAdmin } from '@coffer/local';
import type { CliIo } from '../../io.js';
import { loadLocalServer } from '../../local-server.js';
import { exportsFor } from '../../shell/exports.js';

export interface EnvOptions {
  dataDir?: string;
  endpoint?: string;
}

export async function run(io: CliIo, options: EnvOptions): Promise<void> {
  const { DEFAULT_PORT, DEFAULT_REGION, findRunningServer, LocalAdmin } = await loadLocalServer('env');
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
}
