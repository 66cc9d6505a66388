import { readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { AgentConfigError } from '../errors.js';
import type { AgentOptions, PrefetchOptions } from '../options.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'none';
const LOG_LEVELS = new Set<string>(['debug', 'info', 'warn', 'error', 'none']);

/** What a config file, the environment or flags set: agent options plus how the command logs. */
export interface AgentConfig {
  options: AgentOptions;
  logLevel?: LogLevel;
  /** Coffer extension: whether each request is logged. */
  accessLog?: boolean;
  /** Settings AWS's agent has that this one accepts but does not act on, for the command to print. */
  ignored: string[];
}

type Table = Record<string, unknown>;

const isTable = (value: unknown): value is Table =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/** Reads one TOML table, refusing keys it does not know (as AWS's agent does), with the path in every message. */
class Reader {
  constructor(
    private readonly table: Table,
    private readonly path: string,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(table))
      if (!allowed.includes(key))
        throw new AgentConfigError(
          `Unknown setting ${this.name(key)}: the settings here are ${allowed.join(', ')}.`,
        );
  }

  name(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.table[key] !== undefined;
  }

  table_(key: string, allowed: readonly string[]): Reader | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    if (!isTable(value))
      throw new AgentConfigError(`${this.name(key)} must be a table ([${this.name(key)}]).`);
    return new Reader(value, this.name(key), allowed);
  }

  string(key: string): string | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new AgentConfigError(`${this.name(key)} must be a string.`);
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw new AgentConfigError(`${this.name(key)} must be true or false.`);
    return value;
  }

  number(key: string): number | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    // AWS's agent also takes numbers written as strings in its flat layout.
    const number =
      typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value) : value;
    if (typeof number !== 'number' || Number.isNaN(number))
      throw new AgentConfigError(`${this.name(key)} must be a number.`);
    return number;
  }

  strings(key: string): string[] | undefined {
    const value = this.table[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
      throw new AgentConfigError(`${this.name(key)} must be a list of strings.`);
    return value as string[];
  }

  tables(key: string, allowed: readonly string[]): Reader[] {
    const value = this.table[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isTable))
      throw new AgentConfigError(`${this.name(key)} must be a list of tables ([[${this.name(key)}]]).`);
    return value.map((t, i) => new Reader(t, `${this.name(key)}[${i}]`, allowed));
  }
}

const SECRETS_MANAGER_KEYS = [
  'enabled',
  'http_port',
  'cache',
  'security',
  'path_prefix',
  'max_conn',
  'max_roles',
  'region',
  'ignore_transient_errors',
  'validate_credentials',
  'prefetch',
  'credentials_file_path',
  // Coffer extensions
  'listen',
  'token_file',
];
const FLAT_KEYS = [
  'log_level',
  'log_to_file',
  'http_port',
  'ttl_seconds',
  'cache_size',
  'ssrf_headers',
  'ssrf_env_variables',
  'path_prefix',
  'max_conn',
  'max_roles',
  'region',
  'ignore_transient_errors',
  'validate_credentials',
  'prefetch',
  'credentials_file_path',
];
const CACHE_KEYS = ['ttl_seconds', 'cache_size', 'max_stale_seconds', 'refresh_ahead', 'version_aware'];
const PREFETCH_KEYS = ['cache_buffer_ratio', 'max_jitter_seconds', 'secrets', 'filter_tags'];

function readPrefetch(reader: Reader | undefined): PrefetchOptions | undefined {
  if (reader === undefined) return undefined;
  const ratio = reader.number('cache_buffer_ratio');
  return {
    secrets: reader.tables('secrets', ['secret_id', 'role_arn']).map((t) => ({
      secretId: required(t, 'secret_id'),
      roleArn: t.string('role_arn'),
    })),
    filterTags: reader.tables('filter_tags', ['key', 'role_arn']).map((t) => ({
      key: required(t, 'key'),
      roleArn: t.string('role_arn'),
    })),
    ...(ratio !== undefined && { cacheBufferRatio: ratio }),
  };
}

function required(reader: Reader, key: string): string {
  const value = reader.string(key);
  if (value === undefined || value === '') throw new AgentConfigError(`${reader.name(key)} is required.`);
  return value;
}

function logLevel(value: string | undefined, name: string): LogLevel | undefined {
  if (value === undefined) return undefined;
  const level = value.toLowerCase();
  if (!LOG_LEVELS.has(level))
    throw new AgentConfigError(`${name} must be DEBUG, INFO, WARN, ERROR or NONE, got "${value}".`);
  return level as LogLevel;
}

