/**
 * MySQL's and MariaDB's errors for a refused login: `1045` ER_ACCESS_DENIED_ERROR (wrong password, unknown user,
 * or TLS that the account requires but the client did not use) and `1698` ER_ACCESS_DENIED_NO_PASSWORD_ERROR.
 * Undefined for any other error, which says nothing about the credential; `1044` (no access to the database)
 * means the login itself worked.
 */
export function mysqlAuthFailure(error: unknown): 1045 | 1698 | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const errno = (error as { errno?: unknown }).errno;
  return errno === 1045 || errno === 1698 ? errno : undefined;
}
