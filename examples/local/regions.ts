// One local endpoint serves every region, as separate AWS regions: the same name in two regions is two secrets.
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startLocalSecretsManager } from '@coffer/local';

const local = await startLocalSecretsManager({ port: 0, inMemory: true });
const east = new SecretsManagerClient({
  endpoint: local.endpoint,
  region: 'us-east-1',
  credentials: local.credentials,
});
const west = new SecretsManagerClient({
  endpoint: local.endpoint,
  region: 'eu-west-1',
  credentials: local.credentials,
});
await east.send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'east' }));
await west.send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'west' })); // another secret, another ARN
const fromWest = await west.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
console.log(`${fromWest.ARN} holds ${fromWest.SecretString}`);
await local.close();
