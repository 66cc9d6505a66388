import type { SecretResult } from '../client/decode.js';
import { InvalidSecretFormatError } from '../errors.js';
import { Secret } from '../secret.js';

/** One version of a database secret in AWS's layout, with the password kept wrapped. */
export interface DatabaseCredentials {
  readonly versionId: string;
  readonly arn: string;
  readonly name: string;
  readonly user: string;
  readonly password: Secret<string>;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly database: string | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Reads `{ engine, host, port, username, password, dbname }` (the layout of AWS's database secrets and rotation
 * templates). Errors name the fields that are wrong, never their values.
 */
export function credentialsOf(result: SecretResult<unknown>, secretId: string): DatabaseCredentials {
  const value = result.value.reveal();
  const fail = (paths: string[], what: string): never => {
    throw new InvalidSecretFormatError(
      `Secret "${secretId}" (version ${result.versionId}) is not a database secret: ${what}. Store JSON like { "engine": "postgres", "host": ..., "port": 5432, "username": ..., "password": ..., "dbname": ... }.`,
      { secretId, paths },
    );
  };
  if (!isRecord(value)) return fail([], 'it is not a JSON object');
  const { username, password, host, port, dbname } = value;
  const bad: string[] = [];
  if (typeof username !== 'string' || username === '') bad.push('username');
  if (typeof password !== 'string') bad.push('password');
  if (host !== undefined && host !== null && typeof host !== 'string') bad.push('host');
  if (dbname !== undefined && dbname !== null && typeof dbname !== 'string') bad.push('dbname');
  let portNumber: number | undefined;
  if (port !== undefined && port !== null && port !== '') {
    portNumber = typeof port === 'number' ? port : typeof port === 'string' ? Number(port) : Number.NaN;
    if (!Number.isInteger(portNumber) || portNumber <= 0 || portNumber > 65_535) bad.push('port');
  }
  if (bad.length > 0) return fail(bad, `${bad.join(', ')} missing or of the wrong type`);
  return {
    versionId: result.versionId,
    arn: result.arn,
    name: result.name,
    user: username as string,
    password: new Secret(password as string),
    host: typeof host === 'string' && host !== '' ? host : undefined,
    port: portNumber,
    database: typeof dbname === 'string' && dbname !== '' ? dbname : undefined,
  };
}
