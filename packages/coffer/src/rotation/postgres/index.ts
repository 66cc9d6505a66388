/**
 * coffer/rotation/postgres: rotators for PostgreSQL credentials kept in AWS's secret layout (`engine, host,
 * port, username, password, dbname`, optional `masterarn` and `ssl`), for `createRotationHandler`. Needs the
 * `pg` package.
 *
 * New passwords reach PostgreSQL only as SCRAM-SHA-256 verifiers computed here, so no plaintext password is
 * ever in a SQL statement or the server's log; identifiers are quoted with pg's escapeIdentifier.
 */
export { alternateUsername } from '../alternate-username.js';
export { type AlternatingUsersOptions, alternatingUsers } from './alternating-users.js';
export type { PostgresRotatorOptions, PostgresSsl } from './engine.js';
export { DEFAULT_SCRAM_ITERATIONS, type ScramOptions, scramSha256Verifier } from './scram.js';
export { type SingleUserOptions, singleUser } from './single-user.js';
