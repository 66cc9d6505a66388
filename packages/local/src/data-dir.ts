/**
 * The data dir (secrets.db, master.key, audit.log, the server's lock) and the master key, shared by
 * the server and by LocalAdmin, which opens the same data dir from outside a running server.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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

const LOCK_FILE = 'server.lock';

/** Data dirs locked by servers of this process (a second server here must be refused too). */
const lockedHere = new Set<string>();

interface LockOwner {
  pid: number;
  /** When the process started, as the OS counts it (Linux), so a reused pid is not mistaken for the owner. */
  started?: string;
  endpoint?: string;
}

/** A process's state and start time from /proc (Linux); undefined elsewhere or when it is gone. */
function processStat(pid: number): { state: string | undefined; started: string | undefined } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], started: fields[19] };
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = processStat(owner.pid);
  // A killed server its parent has not reaped yet (a zombie, as under a PID 1 that reaps nothing) holds nothing.
  if (stat?.state === 'Z' || stat?.state === 'X') return false;
  const started = stat?.started;
  return owner.started === undefined || started === undefined || started === owner.started;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isSafeInteger(owner.pid) && owner.pid > 0 ? owner : undefined;
  } catch {
    return undefined;
  }
}

export interface DataDirLock {
  /** Records where the server listens, for the message a second server gets. */
  setEndpoint(endpoint: string): void;
  release(): void;
}

/**
 * Makes the server the only one on its data dir (two would each cache and rewrite the same rows): a
 * lock file naming this process, created exclusively. A lock whose process is gone (a crash, kill -9)
 * is stale and taken over; a live one refuses the start with one line naming that process.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  const key = realpathSync(dataDir);
  const refuse = (owner: LockOwner | undefined): never => {
    const who =
      owner === undefined
        ? 'another local Secrets Manager'
        : `another local Secrets Manager (pid ${owner.pid}${owner.endpoint ? `, ${owner.endpoint}` : ''})`;
    throw new Error(`The data dir ${dataDir} is in use by ${who}: stop it first, or use another data dir.`);
  };
  if (lockedHere.has(key)) refuse(readOwner(file) ?? { pid: process.pid });
  const me: LockOwner = { pid: process.pid };
  const started = processStat(process.pid)?.started;
  if (started !== undefined) me.started = started;
  const write = (flag: 'wx' | 'w') => writeFileSync(file, `${JSON.stringify(me)}\n`, { mode: 0o600, flag });
  for (let attempt = 0; ; attempt++) {
    try {
      write('wx');
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
    }
    const owner = readOwner(file);
    // This process's own lock with no server of it on the dir is left over (a server never closed).
    const leftOver = owner?.pid === process.pid;
    if (owner !== undefined && !leftOver && isAlive(owner)) refuse(owner);
    // Stale: moved aside under a name of our own first, so two servers starting at once cannot both take it.
    const aside = `${file}.stale-${process.pid}`;
    try {
      renameSync(file, aside);
      rmSync(aside, { force: true });
    } catch {
      // Another starting server moved it first; the next attempt sees who holds the lock now.
    }
  }
  lockedHere.add(key);
  let released = false;
  return {
    setEndpoint(endpoint) {
      me.endpoint = endpoint;
      if (!released) write('w');
    },
    release() {
      if (released) return;
      released = true;
      lockedHere.delete(key);
      // Only our own lock: never one a later server took over.
      if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
    },
  };
}
