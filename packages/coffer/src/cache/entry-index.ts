import type { CacheEntry } from './entry.js';

const keyOf = (selector: string, name: string): string => `${selector}\n${name}`;

/**
 * Finds entries by every name a secret is known by: the name or ARN a caller used, its name, its full ARN and
 * its partial ARN (the ARN without the `-` and six random characters). One entry per secret and version,
 * however it was named.
 */
export class EntryIndex {
  /** Entries for AWSCURRENT by every name they are known by; the hot path is one lookup here. */
  readonly current = new Map<string, CacheEntry>();
  /** Entries for explicit stages and versions, by `${selector}\n${name}`. */
  private readonly other = new Map<string, CacheEntry>();
  /** Entries by `${selector}\n${arn}`. */
  private readonly byArn = new Map<string, CacheEntry>();
  readonly entries = new Set<CacheEntry>();

  get size(): number {
    return this.entries.size;
  }

  lookup(secretId: string, selector: string): CacheEntry | undefined {
    return selector === '' ? this.current.get(secretId) : this.other.get(keyOf(selector, secretId));
  }

  /** The entry already holding this secret's version, whatever name it was fetched by. */
  withArn(selector: string, arn: string): CacheEntry | undefined {
    return this.byArn.get(keyOf(selector, arn));
  }

  /** Adds an entry under the name it was asked by and every name its value reveals. */
  add(entry: CacheEntry, askedAs: string): void {
    this.entries.add(entry);
    this.byArn.set(keyOf(entry.selector, entry.arn), entry);
    for (const name of [askedAs, entry.raw.name, entry.arn, entry.arn.slice(0, -7)]) this.alias(entry, name);
  }

  alias(entry: CacheEntry, name: string): void {
    entry.aliases.add(name);
    if (entry.selector === '') this.current.set(name, entry);
    else this.other.set(keyOf(entry.selector, name), entry);
  }

  /** The ARN of the secret known by `secretId`, in any version. */
  arnOf(secretId: string): string | undefined {
    return this.current.get(secretId)?.arn ?? [...this.entries].find((e) => e.aliases.has(secretId))?.arn;
  }

  remove(entry: CacheEntry): void {
    this.entries.delete(entry);
    const arnKey = keyOf(entry.selector, entry.arn);
    if (this.byArn.get(arnKey) === entry) this.byArn.delete(arnKey);
    for (const name of entry.aliases) {
      if (entry.selector === '') {
        if (this.current.get(name) === entry) this.current.delete(name);
      } else {
        const key = keyOf(entry.selector, name);
        if (this.other.get(key) === entry) this.other.delete(key);
      }
    }
  }

  leastRecentlyUsed(): CacheEntry | undefined {
    let oldest: CacheEntry | undefined;
    for (const entry of this.entries) if (oldest === undefined || entry.used < oldest.used) oldest = entry;
    return oldest;
  }
}

/** The key for fetches and backoff of a name that is not cached yet. */
export const pendingKey = keyOf;
