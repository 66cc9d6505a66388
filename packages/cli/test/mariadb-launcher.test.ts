import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { mariadbAvailable, startTestMariadb, type TestMariadb } from '@coffer/testing/mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The throwaway MariaDB that `coffer demo --engine mariadb` and Coffer's tests start from Debian's
 * mariadb-server programs: its own data dir, port and socket, never the system service.
 */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe.skipIf(!mariadbAvailable('MariaDB launcher'))('startMariadb', () => {
  let db: TestMariadb;

  beforeAll(async () => {
    db = await startTestMariadb({ tls: true });
  });

  afterAll(async () => {
    await db?.stop();
  });

  it('starts MariaDB with an admin user, a database, the general query log and TLS', async () => {
    expect(db.version).toMatch(/MariaDB/);
    const admin = await db.admin();
    try {
      const [rows] = await admin.query('SELECT CURRENT_USER() AS who, DATABASE() AS db, @@have_ssl AS tls');
      expect((rows as unknown[])[0]).toEqual({ who: 'admin@%', db: db.database, tls: 'YES' });
      await admin.query('SELECT "a statement for the general log"');
    } finally {
      await admin.end();
    }
    expect(db.generalLog()).toContain('a statement for the general log');
    // The admin password was set as a hash: it is in no log.
    expect(db.generalLog()).not.toContain(db.adminPassword);
    expect(db.errorLog()).not.toContain(db.adminPassword);
    expect(await db.logsIn({ username: db.adminUser, password: db.adminPassword, ssl: true })).toBe(true);
    expect(await db.logsIn({ username: db.adminUser, password: 'wrong' })).toBe(false);
  });

  it('stops: the port closes and the temp dir is gone, and stopping again is harmless', async () => {
    const other = await startTestMariadb();
    expect(existsSync(other.dir)).toBe(true);
    expect(await portOpen(other.port)).toBe(true);
    await other.stop();
    expect(await portOpen(other.port)).toBe(false);
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
  });
});
