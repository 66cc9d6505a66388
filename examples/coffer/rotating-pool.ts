// A pg pool whose credentials follow the secret through rotations, without dropping a query.
import { SecretCache } from 'coffer';
import { createRotatingPool } from 'coffer/pg';

const cache = new SecretCache();
const pool = createRotatingPool({ secretId: 'prod/db', cache, max: 20, maxLifetimeSeconds: 300 });
const { rows } = await pool.query<{ now: Date }>('SELECT now()');
console.log(`the database says ${rows[0]?.now.toISOString()}`);
await pool.end();
await cache.close();
