import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { defineSettings, secret } from '@coffer/settings';
import type { SecretCache } from 'coffer';
import type { RowDataPacket } from 'mysql2';
import type { Engine } from './database.js';
import { port, text } from './schema.js';

/** The demo's service: typed settings from Secrets Manager, and a database pool that follows rotation. */
export interface DemoService {
  readonly port: number;
  close(): Promise<void>;
}

export interface ServiceOptions {
  cache: SecretCache;
  databaseSecret: string;
  apiKeySecret: string;
  engine: Engine;
}

/** What the service asks of its pool, whichever engine: coffer/pg's or coffer/mysql's createRotatingPool. */
interface DemoPool {
  /** The database user this query ran as. */
  whoami(): Promise<string | undefined>;
  readonly versionId: string | undefined;
  end(): Promise<void>;
}

interface PoolSettings {
  cache: SecretCache;
  secretId: string;
  host: string;
  port: number;
  database: string;
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

async function postgresPool({ cache, secretId, host, port, database }: PoolSettings): Promise<DemoPool> {
  const { createRotatingPool } = await import('coffer/pg');
  const pool = createRotatingPool({
    secretId,
    cache,
    // The secret names the host, port and database too; these come from the typed settings to show them.
    host,
    port,
    database,
    max: 10,
    // Connections are replaced all the time, so logins keep happening during each rotation.
    maxLifetimeSeconds: 2,
    idleTimeoutMillis: 1_000,
  });
  // An idle connection that breaks is replaced by the pool; without a listener it would crash the process.
  pool.on('error', () => {});
  return {
    whoami: async () => (await pool.query<{ user: string }>('select current_user as "user"')).rows[0]?.user,
    get versionId() {
      return pool.versionId;
    },
    end: () => pool.end(),
  };
}

async function mariadbPool({ cache, secretId, host, port, database }: PoolSettings): Promise<DemoPool> {
  const { createRotatingPool } = await import('coffer/mysql');
  const pool = createRotatingPool({
    secretId,
    cache,
    host,
    port,
    database,
    connectionLimit: 10,
    // Idle connections close after a second, so logins keep happening during each rotation.
    maxIdle: 2,
    idleTimeout: 1_000,
  });
  return {
    whoami: async () => {
      const [rows] = await pool.query<RowDataPacket[]>(
        "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AS user",
      );
      const user = rows[0]?.user;
      return typeof user === 'string' ? user : undefined;
    },
    get versionId() {
      return pool.versionId;
    },
    end: () => pool.end(),
  };
}

export async function startService(options: ServiceOptions): Promise<DemoService> {
  const settings = settingsFor(options);
  const config = await settings.load();
  const poolSettings = {
    cache: options.cache,
    secretId: options.databaseSecret,
    host: config.database.host,
    port: config.database.port,
    database: config.database.dbname,
  };
  const pool = await (options.engine === 'postgres' ? postgresPool(poolSettings) : mariadbPool(poolSettings));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/whoami') return reply(res, 404, { error: 'not found' });
    // Settings are loaded per request on purpose: the shared cache serves them, so a rotated API key applies
    // without a restart, and Secrets Manager sees a call only when the cache refreshes.
    const current = await settings.load();
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !current.apiKey.equals(key)) {
      return reply(res, 401, { error: 'bad api key' });
    }
    return reply(res, 200, { user: await pool.whoami(), versionId: pool.versionId });
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
