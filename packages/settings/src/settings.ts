import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CofferError,
  type CofferLogger,
  readSecretReferences,
  Secret,
  SecretCache,
  type SecretReads,
} from 'coffer';
import { deepFreeze, isStandardSchema } from 'coffer/internal';
import {
  type Contribution,
  collectContributions,
  mappingContributions,
  neededSecrets,
  type SecretMapping,
} from './contributions.js';
import { SettingsError } from './errors.js';
import { type FieldNode, fieldTree, isPlainObject, pathKey } from './fields.js';
import { resolveInput } from './resolution.js';
import type { InferSettings, SettingsSchema, Shape } from './schema.js';
import type { DotenvOptions, EnvOptions } from './sources.js';
import { validateSettings } from './validation.js';

export interface SettingsOptions<S extends SettingsSchema> {
  /** One Standard Schema for the whole object, or a Shape: a nested object of per-field Standard Schemas. */
  schema: S;
  /** Environment variables; `false` to ignore them. @default { prefix: '', nestedDelimiter: '__', caseSensitive: false } */
  env?: EnvOptions | false;
  /** `.env` files; `false` to skip them. @default `.env`, `.env.local`, `.env.<NODE_ENV>`, `.env.<NODE_ENV>.local` */
  dotenv?: DotenvOptions | false;
  /** Which fields come from Secrets Manager, e.g. `{ database: 'prod/db', apiKey: 'prod/api#key' }`. */
  secrets?: SecretMapping;
  /** A SecretCache to share (and whose rotation events `watch()` follows). @default one made on first use */
  cache?: SecretCache;
  /** The client for the cache this creates. @default the SDK's default client, created on first use */
  client?: SecretsManagerClient;
  /** Where watch() reports problems. @default silent */
  logger?: CofferLogger;
}

const NOTHING_READ: SecretReads = { get: () => undefined };

interface Loaded<T> {
  readonly value: T;
  /** ARNs and names of every secret the load read, to know which rotations concern it. */
  readonly secrets: ReadonlySet<string>;
}

function checkShape(shape: Shape, path: string[]): void {
  for (const [key, value] of Object.entries(shape)) {
    if (isStandardSchema(value)) continue;
    if (!isPlainObject(value)) {
      throw new TypeError(
        `schema.${[...path, key].join('.')} must be a Standard Schema (zod, valibot, arktype, ...) or an object of them.`,
      );
    }
    checkShape(value as Shape, [...path, key]);
  }
}

/**
 * Typed settings from explicit overrides, environment variables, `.env` files and Secrets Manager, in that
 * order of precedence, validated by a Standard Schema into one frozen object.
 */
export class Settings<T> implements AsyncDisposable {
  // Private fields: logging or spreading the settings object must not show the options (an env source, say).
  readonly #tree: FieldNode | undefined;
  readonly #mapping: readonly Contribution[];
  readonly #envOptions: EnvOptions | false;
  readonly #dotenvOptions: DotenvOptions | false;
  #ownCache: SecretCache | undefined;
  readonly #watchers = new Set<() => void>();
  #closed = false;

  readonly #options: SettingsOptions<SettingsSchema>;

  constructor(options: SettingsOptions<SettingsSchema>) {
    this.#options = options;
    const { schema } = options;
    if (!isStandardSchema(schema)) {
      if (!isPlainObject(schema))
        throw new TypeError('schema must be a Standard Schema or an object of them.');
      checkShape(schema, []);
    }
    this.#mapping = mappingContributions(options.secrets);
    this.#tree = fieldTree(schema);
    this.#envOptions = options.env === false ? false : (options.env ?? {});
    this.#dotenvOptions = options.dotenv === false ? false : (options.dotenv ?? {});
    if (options.cache !== undefined && options.client !== undefined) {
      throw new TypeError('Pass either cache or client, not both: a given cache already has its client.');
    }
  }

