import { mysqlNativePasswordHash } from '../../database/mysql-password.js';
import type { Flavour } from './engine.js';
import { quoteText } from './sql.js';

/** The plugin whose stored hash a client can compute, so the password itself never travels in SQL. */
const NATIVE_PLUGIN = 'mysql_native_password';

/** An account without a plugin name (older accounts, a password never set) authenticates natively. */
const isNative = (plugin: string): boolean => plugin === '' || plugin === NATIVE_PLUGIN;

/** Plugin names come from the server's own tables; checked anyway, as they are written into SQL unquoted. */
const PLUGIN_NAME = /^\w+$/;

/**
 * The authentication clause of CREATE USER / ALTER USER that gives an account of `plugin` this password: the
 * mysql_native_password hash, computed here, or, when the plugin takes only plain text and that is allowed, the
 * password itself. Undefined when only plain text would do and it is not allowed.
 */
export function identifiedClause(
  flavour: Flavour,
  plugin: string,
  password: string,
  allowPlaintext: boolean,
): string | undefined {
  if (isNative(plugin)) {
    const hash = quoteText(mysqlNativePasswordHash(password));
    return flavour === 'mariadb'
      ? `IDENTIFIED VIA ${NATIVE_PLUGIN} USING ${hash}`
      : `IDENTIFIED WITH ${NATIVE_PLUGIN} AS ${hash}`;
  }
  if (!allowPlaintext || !PLUGIN_NAME.test(plugin)) return undefined;
  return flavour === 'mariadb'
    ? `IDENTIFIED VIA ${plugin} USING PASSWORD(${quoteText(password)})`
    : `IDENTIFIED WITH ${plugin} BY ${quoteText(password)}`;
}

/**
 * The statement with which a user changes its own password (no privilege needed): on MariaDB `SET PASSWORD =
 * '<hash>'`; on MySQL `ALTER USER CURRENT_USER() IDENTIFIED WITH mysql_native_password AS '<hash>'`. Plain text
 * only when the plugin takes nothing else and it is allowed; undefined otherwise.
 */
export function setOwnPassword(
  flavour: Flavour,
  plugin: string,
  password: string,
  allowPlaintext: boolean,
): string | undefined {
  if (isNative(plugin)) {
    const hash = quoteText(mysqlNativePasswordHash(password));
    return flavour === 'mariadb'
      ? `SET PASSWORD = ${hash}`
      : `ALTER USER CURRENT_USER() IDENTIFIED WITH ${NATIVE_PLUGIN} AS ${hash}`;
  }
  if (!allowPlaintext) return undefined;
  return flavour === 'mariadb'
    ? `SET PASSWORD = PASSWORD(${quoteText(password)})`
    : `ALTER USER CURRENT_USER() IDENTIFIED BY ${quoteText(password)}`;
}

/** Why an account's password cannot be set without plain text, and what to do. */
export const plaintextRefused = (plugin: string, account: string): string =>
  `${account} authenticates with ${plugin}, which takes the password only in plain text (no hash computed by the client): pass allowPlaintextPassword: true to rotate it that way, or switch the account to ${NATIVE_PLUGIN}.`;

/**
 * The plugin an account authenticates with, from SHOW CREATE USER's text after the account name (MariaDB:
 * `IDENTIFIED BY PASSWORD` or `IDENTIFIED VIA <plugin>`; MySQL: `IDENTIFIED WITH '<plugin>'`). The text holds the
 * password hash: it is read here and nowhere else.
 */
export function pluginIn(createUserTail: string): string {
  const match = /^\s*IDENTIFIED (?:VIA (\w+)|BY PASSWORD|WITH '?(\w+)'?)/.exec(createUserTail);
  return match?.[1] ?? match?.[2] ?? NATIVE_PLUGIN;
}
