/**
 * coffer/rotation/mysql: rotators for MySQL and MariaDB credentials kept in AWS's secret layout (`engine, host,
 * port, username, password, dbname`, optional `masterarn` and `ssl`), for `createRotationHandler`. Needs the
 * `mysql2` package.
 *
 * New passwords reach the server only as mysql_native_password hashes computed here, so no plaintext password is
 * ever in a SQL statement or the server's general query log; accounts of plugins that take only plain text
 * (MySQL 8's caching_sha2_password) need `allowPlaintextPassword: true`. Account names are quoted as identifiers.
 */
export { mysqlNativePasswordHash } from '../../database/mysql-password.js';
export { alternateUsername } from '../alternate-username.js';
export { type AlternatingUsersOptions, alternatingUsers } from './alternating-users.js';
export type { MysqlRotatorOptions, MysqlSsl } from './engine.js';
export { type SingleUserOptions, singleUser } from './single-user.js';
