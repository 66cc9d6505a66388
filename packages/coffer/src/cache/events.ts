import type { CofferError } from '../errors.js';

export interface SecretCacheEvents {
  /** AWSCURRENT of a cached secret moved to another version (a rotation or a new value). */
  rotated: { secretId: string; name: string; arn: string; previousVersionId: string; versionId: string };
  /** A refresh failed; `servingStale` tells whether callers keep getting the last good value. */
  refreshError: {
    secretId: string;
    arn: string | undefined;
    error: CofferError;
    servingStale: boolean;
    retryInMs: number;
    /** The region whose call failed (with replicas, the last one tried). */
    region?: string;
  };
  /** Every call to Secrets Manager, for metrics. */
  apiCall: {
    operation: string;
    secretId?: string;
    durationMs: number;
    ok: boolean;
    /** The region the call went to: the client's, or a replica's when the cache failed over. */
    region?: string;
    /** True for a call to a replica region (the primary region was failing). */
    failover?: boolean;
  };
}

export type SecretCacheEvent = keyof SecretCacheEvents;
export type Listener<E extends SecretCacheEvent> = (event: SecretCacheEvents[E]) => void;

/**
 * A small typed emitter. Not node:events, whose special "error" event would throw when nobody listens,
 * and so that a listener that throws cannot break a refresh.
 */
export class Emitter {
  private readonly listeners = new Map<SecretCacheEvent, Set<(event: never) => void>>();

  on<E extends SecretCacheEvent>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (event: never) => void);
    return () => this.off(event, listener);
  }

  off<E extends SecretCacheEvent>(event: E, listener: Listener<E>): void {
    this.listeners.get(event)?.delete(listener as (event: never) => void);
  }

  count(event: SecretCacheEvent): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  emit<E extends SecretCacheEvent>(
    event: E,
    payload: SecretCacheEvents[E],
    onListenerError: (error: unknown) => void,
  ): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<E>)(payload);
      } catch (error) {
        onListenerError(error);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
