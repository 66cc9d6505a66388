import { createHash } from 'node:crypto';

/**
 * The hash MySQL and MariaDB store for a `mysql_native_password` account: `*` and the uppercase hex of
 * SHA1(SHA1(password)), the password's UTF-8 bytes (what clients send). Given to `IDENTIFIED BY PASSWORD
 * '<hash>'`, `IDENTIFIED VIA mysql_native_password USING '<hash>'` (MariaDB) or `IDENTIFIED WITH
 * mysql_native_password AS '<hash>'` (MySQL), the server stores it as it is, so the password itself is in no
 * SQL statement and no server log.
 *
 * @example
 * ```ts
 * mysqlNativePasswordHash('secret'); // '*14E65567ABDB5135D0CFD9A70B3032C179A49EE7'
 * ```
 */
export function mysqlNativePasswordHash(password: string): string {
  if (typeof password !== 'string' || password === '') {
    throw new TypeError('mysqlNativePasswordHash needs a non-empty password.');
  }
  const once = createHash('sha1').update(password, 'utf8').digest();
  const twice = createHash('sha1').update(once).digest();
  once.fill(0);
  return `*${twice.toString('hex').toUpperCase()}`;
}
