import { type CofferLogger, getMany, SecretBatchError } from 'coffer';
import type { Caches } from './caches.js';
import { secretNames } from './listing.js';
import type { AgentMetrics } from './metrics.js';
import type { AgentSettings, PrefetchOptions } from './options.js';

/** What prefetching loaded and what it could not, by secret (and role); never a value. */
export interface PrefetchReport {
  readonly loaded: readonly { secretId: string; roleArn?: string | undefined }[];
  readonly failed: readonly { secretId: string; roleArn?: string | undefined; code: string }[];
}

const ROLE_OF_AGENT = '';

/**
 * Loads the listed secrets and every secret carrying a listed tag key, per role, up to `cacheBufferRatio` of
 * each cache: tag keys are listed (ListSecrets), then every name is read through the cache in batches of 20
 * (BatchGetSecretValue). A failure is reported, never fatal: the agent serves those secrets on demand.
 */
export async function prefetch(
  caches: Caches,
  settings: AgentSettings,
  options: PrefetchOptions,
  metrics: AgentMetrics,
  logger: CofferLogger,
): Promise<PrefetchReport> {
  const byRole = new Map<string, { ids: Set<string>; tagKeys: Set<string> }>();
  const group = (roleArn: string | undefined) => {
    const key = roleArn ?? ROLE_OF_AGENT;
    let found = byRole.get(key);
    if (found === undefined) {
      found = { ids: new Set(), tagKeys: new Set() };
      byRole.set(key, found);
    }
    return found;
  };
  for (const { secretId, roleArn } of options.secrets ?? []) group(roleArn).ids.add(secretId);
  for (const { key, roleArn } of options.filterTags ?? []) group(roleArn).tagKeys.add(key);

  const loaded: { secretId: string; roleArn?: string | undefined }[] = [];
  const failed: { secretId: string; roleArn?: string | undefined; code: string }[] = [];
  const limit = Math.max(1, Math.floor(settings.cacheSize * settings.cacheBufferRatio));
  await Promise.all(
    [...byRole].map(async ([role, { ids, tagKeys }]) => {
      const roleArn = role === ROLE_OF_AGENT ? undefined : role;
      const failAll = (secretIds: Iterable<string>, code: string) => {
        for (const secretId of secretIds) failed.push({ secretId, roleArn, code });
      };
      let scope: Awaited<ReturnType<Caches['for']>>;
      try {
        scope = await caches.for(roleArn);
      } catch {
        failAll([...ids, ...[...tagKeys].map((k) => `tag-key:${k}`)], 'ROLE_NOT_ASSUMED');
        return;
      }
      const wanted = new Set(ids);
      for (const key of tagKeys) {
        try {
          const names = await secretNames(scope.client, [{ Key: 'tag-key', Values: [key] }], limit, (ok) =>
            metrics.upstreamCall('ListSecrets', ok),
          );
          for (const name of names) wanted.add(name);
        } catch (error) {
          failAll([`tag-key:${key}`], (error as { code?: string }).code ?? 'ERROR');
        }
      }
      const secretIds = [...wanted].slice(0, limit);
      try {
        await getMany(scope.cache, secretIds);
        for (const secretId of secretIds) loaded.push({ secretId, roleArn });
      } catch (error) {
        if (!(error instanceof SecretBatchError)) throw error;
        for (const secretId of error.results.keys()) loaded.push({ secretId, roleArn });
        for (const [secretId, cause] of error.errors) failed.push({ secretId, roleArn, code: cause.code });
      }
    }),
  );
  for (const { secretId, roleArn, code } of failed)
    logger.warn?.({ secretId, roleArn, code }, `coffer agent: could not prefetch ${secretId} (${code})`);
  logger.info?.(
    { loaded: loaded.length, failed: failed.length },
    `coffer agent: prefetched ${loaded.length} secrets`,
  );
  return { loaded, failed };
}