/** Copies the settings one Secrets Manager table (nested, or the old flat root) holds into `config`. */
function readSecretsManager(
  sm: Reader,
  cache: Reader | undefined,
  security: Reader | undefined,
  config: AgentConfig,
): void {
  const o = config.options;
  const set = <K extends keyof AgentOptions>(key: K, value: AgentOptions[K] | undefined) => {
    if (value !== undefined) o[key] = value;
  };
  if (sm.boolean('enabled') === false)
    throw new AgentConfigError(
      `${sm.name('enabled')} is false: the agent has nothing else to do; remove the setting to run it.`,
    );
  const port = sm.number('http_port');
  if (port !== undefined) {
    if (!Number.isInteger(port) || port < 1024 || port > 65_535)
      throw new AgentConfigError(`${sm.name('http_port')} must be from 1024 to 65535, got ${port}.`);
    o.listen = `127.0.0.1:${port}`;
  }
  set('listen', sm.has('listen') ? sm.string('listen') : undefined);
  set('tokenFile', sm.has('token_file') ? sm.string('token_file') : undefined);
  set('pathPrefix', sm.string('path_prefix'));
  set('maxConnections', sm.number('max_conn'));
  set('maxRoles', sm.number('max_roles'));
  set('region', sm.string('region'));
  set('ttlSeconds', cache?.number('ttl_seconds'));
  set('cacheSize', cache?.number('cache_size'));
  set('maxStaleSeconds', cache?.has('max_stale_seconds') ? cache.number('max_stale_seconds') : undefined);
  set('refreshAhead', cache?.has('refresh_ahead') ? cache.number('refresh_ahead') : undefined);
  set('versionAware', cache?.has('version_aware') ? cache.boolean('version_aware') : undefined);
  set('tokenHeaders', security?.strings('ssrf_headers'));
  set('tokenEnvVariables', security?.strings('ssrf_env_variables'));
  // AWS's agent serves the cached value through transient failures unless told not to.
  if (sm.boolean('ignore_transient_errors') === false) o.maxStaleSeconds = 0;
  for (const key of ['validate_credentials', 'credentials_file_path'])
    if (sm.has(key)) config.ignored.push(sm.name(key));
  const prefetch = sm.table_('prefetch', PREFETCH_KEYS);
  if (prefetch?.has('max_jitter_seconds')) config.ignored.push(prefetch.name('max_jitter_seconds'));
  set('prefetch', readPrefetch(prefetch));
}

/** Reads settings from TOML text in AWS's agent's layout (nested, or its older flat keys). */
export function parseAgentConfig(text: string, source = 'the config file'): AgentConfig {
  let root: Table;
  try {
    root = parse(text) as Table;
  } catch (error) {
    const where = error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : '';
    throw new AgentConfigError(`${source} is not valid TOML${where}: fix the syntax.`, { cause: error });
  }
  const config: AgentConfig = { options: {}, ignored: [] };
  const top = new Reader(root, '', [...FLAT_KEYS, 'capabilities', 'logging']);
  // The older flat layout: the same settings at the root.
  readSecretsManager(top, top, top, config);
  const logging = top.table_('logging', ['log_level', 'log_to_file', 'access_log']);
  const level = logLevel(logging?.string('log_level') ?? top.string('log_level'), 'log_level');
  if (level !== undefined) config.logLevel = level;
  const accessLog = logging?.boolean('access_log');
  if (accessLog !== undefined) config.accessLog = accessLog;
  if (logging?.has('log_to_file') || top.has('log_to_file'))
    config.ignored.push('log_to_file (the agent logs to stderr)');
  const capabilities = top.table_('capabilities', ['secrets_manager', 'acm']);
  if (capabilities?.has('acm'))
    config.ignored.push('capabilities.acm (certificates are not part of this agent)');
  const sm = capabilities?.table_('secrets_manager', SECRETS_MANAGER_KEYS);
  if (sm !== undefined)
    readSecretsManager(
      sm,
      sm.table_('cache', CACHE_KEYS),
      sm.table_('security', ['ssrf_headers', 'ssrf_env_variables']),
      config,
    );
  return config;
}

export function readAgentConfig(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AgentConfigError(
      `Cannot read the config file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      {
        cause: error,
      },
    );
  }
  return parseAgentConfig(text, path);
}
