import { AgentConfigError } from '../errors.js';
import type { AgentOptions } from '../options.js';
import { type AgentConfig, type LogLevel, readAgentConfig } from './file.js';

/** What the `coffer agent` command line can set; each overrides the environment and the config file. */
export interface AgentFlags {
  config?: string | undefined;
  listen?: string | undefined;
  /** Like AWS's `http_port`: on 127.0.0.1. */
  port?: number | undefined;
  ttl?: number | undefined;
  cacheSize?: number | undefined;
  maxConn?: number | undefined;
  maxRoles?: number | undefined;
  maxStale?: number | undefined;
  tokenFile?: string | undefined;
  region?: string | undefined;
  prefetch?: string[] | undefined;
  prefetchTag?: string[] | undefined;
  logLevel?: string | undefined;
  accessLog?: boolean | undefined;
  versionAware?: boolean | undefined;
}

/** The environment variables that override the config file (flags override them in turn). */
export const AGENT_ENV = Object.freeze({
  config: 'COFFER_AGENT_CONFIG',
  listen: 'COFFER_AGENT_LISTEN',
  ttl: 'COFFER_AGENT_TTL_SECONDS',
  cacheSize: 'COFFER_AGENT_CACHE_SIZE',
  maxConn: 'COFFER_AGENT_MAX_CONN',
  maxRoles: 'COFFER_AGENT_MAX_ROLES',
  maxStale: 'COFFER_AGENT_MAX_STALE_SECONDS',
  tokenFile: 'COFFER_AGENT_TOKEN_FILE',
  logLevel: 'COFFER_AGENT_LOG_LEVEL',
  accessLog: 'COFFER_AGENT_ACCESS_LOG',
});

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text)) throw new AgentConfigError(`${name} must be a whole number, got "${text}".`);
  return value;
}

function flag(name: string, text: string | undefined): boolean | undefined {
  if (text === undefined || text === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new AgentConfigError(`${name} must be true or false, got "${text}".`);
}

/** The settings from the environment, in the same shape as flags. */
function envFlags(env: Readonly<Record<string, string | undefined>>): AgentFlags {
  const e = AGENT_ENV;
  return {
    config: env[e.config] || undefined,
    listen: env[e.listen] || undefined,
    ttl: number(e.ttl, env[e.ttl]),
    cacheSize: number(e.cacheSize, env[e.cacheSize]),
    maxConn: number(e.maxConn, env[e.maxConn]),
    maxRoles: number(e.maxRoles, env[e.maxRoles]),
    maxStale: number(e.maxStale, env[e.maxStale]),
    tokenFile: env[e.tokenFile] || undefined,
    logLevel: env[e.logLevel] || undefined,
    accessLog: flag(e.accessLog, env[e.accessLog]),
  };
}

function apply(config: AgentConfig, flags: AgentFlags): void {
  const o: AgentOptions = config.options;
  if (flags.port !== undefined) o.listen = `127.0.0.1:${flags.port}`;
  if (flags.listen !== undefined) o.listen = flags.listen;
  if (flags.ttl !== undefined) o.ttlSeconds = flags.ttl;
  if (flags.cacheSize !== undefined) o.cacheSize = flags.cacheSize;
  if (flags.maxConn !== undefined) o.maxConnections = flags.maxConn;
  if (flags.maxRoles !== undefined) o.maxRoles = flags.maxRoles;
  if (flags.maxStale !== undefined) o.maxStaleSeconds = flags.maxStale;
  if (flags.tokenFile !== undefined) o.tokenFile = flags.tokenFile;
  if (flags.region !== undefined) o.region = flags.region;
  if (flags.versionAware !== undefined) o.versionAware = flags.versionAware;
  if (flags.accessLog !== undefined) config.accessLog = flags.accessLog;
  if (flags.logLevel !== undefined) {
    const level = flags.logLevel.toLowerCase();
    if (!['debug', 'info', 'warn', 'error', 'none'].includes(level))
      throw new AgentConfigError(
        `log level must be debug, info, warn, error or none, got "${flags.logLevel}".`,
      );
    config.logLevel = level as LogLevel;
  }
  const secrets = (flags.prefetch ?? []).map((secretId) => ({ secretId }));
  const filterTags = (flags.prefetchTag ?? []).map((key) => ({ key }));
  if (secrets.length + filterTags.length > 0) {
    const p = o.prefetch ?? {};
    o.prefetch = {
      ...p,
      secrets: [...(p.secrets ?? []), ...secrets],
      filterTags: [...(p.filterTags ?? []), ...filterTags],
    };
  }
}

/**
 * The agent's settings from every source, later ones winning: the config file (`--config`, or the variable
 * COFFER_AGENT_CONFIG), then COFFER_AGENT_* variables, then flags.
 */
export function agentConfig(
  flags: AgentFlags,
  env: Readonly<Record<string, string | undefined>>,
): AgentConfig {
  const fromEnv = envFlags(env);
  const path = flags.config ?? fromEnv.config;
  const config: AgentConfig = path === undefined ? { options: {}, ignored: [] } : readAgentConfig(path);
  apply(config, fromEnv);
  apply(config, flags);
  return config;
}
