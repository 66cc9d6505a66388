import { startPostgres } from '@coffer/cli/internal/postgres';
import pg from 'pg';

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

/**
 * A real PostgreSQL for one test file, on a free port, logging every statement so tests can prove that no
 * password reaches the database's log. The demo's own launcher: as root it runs PostgreSQL as a `postgres` OS
 * user that it lets reach the bundled binaries.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const server = await startPostgres({
    settings: { log_statement: 'all' },
    logLines: Number.POSITIVE_INFINITY,
    maxConnections: 300,
  });
  const { host, port, adminUser, adminPassword, database } = server;
  const connection = { host, port, user: adminUser, password: adminPassword, database };
  return {
    host,
    port,
    adminUser,
    adminPassword,
    database,
    logs: () => server.logs().join('\n'),
    secretJson: (username = adminUser, password = adminPassword, extra = {}) =>
      JSON.stringify({ engine: 'postgres', host, port, username, password, dbname: database, ...extra }),
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
    stop: () => server.stop(),
  };
}
