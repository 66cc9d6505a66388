import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import type { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { CofferLogger } from 'coffer';
import { AgentConfigError } from './errors.js';
import type { AccessLogEntry } from './http/access-log.js';
import { isRoleArn } from './role-arn.js';

type TemporaryCredentialsOptions = Parameters<typeof fromTemporaryCredentials>[0];

/** A secret, or every secret carrying a tag key, to load into the cache at start-up. */
export interface PrefetchOptions {
  /** Secret names or ARNs, each optionally read through a role. */
  secrets?: readonly { secretId: string; roleArn?: string | undefined }[];
  /** Tag keys: every secret carrying one is loaded (ListSecrets, then BatchGetSecretValue). */
  filterTags?: readonly { key: string; roleArn?: string | undefined }[];
  /** The most of the cache prefetching may fill, per role. @default 0.8 */
  cacheBufferRatio?: number;
}

export interface AgentOptions {
  /**
   * Where to listen: `host:port`, `[ipv6]:port`, a port alone (on 127.0.0.1), or a Unix socket path (any value
   * with a `/`). A non-loopback address requires a token read from a file. @default '127.0.0.1:2773'
   */
  listen?: string;
  /**
   * The token every request must carry. @default the first of `tokenEnvVariables` that is set; a value
   * `file://<path>` is read from that file
   */
  token?: string;
  /** A file holding the token (trimmed). Takes precedence over the environment. */
  tokenFile?: string;
  /** Request headers that may carry the token. @default ['X-Aws-Parameters-Secrets-Token', 'X-Vault-Token'] */
  tokenHeaders?: readonly string[];
  /** Environment variables checked in order for the token. @default ['AWS_TOKEN', 'AWS_SESSION_TOKEN', 'AWS_CONTAINER_AUTHORIZATION_TOKEN'] */
  tokenEnvVariables?: readonly string[];
  /** Where the token variables are read. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** The prefix of path-style requests (`/v1/<secretId>`). @default '/v1/' */
  pathPrefix?: string;
  /** How long a value is served from the cache, in seconds (0 to 3600); 0 disables caching. @default 300 */
  ttlSeconds?: number;
  /** Most secrets kept per cache. @default 1000 */
  cacheSize?: number;
  /** Most open client connections; requests on connections past it are answered 429. @default 800 */
  maxConnections?: number;
  /** Most roles (`roleArn`) assumed at once, each with its own cache. @default 20 */
  maxRoles?: number;
  /** How long past its TTL a value is served while Secrets Manager fails, in seconds. @default 3600 */
  maxStaleSeconds?: number;
  /** Fraction of the TTL after which a read refreshes the value in the background. @default 0.8 */
  refreshAhead?: number;
  /** Refresh by asking DescribeSecret whether AWSCURRENT moved, fetching the value only when it did. @default true */
  versionAware?: boolean;
  /** The AWS region. @default the SDK's (AWS_REGION, the profile, ...) */
  region?: string;
  /**
   * Settings for the Secrets Manager clients (endpoint, credentials, retries). @default the SDK's default
   * chain, which also reads `AWS_ENDPOINT_URL_SECRETS_MANAGER`
   */
  clientConfig?: SecretsManagerClientConfig;
  /** Settings for the STS client that assumes roles (`clientConfig`, `clientPlugins`). @default the SDK's */
  assumeRole?: Pick<TemporaryCredentialsOptions, 'clientConfig' | 'clientPlugins'>;
  prefetch?: PrefetchOptions;
  /** Where the agent's own messages go (start, warnings, prefetch). @default silent */
  logger?: CofferLogger;
  /** Called once per request with what was asked and answered; never a value or a token. @default none */
  accessLog?: (entry: AccessLogEntry) => void;
}

/** Every default of the agent, as AWS's agent has them where it has the setting. */
export const AGENT_DEFAULTS = Object.freeze({
  listen: '127.0.0.1:2773',
  tokenHeaders: Object.freeze(['X-Aws-Parameters-Secrets-Token', 'X-Vault-Token']),
  tokenEnvVariables: Object.freeze(['AWS_TOKEN', 'AWS_SESSION_TOKEN', 'AWS_CONTAINER_AUTHORIZATION_TOKEN']),
  pathPrefix: '/v1/',
  ttlSeconds: 300,
  cacheSize: 1000,
  maxConnections: 800,
  maxRoles: 20,
  maxStaleSeconds: 3600,
  refreshAhead: 0.8,
  versionAware: true,
  cacheBufferRatio: 0.8,
});

/** The options with every default applied and every value checked. */
export interface AgentSettings {
  readonly listen: string;
  readonly tokenHeaders: readonly string[];
  readonly pathPrefix: string;
  readonly ttlSeconds: number;
  readonly cacheSize: number;
  readonly maxConnections: number;
  readonly maxRoles: number;
  readonly maxStaleSeconds: number;
  readonly refreshAhead: number;
  readonly versionAware: boolean;
  readonly cacheBufferRatio: number;
}

function checkWhole(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new AgentConfigError(`${name} must be a whole number from ${min} to ${max}, got ${String(value)}.`);
}

function checkRole(roleArn: string | undefined, where: string): void {
  if (roleArn !== undefined && !isRoleArn(roleArn))
    throw new AgentConfigError(
      `The role_arn of the ${where} is not a role ARN: use arn:<partition>:iam::<account>:role/<name>.`,
    );
}

export function agentSettings(options: AgentOptions): AgentSettings {
  const d = AGENT_DEFAULTS;
  checkWhole('ttlSeconds', options.ttlSeconds, 0, 3600);
  checkWhole('cacheSize', options.cacheSize, 1, 1_000_000);
  checkWhole('maxConnections', options.maxConnections, 1, 1_000_000);
  checkWhole('maxRoles', options.maxRoles, 1, 1000);
  checkWhole('maxStaleSeconds', options.maxStaleSeconds, 0, 7 * 24 * 3600);
  const ratio = options.prefetch?.cacheBufferRatio;
  if (ratio !== undefined && !(ratio >= 0.1 && ratio <= 1))
    throw new AgentConfigError(`prefetch cacheBufferRatio must be from 0.1 to 1, got ${String(ratio)}.`);
  for (const { secretId, roleArn } of options.prefetch?.secrets ?? []) {
    if (typeof secretId !== 'string' || secretId === '')
      throw new AgentConfigError('Every prefetch secret needs a secretId (a name or ARN).');
    checkRole(roleArn, `prefetch of ${secretId}`);
  }
  for (const { key, roleArn } of options.prefetch?.filterTags ?? []) {
    if (typeof key !== 'string' || key === '')
      throw new AgentConfigError('Every prefetch tag filter needs a key.');
    checkRole(roleArn, `prefetch of tag ${key}`);
  }
  const ahead = options.refreshAhead;
  if (ahead !== undefined && !(ahead > 0 && ahead <= 1))
    throw new AgentConfigError(`refreshAhead must be above 0 and at most 1, got ${String(ahead)}.`);
  const prefix = options.pathPrefix ?? d.pathPrefix;
  if (!prefix.startsWith('/') || !prefix.endsWith('/') || prefix.length < 2)
    throw new AgentConfigError(`pathPrefix must start and end with "/", e.g. "/v1/", got "${prefix}".`);
  const headers = options.tokenHeaders ?? d.tokenHeaders;
  if (headers.length === 0 || headers.some((h) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h)))
    throw new AgentConfigError('tokenHeaders must list at least one valid HTTP header name.');
  return {
    listen: options.listen ?? d.listen,
    tokenHeaders: headers.map((h) => h.toLowerCase()),
    pathPrefix: prefix,
    ttlSeconds: options.ttlSeconds ?? d.ttlSeconds,
    cacheSize: options.cacheSize ?? d.cacheSize,
    maxConnections: options.maxConnections ?? d.maxConnections,
    maxRoles: options.maxRoles ?? d.maxRoles,
    maxStaleSeconds: options.maxStaleSeconds ?? d.maxStaleSeconds,
    refreshAhead: ahead ?? d.refreshAhead,
    versionAware: options.versionAware ?? d.versionAware,
    cacheBufferRatio: ratio ?? d.cacheBufferRatio,
  };
}
