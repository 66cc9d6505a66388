/**
 * PostgreSQL's SQLSTATEs for a refused login (class 28): `28P01` invalid_password, `28000`
 * invalid_authorization_specification (unknown role, or one that may not log in). Undefined for any other
 * error, which says nothing about the credential.
 */
export function postgresAuthFailure(error: unknown): '28P01' | '28000' | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  return code === '28P01' || code === '28000' ? code : undefined;
}
