import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { defineSettings, secret } from '@coffer/settings';
import type { SecretCache } from 'coffer';
import type { RotatingPool } from 'coffer/pg';
import { port, text } from './schema.js';

/** The demo's service: typed settings from Secrets Manager, and a database pool that follows rotation. */
export interface DemoService {
  readonly port: number;
  readonly pool: RotatingPool;
  close(): Promise<void>;
}

export interface ServiceOptions {
  cache: SecretCache;
  databaseSecret: string;
  apiKeySecret: string;
}

/** What the service needs, declared once: the database secret's fields (password masked) and the API key. */
function settingsFor(options: ServiceOptions) {
  return defineSettings({
    schema: {
      port: port(0),
      database: {
        host: text(),
        port: port(),
        dbname: text(),
        username: text(),
        password: secret(text()),
      },
      apiKey: secret(text()),
    },
    // A whole JSON secret fills a nested object; `#key` picks one key.
    secrets: { database: options.databaseSecret, apiKey: `${options.apiKeySecret}#key` },
    // The demo's service reads only Secrets Manager, whatever the shell's environment holds.
    env: false,
    dotenv: false,
    cache: options.cache,
  });
}

export async function startService(options: ServiceOptions): Promise<DemoService> {
  const { createRotatingPool } = await import('coffer/pg');
  const settings = settingsFor(options);
  const config = await settings.load();
  const pool = createRotatingPool({
    secretId: options.databaseSecret,
    cache: options.cache,
    // The secret names the host, port and database too; these come from the typed settings to show them.
    host: config.database.host,
    port: config.database.port,
    database: config.database.dbname,
    max: 10,
    // Connections are replaced all the time, so logins keep happening during each rotation.
    maxLifetimeSeconds: 2,
    idleTimeoutMillis: 1_000,
  });
  // An idle connection that breaks is replaced by the pool; without a listener it would crash the process.
  pool.on('error', () => {});

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/whoami') return reply(res, 404, { error: 'not found' });
    // Settings are loaded per request on purpose: the shared cache serves them, so a rotated API key applies
    // without a restart, and Secrets Manager sees a call only when the cache refreshes.
    const current = await settings.load();
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !current.apiKey.equals(key)) {
      return reply(res, 401, { error: 'bad api key' });
    }
    const { rows } = await pool.query<{ user: string; now: Date }>(
      'select current_user as "user", now() as now',
    );
    return reply(res, 200, { user: rows[0]?.user, versionId: pool.versionId });
  };
  const server: Server = createServer((req, res) => {
    req.resume();
    handle(req, res).catch((error: unknown) => {
      // Coffer's errors never hold a secret value; anything else is reported by its class name only.
      const message =
        error instanceof Error && 'code' in error ? `${error.name}: ${error.message}` : 'internal error';
      reply(res, 500, { error: message });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as { port: number };

  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    pool,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await pool.end().catch(() => {});
        await settings.close();
      })();
      return closing;
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