  /**
   * Reads every source, fetches the referenced secrets in one round trip (BatchGetSecretValue through the
   * cache), validates, and returns the settings deeply frozen. Throws one SettingsError naming every bad field.
   */
  async load(overrides?: Record<string, unknown>): Promise<T> {
    return (await this.#loadWithSources(overrides)).value;
  }

  /**
   * Calls `onChange` with new settings whenever a secret they were loaded from rotates (as the cache sees it).
   * A new version that does not validate keeps the old settings and goes to `onError`. Returns unsubscribe.
   */
  watch(
    onChange: (settings: T, changedPaths: string[]) => void,
    options: {
      onError?: (error: SettingsError | CofferError) => void;
      overrides?: Record<string, unknown>;
    } = {},
  ): () => void {
    if (this.#closed) throw new TypeError('These settings are closed.');
    if (typeof onChange !== 'function')
      throw new TypeError('watch() takes a function (settings, changedPaths) => void.');
    let current: Loaded<T> | undefined;
    let chain: Promise<void> = this.#loadWithSources(options.overrides).then(
      (loaded) => {
        current = loaded;
      },
      (error: unknown) => this.#report(error, options.onError),
    );
    const unsubscribe = this.#cache().on('rotated', (event) => {
      if (current !== undefined && !current.secrets.has(event.arn) && !current.secrets.has(event.name))
        return;
      chain = chain.then(async () => {
        try {
          const next = await this.#loadWithSources(options.overrides);
          const changed = current === undefined ? [] : changedPaths(current.value, next.value);
          current = next;
          if (changed.length > 0) onChange(next.value, changed);
        } catch (error) {
          this.#report(error, options.onError);
        }
      });
    });
    const stop = () => {
      unsubscribe();
      this.#watchers.delete(stop);
    };
    this.#watchers.add(stop);
    return stop;
  }

  /** Stops watching and closes the cache this created (a cache passed in is left open). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const stop of [...this.#watchers]) stop();
    await this.#ownCache?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #report(error: unknown, onError: ((error: SettingsError | CofferError) => void) | undefined): void {
    const known = error instanceof SettingsError || error instanceof CofferError ? error : undefined;
    if (known && onError) onError(known);
    this.#options.logger?.warn?.(
      { code: known?.code ?? 'UNKNOWN' },
      `coffer settings: reloading after a rotation failed; keeping the previous settings. ${known?.message ?? `${error instanceof Error ? error.name : 'Error'} (message withheld)`}`,
    );
  }

  #cache(): SecretCache {
    if (this.#options.cache) return this.#options.cache;
    this.#ownCache ??= new SecretCache(
      this.#options.client === undefined ? {} : { client: this.#options.client },
    );
    return this.#ownCache;
  }

  async #loadWithSources(overrides: Record<string, unknown> | undefined): Promise<Loaded<T>> {
    if (this.#closed) throw new TypeError('These settings are closed: define them again to load.');
    const contributions = collectContributions(
      this.#mapping,
      this.#tree,
      { env: this.#envOptions, dotenv: this.#dotenvOptions },
      overrides,
    );
    const needed = neededSecrets(contributions, this.#tree).map((c) => c.reference);
    // No secret needed, no cache (and no client) made: settings from env alone work offline.
    const reads = needed.length === 0 ? NOTHING_READ : await readSecretReferences(this.#cache(), needed);
    const resolved = resolveInput(contributions, reads, this.#tree);
    const validated = await validateSettings(this.#options.schema, this.#tree, resolved, this.#envOptions);
    if ('issues' in validated) throw new SettingsError(validated.issues);
    return { value: deepFreeze(validated.value) as T, secrets: resolved.secrets };
  }
}

/** Dotted paths whose values differ; secrets are compared with `equals`, never revealed into the result. */
export function changedPaths(before: unknown, after: unknown, path: string[] = []): string[] {
  if (before instanceof Secret && after instanceof Secret) return before.equals(after) ? [] : [pathKey(path)];
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((key) => changedPaths(before[key], after[key], [...path, key]));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [pathKey(path)];
  }
  return Object.is(before, after) ? [] : [pathKey(path)];
}

/**
 * Defines typed settings; nothing is read until `load()`, so it is safe at module scope (no top-level await,
 * no client created) in a Lambda or a server.
 *
 * @example
 * ```ts
 * const settings = defineSettings({
 *   schema: { port: z.number().default(8080), database: { host: z.string(), password: secret(z.string()) } },
 *   secrets: { database: 'prod/db' },
 * });
 * const config = await settings.load();
 * ```
 */
export function defineSettings<S extends SettingsSchema>(
  options: SettingsOptions<S>,
): Settings<InferSettings<S>> {
  if (typeof options !== 'object' || options === null || options.schema === undefined) {
    throw new TypeError('defineSettings() needs { schema }: a Standard Schema or an object of them.');
  }
  return new Settings<InferSettings<S>>(options as SettingsOptions<SettingsSchema>);
}
