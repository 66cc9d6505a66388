// Multi-Region secrets between the regions of the one local endpoint: create with a replica, read it there,
// then promote the replica to a secret of its own.
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  StopReplicationToReplicaCommand,
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
await east.send(
  new CreateSecretCommand({
    Name: 'app/db',
    SecretString: 's3cr3t',
    AddReplicaRegions: [{ Region: 'eu-west-1' }],
  }),
);
const replica = await west.send(new GetSecretValueCommand({ SecretId: 'app/db' })); // arn:aws:secretsmanager:eu-west-1:...
console.log(`replica ${replica.ARN}`);
await west.send(new StopReplicationToReplicaCommand({ SecretId: 'app/db' })); // now a secret of its own
console.log('promoted');
await local.close();
