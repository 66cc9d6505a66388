import type mysql from 'mysql2/promise';
import type { RotationContext } from '../context.js';
import { type Flavour, rows } from './engine.js';
import { quoteText } from './sql.js';

/** One account (`user`@`host`) as the master reads it from mysql.user: what a clone must copy besides grants. */
export interface Account {
  readonly user: string;
  readonly host: string;
  readonly plugin: string;
  /** `REQUIRE NONE`, `REQUIRE SSL`, `REQUIRE X509`, or `REQUIRE ISSUER '...' AND SUBJECT '...' AND CIPHER '...'`. */
  readonly require: string;
  /** `WITH MAX_QUERIES_PER_HOUR n MAX_UPDATES_PER_HOUR n MAX_CONNECTIONS_PER_HOUR n MAX_USER_CONNECTIONS n`. */
  readonly limits: string;
}

const text = (value: unknown): string =>
  value === null || value === undefined
    ? ''
    : Buffer.isBuffer(value)
      ? value.toString('utf8')
      : String(value);

const count = (value: unknown): number => {
  const n = Number(text(value) || 0);
  return Number.isSafeInteger(n) ? n : 0;
};

/** The REQUIRE clause for mysql.user's TLS columns. */
function requireClause(type: string, cipher: string, issuer: string, subject: string): string {
  switch (type.toUpperCase()) {
    case '':
      return 'REQUIRE NONE';
    case 'ANY':
      return 'REQUIRE SSL';
    case 'X509':
      return 'REQUIRE X509';
    default: {
      const parts = [
        ...(issuer === '' ? [] : [`ISSUER ${quoteText(issuer)}`]),
        ...(subject === '' ? [] : [`SUBJECT ${quoteText(subject)}`]),
        ...(cipher === '' ? [] : [`CIPHER ${quoteText(cipher)}`]),
      ];
      return parts.length === 0 ? 'REQUIRE SSL' : `REQUIRE ${parts.join(' AND ')}`;
    }
  }
}

/**
 * Every account named `user` (one per host part), roles excluded. Reading mysql.user needs SELECT on it, which
 * the master has.
 */
export async function accountsNamed(
  ctx: RotationContext,
  connection: mysql.Connection,
  flavour: Flavour,
  user: string,
  asWhom: string,
): Promise<Account[]> {
  const found = await rows(
    ctx,
    connection,
    `SELECT Host, plugin, ssl_type, ssl_cipher, x509_issuer, x509_subject, max_questions, max_updates,
            max_connections, max_user_connections
       FROM mysql.user WHERE User = ?${flavour === 'mariadb' ? " AND is_role = 'N'" : ''} ORDER BY Host`,
    [user],
    `read the accounts of user ${JSON.stringify(user)}`,
    asWhom,
  );
  return found.map((row) => {
    const [host, plugin, type, cipher, issuer, subject, queries, updates, connections, userConnections] =
      row.map(text);
    return {
      user,
      host: host ?? '',
      plugin: plugin ?? '',
      require: requireClause(type ?? '', cipher ?? '', issuer ?? '', subject ?? ''),
      limits: `WITH MAX_QUERIES_PER_HOUR ${count(queries)} MAX_UPDATES_PER_HOUR ${count(updates)} MAX_CONNECTIONS_PER_HOUR ${count(connections)} MAX_USER_CONNECTIONS ${count(userConnections)}`,
    };
  });
}
