/**
 * Quoting for the statements the MySQL rotators build. Account names are quoted with backticks (a backtick
 * doubled inside), which MySQL and MariaDB accept whatever the session's sql_mode; string literals double their
 * quotes and backslashes, which is right in the sql_mode the rotators set on their sessions (no
 * NO_BACKSLASH_ESCAPES). Written here rather than taken from mysql2: its escapeId splits names on dots, and an
 * account name is not a qualified identifier.
 */

/** A name quoted as an identifier: `` `we``ird'; user` ``. */
const quoteName = (name: string): string => `\`${name.replaceAll('`', '``')}\``;

/** `user`@`host`, as MySQL 8 and MariaDB print accounts in SHOW GRANTS. */
export const accountName = (user: string, host: string): string => `${quoteName(user)}@${quoteName(host)}`;

/** A string literal. */
export const quoteText = (text: string): string =>
  `'${text.replaceAll('\\', '\\\\').replaceAll("'", "''").replaceAll('\0', '\\0')}'`;

/** `"user"@"host"`, for messages. */
export const describeAccount = (user: string, host: string): string =>
  `${JSON.stringify(user)}@${JSON.stringify(host)}`;

/**
 * The ways a server may print an account: backticks (MySQL 8, MariaDB), or single quotes (MySQL 5.7), a quote
 * inside doubled or escaped.
 */
export const printedAccountNames = (user: string, host: string): string[] => [
  accountName(user, host),
  `'${user.replaceAll("'", "''")}'@'${host.replaceAll("'", "''")}'`,
  `'${user.replaceAll("'", "\\'")}'@'${host.replaceAll("'", "\\'")}'`,
];
