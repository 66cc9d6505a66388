// A cache that fails over to the regions a secret is replicated to, when its own region is unreachable.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { replicaFailover, SecretCache } from 'coffer';

const cache = new SecretCache({
  client: new SecretsManagerClient({ region: 'us-east-1' }),
  replicas: replicaFailover([new SecretsManagerClient({ region: 'eu-west-1' })]),
});
cache.on('apiCall', ({ operation, region, ok, failover }) => {
  console.log(`${operation} in ${region}: ${ok ? 'ok' : 'failed'}${failover ? ' (failover)' : ''}`); // your metrics here
});
await cache.get('prod/db'); // from us-east-1; from eu-west-1 while us-east-1 is down
console.log(cache.stats().servedBy); // { 'us-east-1': 1 }
await cache.close();
