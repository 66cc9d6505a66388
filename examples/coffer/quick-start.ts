import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretCache } from 'coffer';
import pg from 'pg';
import { z } from 'zod';

// AWS's layout for database secrets; any Standard Schema library works (zod, valibot, arktype).
const DatabaseSecret = z.object({
  host: z.string(),
  port: z.number(),
  username: z.string(),
  password: z.string(),
  dbname: z.string(),
});

const cache = new SecretCache({ client: new SecretsManagerClient({}) }); // one per process

const { value } = await cache.get('prod/db', { schema: DatabaseSecret });
const { host, port, username, password, dbname } = value.fields();
console.log(`password: ${password}`); // password: *****

const db = new pg.Client({
  host: host.reveal(),
  port: port.reveal(),
  user: username.reveal(),
  password: password.reveal(),
  database: dbname.reveal(),
});
await db.connect();
const { rows } = await db.query<{ now: Date }>('SELECT now()');
console.log(`connected as ${username.reveal()} at ${rows[0]?.now.toISOString()}`);
await db.end();
await cache.close();
