import { createHash, createHmac, randomUUID } from 'node:crypto';
import { startTestPostgres, type TestPostgres } from '@coffer/testing/postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scramSha256Verifier } from '../src/rotation/postgres/scram.js';

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();

function parse(verifier: string) {
  const match = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(
    verifier,
  );
  if (match === null) throw new Error(`not a SCRAM-SHA-256 verifier: ${verifier}`);
  const [, iterations, salt, storedKey, serverKey] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    iterations: Number(iterations),
    salt: Buffer.from(salt, 'base64'),
    storedKey: Buffer.from(storedKey, 'base64'),
    serverKey: Buffer.from(serverKey, 'base64'),
  };
}

describe('scramSha256Verifier', () => {
  it('matches the RFC 7677 example exchange (user "user", password "pencil")', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const { storedKey, serverKey, iterations } = parse(scramSha256Verifier('pencil', { salt }));
    expect(iterations).toBe(4096);
    const nonce = 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const authMessage = [
      'n=user,r=rOprNGfwEbeRWgbNEkqO',
      `r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`,
      `c=biws,r=${nonce}`,
    ].join(',');
    // The server's side of the exchange: its signature, and the client's proof checked against StoredKey.
    expect(hmac(serverKey, authMessage).toString('base64')).toBe(
      '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
    );
    const proof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
    const signature = hmac(storedKey, authMessage);
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ (signature[i] ?? 0)));
    expect(createHash('sha256').update(clientKey).digest().equals(storedKey)).toBe(true);
  });

  it('uses a fresh 16-byte salt each time, and the iterations asked for', () => {
    const a = parse(scramSha256Verifier('same password'));
    const b = parse(scramSha256Verifier('same password', { iterations: 10_000 }));
    expect(a.salt).toHaveLength(16);
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(b.iterations).toBe(10_000);
  });

  it('refuses what it cannot hash faithfully, without echoing the password', () => {
    expect(() => scramSha256Verifier('')).toThrow(TypeError);
    for (const password of ['pässwörd', 'tab\there', 'ﬀ-ligature']) {
      const error = (() => {
        try {
          scramSha256Verifier(password);
        } catch (caught) {
          return caught as Error;
        }
        throw new Error('expected a RangeError');
      })();
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).not.toContain(password);
    }
    expect(() => scramSha256Verifier('x', { iterations: 0 })).toThrow(RangeError);
  });
});

describe('PostgreSQL accepts the verifier', () => {
  let db: TestPostgres;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await startTestPostgres();
    admin = await db.admin();
    // Make TCP logins use the SCRAM-SHA-256 exchange (the embedded server defaults to plain "password").
    const { rows } = await admin.query<{ hba_file: string }>('SHOW hba_file');
    const hbaFile = rows[0]?.hba_file ?? '';
    await admin.query(
      `COPY (SELECT 'host all all 127.0.0.1/32 scram-sha-256') TO ${admin.escapeLiteral(hbaFile)}`,
    );
    await admin.query('SELECT pg_reload_conf()');
    // The admin session stays open: it authenticated before the change.
  });

  afterAll(async () => {
    await admin?.end();
    await db?.stop();
  });

  const connect = (user: string, password: string) =>
    new pg.Client({
      host: db.host,
      port: db.port,
      user,
      password,
      database: db.database,
      connectionTimeoutMillis: 5_000,
    });

  it('logs in with the plaintext over SCRAM, refuses a wrong password, and never logs the plaintext', async () => {
    const { rows } = await admin.query<{ auth_method: string }>(
      "SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host'",
    );
    expect(rows.map((row) => row.auth_method)).toEqual(['scram-sha-256']);

    const user = `scram "user"; ${randomUUID().slice(0, 8)}`;
    const password = `canary-${randomUUID()}!#$%&()*+,-.:;<=>?[]^_\`{|}~ `;
    const verifier = scramSha256Verifier(password);
    await admin.query(
      `CREATE ROLE ${admin.escapeIdentifier(user)} LOGIN PASSWORD ${admin.escapeLiteral(verifier)}`,
    );
    // Stored as given: PostgreSQL did not hash it again.
    const stored = await admin.query<{ rolpassword: string }>(
      'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
      [user],
    );
    expect(stored.rows[0]?.rolpassword).toBe(verifier);

    const good = connect(user, password);
    await good.connect();
    const who = await good.query<{ user: string }>('SELECT current_user AS user');
    expect(who.rows[0]?.user).toBe(user);
    await good.end();

    const bad = connect(user, `${password}x`);
    await expect(bad.connect()).rejects.toMatchObject({ code: '28P01' });
    await bad.end().catch(() => {});

    const logs = db.logs();
    expect(logs).toContain('SCRAM-SHA-256$4096:');
    expect(logs.includes(password)).toBe(false);
  });
});
