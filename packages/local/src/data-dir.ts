/**
 * The data dir (secrets.db, master.key, audit.log) and the master key, shared by the server and by
 * LocalAdmin, which opens the same data dir from outside a running server.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { KEY_BYTES } from './store/crypto.js';

export const MASTER_KEY_ENV = 'COFFER_MASTER_KEY';

/** The default data directory: `$XDG_DATA_HOME/coffer`, `~/Library/Application Support/coffer`, ... */
export const defaultDataDir = (): string => envPaths('coffer', { suffix: '' }).data;

/** Where the audit log of a data dir is. */
export const auditLogPath = (dataDir: string = defaultDataDir()): string => join(dataDir, 'audit.log');

/** Creates the data dir if needed and makes it 0700, also when it was created loose before. */
export function makePrivateDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}

function decodeKey(value: Buffer | string, origin: string): Buffer {
  const key = typeof value === 'string' ? Buffer.from(value.trim(), 'base64') : value;
  if (key.length !== KEY_BYTES) {
    throw new TypeError(
      `${origin} must be ${KEY_BYTES} bytes (base64 of 32 random bytes, e.g. \`openssl rand -base64 32\`).`,
    );
  }
  return key;
}

/** The master key: explicit option, then COFFER_MASTER_KEY, then `master.key` in the data dir (created if absent). */
export function loadMasterKey(dataDir: string | undefined, explicit?: Buffer | string): Buffer {
  if (explicit !== undefined) return decodeKey(explicit, 'masterKey');
  const fromEnv = process.env[MASTER_KEY_ENV];
  if (fromEnv) return decodeKey(fromEnv, MASTER_KEY_ENV);
  if (dataDir === undefined) return randomBytes(KEY_BYTES);
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) return decodeKey(readFileSync(file, 'utf8'), file);
  // A fresh key could never open an existing database, and would leave a misleading master.key behind.
  if (existsSync(join(dataDir, 'secrets.db'))) {
    throw new Error(
      `${dataDir} holds a database but no master.key: restore the master.key file that created it, or pass its key as masterKey or ${MASTER_KEY_ENV}.`,
    );
  }
  const key = randomBytes(KEY_BYTES);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
