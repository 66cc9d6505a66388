/** A refused login, as the driver reports it. */
export interface AuthFailure {
  /** For messages: `SQLSTATE 28P01`, `MySQL error 1045`. */
  readonly text: string;
  readonly sqlState: string | undefined;
  readonly errno?: number | undefined;
}

/**
 * PostgreSQL's SQLSTATEs for a refused login (class 28): `28P01` invalid_password, `28000`
 * invalid_authorization_specification (unknown role, or one that may not log in). Undefined for any other
 * error, which says nothing about the credential.
 */
export function postgresAuthFailure(error: unknown): AuthFailure | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  return code === '28P01' || code === '28000' ? { text: `SQLSTATE ${code}`, sqlState: code } : undefined;
}

/**
 * MySQL's and MariaDB's errors for a refused login: `1045` ER_ACCESS_DENIED_ERROR (wrong password, unknown user,
 * or TLS that the account requires but the client did not use) and `1698` ER_ACCESS_DENIED_NO_PASSWORD_ERROR,
 * both SQLSTATE 28000. Undefined for any other error, which says nothing about the credential; `1044` (no access
 * to the database) means the login itself worked.
 */
export function mysqlAuthFailure(error: unknown): AuthFailure | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { errno, sqlState } = error as { errno?: unknown; sqlState?: unknown };
  if (errno !== 1045 && errno !== 1698) return undefined;
  return {
    text: `MySQL error ${errno}`,
    sqlState: typeof sqlState === 'string' ? sqlState : undefined,
    errno,
  };
}
