import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { defaultClient } from '../sdk/default-client.js';
import { getSecretValue } from '../sdk/secrets-manager.js';
import type { StandardSchemaV1 } from '../standard-schema.js';
import { decode, type SecretFormat, type SecretResult } from './decode.js';
import { checkReadOptions, checkSecretId, formatOf, type ReadOptions, type ValueOf } from './options.js';

export interface GetSecretOptions<F extends SecretFormat, S extends StandardSchemaV1 | undefined>
  extends ReadOptions<F, S> {
  /** @default a client created on first use from the SDK's default configuration */
  client?: SecretsManagerClient;
}

/**
 * Reads one secret straight from Secrets Manager (no cache: use SecretCache on hot paths).
 *
 * @example
 * ```ts
 * const { value } = await getSecret('prod/db', { as: 'json', client });
 * const { password } = value.fields();
 * ```
 */
export async function getSecret<
  F extends SecretFormat = 'string',
  S extends StandardSchemaV1 | undefined = undefined,
>(secretId: string, options: GetSecretOptions<F, S> = {}): Promise<SecretResult<ValueOf<F, S>>> {
  checkSecretId(secretId);
  checkReadOptions(options);
  const raw = await getSecretValue(options.client ?? defaultClient(), secretId, options, {
    signal: options.signal,
  });
  return decode(raw, secretId, formatOf(options), options.schema) as Promise<SecretResult<ValueOf<F, S>>>;
}
