// A mysql2 pool whose credentials follow the secret through rotations, without dropping a query.
import { SecretCache } from 'coffer';
import { createRotatingPool } from 'coffer/mysql';
import type { RowDataPacket } from 'mysql2/promise';

const cache = new SecretCache();
const pool = createRotatingPool({ secretId: 'prod/mysql', cache, connectionLimit: 20 });
const [rows] = await pool.query<RowDataPacket[]>('SELECT NOW() AS now');
const now = rows[0]?.now as Date | undefined;
console.log(`the database says ${now?.toISOString()}`);

const connection = await pool.getConnection();
try {
  await connection.beginTransaction();
  await connection.query('CREATE TEMPORARY TABLE accounts (id INT, balance INT)');
  await connection.execute('INSERT INTO accounts VALUES (?, ?)', [1, 100]);
  await connection.execute('UPDATE accounts SET balance = balance - ? WHERE id = ?', [10, 1]);
  await connection.commit();
} finally {
  connection.release();
}
await pool.end();
await cache.close();
