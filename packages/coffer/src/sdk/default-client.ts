import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let shared: SecretsManagerClient | undefined;

/**
 * The client used when none is passed: created on first use (never at import time) from the SDK's default
 * configuration chain (AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER, credentials provider chain, ...).
 */
export function defaultClient(): SecretsManagerClient {
  shared ??= new SecretsManagerClient({});
  return shared;
}
