import { InvalidSecretFormatError } from '../errors.js';
import type { SecretResult } from '../read/decode.js';
import {
  DATABASE_SECRET_LAYOUT,
  type DatabaseSecret,
  isInvalidDatabaseSecret,
  parseDatabaseSecret,
} from './secret.js';

/** One version of a database secret, with the version it came from. */
export interface DatabaseCredentials extends DatabaseSecret {
  readonly versionId: string;
  readonly arn: string;
  readonly name: string;
}

/**
 * A secret version read as database credentials; errors name the fields that are wrong, never their values.
 * `example` is the engine and port the error's sample secret shows.
 */
export function credentialsOf(
  result: SecretResult<unknown>,
  secretId: string,
  example: { engine: string; port: number },
): DatabaseCredentials {
  const parsed = parseDatabaseSecret(result.value.reveal());
  if (isInvalidDatabaseSecret(parsed)) {
    const what =
      parsed.invalid.length === 0
        ? 'it is not a JSON object'
        : `${parsed.invalid.join(', ')} missing or of the wrong type`;
    throw new InvalidSecretFormatError(
      `Secret "${secretId}" (version ${result.versionId}) is not a database secret: ${what}. Store JSON in AWS's layout (${DATABASE_SECRET_LAYOUT}), like { "engine": "${example.engine}", "host": ..., "port": ${example.port}, "username": ..., "password": ..., "dbname": ... }.`,
      { secretId, paths: parsed.invalid },
    );
  }
  return { ...parsed, versionId: result.versionId, arn: result.arn, name: result.name };
}
