/** Secrets Manager calls shared by several actions, with errors turned into one line that says what to do. */
import {
  CreateSecretCommand,
  type CreateSecretCommandInput,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { toCofferError } from 'coffer';
import { CliError } from '../errors.js';

/**
 * Runs one SDK call and turns its error into Coffer's one-line message naming the secret, e.g. "Secret
 * "app/db" was not found (...)" or "Access denied: allow secretsmanager:GetSecretValue on <arn> ...".
 */
export async function call<T>(secretId: string | undefined, operation: string, send: () => Promise<T>) {
  try {
    return await send();
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceExistsException' && secretId !== undefined) {
      throw new CliError(
        `Secret "${secretId}" already exists: store a new version with \`coffer put ${secretId}\`.`,
      );
    }
    throw toCofferError(error, secretId, operation);
  }
}

export type SecretValue = { SecretString: string } | { SecretBinary: Uint8Array };

export interface Written {
  name: string;
  arn: string;
  versionId: string | undefined;
  action: 'created' | 'updated';
}

/** Creates the secret with this value, or, when it exists already, stores the value as its new version. */
export async function createOrPut(
  client: SecretsManagerClient,
  name: string,
  value: SecretValue,
  create: Omit<CreateSecretCommandInput, 'Name' | 'SecretString' | 'SecretBinary'> = {},
): Promise<Written> {
  try {
    const out = await client.send(new CreateSecretCommand({ Name: name, ...create, ...value }));
    return { name, arn: out.ARN ?? '', versionId: out.VersionId, action: 'created' };
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceExistsException') {
      throw toCofferError(error, name, 'CreateSecret');
    }
  }
  const out = await call(name, 'PutSecretValue', () =>
    client.send(new PutSecretValueCommand({ SecretId: name, ...value })),
  );
  return { name, arn: out.ARN ?? '', versionId: out.VersionId, action: 'updated' };
}
