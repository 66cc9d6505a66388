import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Credential, CredentialRegistry, type NewCredential } from './auth/credentials.js';
import { defaultDataDir, loadMasterKey } from './data-dir.js';
import { DEFAULT_ACCOUNT_ID } from './defaults.js';
import { Store } from './store/store.js';

export interface LocalAdminOptions {
  /** @default the user's data directory, as for `startLocalSecretsManager` */
  dataDir?: string;
  /** @default '123456789012' */
  accountId?: string;
  masterKey?: Buffer | string;
}

/** What a running server publishes in its data dir so `coffer env` can find it. */
export interface RunningServer {
  endpoint: string;
  /** Its default region. */
  region: string;
  /** The regions it accepts; absent when it accepts every AWS region. */
  regions?: readonly string[];
  pid: number;
}

const RUNNING_FILE = 'server.json';

export function writeRunningServer(dataDir: string, running: RunningServer): void {
  writeFileSync(join(dataDir, RUNNING_FILE), `${JSON.stringify(running)}\n`, { mode: 0o600 });
}

export function clearRunningServer(dataDir: string): void {
  rmSync(join(dataDir, RUNNING_FILE), { force: true });
}

/** The server running on a data dir, if its process is still alive. */
export function findRunningServer(dataDir: string = defaultDataDir()): RunningServer | undefined {
  const file = join(dataDir, RUNNING_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const running = JSON.parse(readFileSync(file, 'utf8')) as RunningServer;
    process.kill(running.pid, 0);
    return running;
  } catch {
    return undefined;
  }
}

/** A data dir that holds no local Secrets Manager: nothing was ever served from it. */
export class NoLocalDataError extends Error {
  override readonly name = 'NoLocalDataError';
  readonly code = 'NO_LOCAL_DATA';

  constructor(readonly dataDir: string) {
    super(`No local Secrets Manager data in ${dataDir}: start one with \`coffer serve\` first.`);
  }
}

/**
 * Manages a data dir's credentials from outside the server (the `coffer credentials` and `coffer env`
 * commands). A running server sees added credentials on their first use.
 */
export class LocalAdmin implements Disposable {
  private readonly store: Store;
  private readonly registry: CredentialRegistry;
  readonly dataDir: string;

  constructor(options: LocalAdminOptions = {}) {
    this.dataDir = options.dataDir ?? defaultDataDir();
    if (!existsSync(join(this.dataDir, 'secrets.db'))) throw new NoLocalDataError(this.dataDir);
    this.store = new Store({
      dataDir: this.dataDir,
      masterKey: loadMasterKey(this.dataDir, options.masterKey),
    });
    this.registry = new CredentialRegistry(this.store, options.accountId ?? DEFAULT_ACCOUNT_ID);
  }

  admin(): Credential {
    return this.registry.admin();
  }

  list(): Credential[] {
    return this.registry.list();
  }

  add(request: NewCredential): Credential {
    return this.registry.add(request);
  }

  remove(userName: string): boolean {
    return this.registry.remove(userName);
  }

  close(): void {
    this.store.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
