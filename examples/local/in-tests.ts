// A local Secrets Manager inside a test process: in memory, on a free port, with its own admin credential.
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startLocalSecretsManager } from '@coffer/local';

const local = await startLocalSecretsManager({ port: 0, inMemory: true });
const client = new SecretsManagerClient({
  endpoint: local.endpoint,
  region: local.region,
  credentials: local.credentials,
});
await client.send(new CreateSecretCommand({ Name: 'app/db', SecretString: 's3cr3t' }));
const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
console.log(`read back ${SecretString?.length} characters`);
await local.close();
