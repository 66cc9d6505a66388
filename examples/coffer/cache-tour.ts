import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getDescription, getMany, SecretCache } from 'coffer';
import { z } from 'zod';

const DbSchema = z.object({ host: z.string(), port: z.number(), password: z.string() });
const client = new SecretsManagerClient({});

const cache = new SecretCache({ client, ttl: 10 * 60_000, logger: console });
await cache.get('prod/db'); // Secret<string> with metadata
await cache.get('prod/db', { schema: DbSchema }); // validated, typed JSON
await cache.get('prod/db', { versionStage: 'AWSPREVIOUS' }); // cached apart from AWSCURRENT
cache.peek('prod/db'); // synchronous; undefined when not cached
await getMany(cache, ['prod/db', 'prod/api-key']); // cold ones in BatchGetSecretValue calls of 20
await cache.refresh('prod/db'); // fetch now, e.g. after the database refused the password
cache.invalidate('prod/db'); // or invalidate() for everything
cache.staleSince('prod/db'); // a Date when the value served is past its TTL (stale-if-error)
await getDescription(cache, 'prod/db'); // DescribeSecret's answer (tags, rotation, versions), cached too
cache.on('rotated', ({ name, previousVersionId, versionId }) => {
  console.log(`${name} rotated from ${previousVersionId} to ${versionId}: reconnect`);
});
console.log(cache.stats()); // hits, misses, staleServes, apiCalls by operation, ...
await cache.close(); // also `await using cache = new SecretCache(...)` where `using` is available
