// Any AWS SDK client works against `coffer serve` unchanged, once `eval "$(npx coffer env)"` has set its variables.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

// The SDK reads AWS_ENDPOINT_URL_SECRETS_MANAGER and the credentials from the environment.
const client = new SecretsManagerClient({});
const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
console.log(`app/db holds ${SecretString?.length ?? 0} characters`);
