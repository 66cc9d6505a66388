import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { type CofferLogger, SecretCache } from 'coffer';
import { HttpAnswer } from './http/answers.js';
import type { AgentOptions, AgentSettings } from './options.js';

/** A cache and the client it calls through (for what the cache does not do itself, such as listing). */
export interface Scope {
  readonly cache: SecretCache;
  readonly client: SecretsManagerClient;
}

/** A TTL of 0 means "no caching": reads always refresh, so the cache's own TTL only bounds memory. */
const UNCACHED_TTL_MS = 3_600_000;

/**
 * The agent's caches: one over the agent's own credentials, and one per role asked for with `roleArn` (created
 * on first use, at most `maxRoles`, never evicted, as AWS's agent does).
 */
export class Caches {
  readonly default: Scope;
  readonly #roles = new Map<string, Promise<Scope>>();
  readonly #clientConfig: SecretsManagerClientConfig;

  constructor(
    private readonly settings: AgentSettings,
    private readonly options: AgentOptions,
    private readonly logger: CofferLogger,
    /** Told of every cache made, so metrics can follow its calls. */
    private readonly onCache: (cache: SecretCache) => void,
  ) {
    this.#clientConfig = {
      ...options.clientConfig,
      ...(options.region !== undefined && { region: options.region }),
    };
    this.default = this.#cache(new SecretsManagerClient(this.#clientConfig));
  }

  #cache(client: SecretsManagerClient): Scope {
    const { ttlSeconds, maxStaleSeconds, refreshAhead, versionAware, cacheSize } = this.settings;
    const cache = new SecretCache({
      client,
      ttl: ttlSeconds === 0 ? UNCACHED_TTL_MS : ttlSeconds * 1000,
      maxStale: maxStaleSeconds * 1000,
      refreshAhead,
      versionAware,
      maxEntries: cacheSize,
      logger: this.logger,
    });
    this.onCache(cache);
    return { cache, client };
  }

  /** The cache for a role (or the agent's own); 400 past `maxRoles`, 403 when the role cannot be assumed. */
  for(roleArn: string | undefined): Promise<Scope> | Scope {
    if (roleArn === undefined) return this.default;
    const known = this.#roles.get(roleArn);
    if (known !== undefined) return known;
    if (this.#roles.size >= this.settings.maxRoles) {
      throw HttpAnswer.json(
        400,
        'MaxRolesExceeded',
        `The maximum number of assumed roles (${this.settings.maxRoles}) has been reached. Unable to assume the following role to create a client: ${roleArn}`,
      );
    }
    const created = this.#assume(roleArn);
    this.#roles.set(roleArn, created);
    created.catch(() => this.#roles.delete(roleArn));
    return created;
  }

  async #assume(roleArn: string): Promise<Scope> {
    const credentials = fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: 'coffer-agent' },
      ...(this.#clientConfig.credentials !== undefined && {
        masterCredentials: this.#clientConfig.credentials as never,
      }),
      clientConfig: {
        ...(this.#clientConfig.region !== undefined && { region: this.#clientConfig.region }),
        ...this.options.assumeRole?.clientConfig,
      },
      ...(this.options.assumeRole?.clientPlugins !== undefined && {
        clientPlugins: this.options.assumeRole.clientPlugins,
      }),
    });
    let current: Awaited<ReturnType<typeof credentials>>;
    try {
      // Assume the role now, so a refused role is a clear 403 rather than a failure on the first read.
      current = await credentials();
    } catch (error) {
      this.logger.error?.(
        { roleArn, error: (error as Error).name },
        `coffer agent: cannot assume role ${roleArn}`,
      );
      throw HttpAnswer.json(
        403,
        'AccessDeniedException',
        `Failed to create caching client from role: ${roleArn}`,
      );
    }
    this.logger.info?.({ roleArn, roles: this.#roles.size }, `coffer agent: assumed role ${roleArn}`);
    // The credentials just fetched serve until 5 minutes before they expire, then the role is assumed again.
    const renewing = async () => {
      const expiration = current.expiration?.getTime();
      if (expiration !== undefined && expiration - Date.now() < 5 * 60_000) current = await credentials();
      return current;
    };
    return this.#cache(new SecretsManagerClient({ ...this.#clientConfig, credentials: renewing }));
  }

  /** Every cache made so far (role caches still being created are left out). */
  async all(): Promise<Scope[]> {
    const roles = await Promise.allSettled(this.#roles.values());
    return [this.default, ...roles.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))];
  }

  async close(): Promise<void> {
    await Promise.all(
      (await this.all()).map(({ cache, client }) => cache.close().finally(() => client.destroy())),
    );
  }
}
