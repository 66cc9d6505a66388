import {
  DATABASE_SECRET_LAYOUT,
  type DatabaseSecret,
  isInvalidDatabaseSecret,
  parseDatabaseSecret,
} from '../database/secret.js';
import { InvalidSecretFormatError } from '../errors.js';
import type { SecretResult } from '../read/decode.js';

/** One version of a database secret, with the version it came from. */
export interface DatabaseCredentials extends DatabaseSecret {
  readonly versionId: string;
  readonly arn: string;
  readonly name: string;
}

/** A secret version read as database credentials; errors name the fields that are wrong, never their values. */
export function credentialsOf(result: SecretResult<unknown>, secretId: string): DatabaseCredentials {
  const parsed = parseDatabaseSecret(result.value.reveal());
  if (isInvalidDatabaseSecret(parsed)) {
    const what =
      parsed.invalid.length === 0
        ? 'it is not a JSON object'
        : `${parsed.invalid.join(', ')} missing or of the wrong type`;
    throw new InvalidSecretFormatError(
      `Secret "${secretId}" (version ${result.versionId}) is not a database secret: ${what}. Store JSON in AWS's layout (${DATABASE_SECRET_LAYOUT}), like { "engine": "postgres", "host": ..., "port": 5432, "username": ..., "password": ..., "dbname": ... }.`,
      { secretId, paths: parsed.invalid },
    );
  }
  return { ...parsed, versionId: result.versionId, arn: result.arn, name: result.name };
}
