import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CofferError,
  type CofferLogger,
  redact,
  Secret,
  SecretBatchError,
  SecretCache,
  type SecretResult,
  type StandardSchemaV1,
} from 'coffer';
import { SettingsError, type SettingsIssue } from './errors.js';
import { describeOrigin, describeReference, type Origin } from './origin.js';
import { parseMapping, parseReference, type SecretReference } from './reference.js';
import {
  type FieldNode,
  fieldTree,
  findNode,
  type InferSettings,
  isStandardSchema,
  leaves,
  type SettingsSchema,
  type Shape,
} from './schema.js';
import {
  type DotenvOptions,
  type EnvOptions,
  envNameFor,
  type MatchedVariable,
  matchVariables,
  readDotenv,
  readEnv,
} from './sources.js';

/** Fields to read from Secrets Manager: `'prod/db#password'` for one key, `'prod/db'` for a whole JSON secret. */
export interface SecretMapping {
  readonly [field: string]: string | SecretMapping;
}

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

/** A value set for a path by one source, lowest precedence first. */
type Contribution =
  | { readonly path: readonly string[]; readonly value: unknown; readonly origin: Origin }
  | { readonly path: readonly string[]; readonly reference: SecretReference; readonly origin: Origin };

interface Loaded<T> {
  readonly value: T;
  /** ARNs and names of every secret the load read, to know which rotations concern it. */
  readonly secrets: ReadonlySet<string>;
}

const refKey = (r: SecretReference): string => `${r.secretId}\n${r.versionStage ?? ''}\n${r.versionId ?? ''}`;
const pathKey = (path: readonly string[]): string => path.join('.');
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !(v instanceof Secret) &&
  !ArrayBuffer.isView(v);

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

function flattenMapping(mapping: SecretMapping, path: string[], out: Contribution[]): void {
  for (const [key, value] of Object.entries(mapping)) {
    const at = [...path, key];
    if (typeof value === 'string') {
      const reference = parseMapping(value);
      out.push({ path: at, reference, origin: { kind: 'secret', reference } });
    } else if (isPlainObject(value)) {
      flattenMapping(value as SecretMapping, at, out);
    } else {
      throw new TypeError(
        `secrets.${at.join('.')} must be a secret reference such as 'prod/db#password', or an object of them.`,
      );
    }
  }
}

function flattenOverrides(value: unknown, path: string[], out: Contribution[]): void {
  if (isPlainObject(value) && !(path.length > 0 && Object.keys(value).length === 0)) {
    for (const [key, child] of Object.entries(value)) flattenOverrides(child, [...path, key], out);
  } else if (path.length > 0 && value !== undefined) {
    out.push({ path, value, origin: { kind: 'override' } });
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    else if (Object.isFrozen(next)) node[key] = { ...next };
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  node[last] = isPlainObject(value) ? structuredClone(value) : value;
}

function getPath(source: unknown, path: readonly (string | PropertyKey)[]): unknown {
  let node = source;
  for (const key of path) node = isPlainObject(node) ? node[key as string] : undefined;
  return node;
}

function deepFreeze<T>(value: T): T {
  if (isPlainObject(value) || Array.isArray(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Every string a source supplied, so validators' messages that quote input can be scrubbed. */
function collectStrings(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') into.add(value);
  else if (typeof value === 'number' || typeof value === 'boolean') into.add(String(value));
  else if (isPlainObject(value) || Array.isArray(value))
    for (const child of Object.values(value)) collectStrings(child, into);
}

/**
 * Runs a validator; one that throws (a transform calling JSON.parse, say) becomes an issue. Its message is
 * withheld: it may quote the input, even a truncated part of it that scrubbing cannot find.
 */
async function validateSafely(
  schema: StandardSchemaV1,
  value: unknown,
): Promise<StandardSchemaV1.Result<unknown>> {
  try {
    return await schema['~standard'].validate(value);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'an error';
    return {
      issues: [{ message: `the schema threw ${name} (message withheld, as it may quote the value)` }],
    };
  }
}

/** A string that parses as JSON (number, boolean, object, array), for fields whose schema wants that type. */
function coerce(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'string' ? undefined : parsed;
  } catch {
    return undefined;
  }
}

const issuePath = (issue: StandardSchemaV1.Issue): string[] =>
  (issue.path ?? []).map((p) => String(typeof p === 'object' && p !== null && 'key' in p ? p.key : p));

/**
 * Typed settings from explicit overrides, environment variables, `.env` files and Secrets Manager, in that
 * order of precedence, validated by a Standard Schema into one frozen object.
 */
export class Settings<T> implements AsyncDisposable {
  private readonly tree: FieldNode | undefined;
  private readonly mapping: readonly Contribution[];
  private readonly envOptions: EnvOptions | false;
  private readonly dotenvOptions: DotenvOptions | false;
  private ownCache: SecretCache | undefined;
  private readonly watchers = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: SettingsOptions<SettingsSchema>) {
    const { schema } = options;
    if (!isStandardSchema(schema)) {
      if (!isPlainObject(schema))
        throw new TypeError('schema must be a Standard Schema or an object of them.');
      checkShape(schema, []);
    }
    const mapping: Contribution[] = [];
    if (options.secrets !== undefined) flattenMapping(options.secrets, [], mapping);
    this.mapping = mapping;
    this.tree = fieldTree(schema);
    this.envOptions = options.env === false ? false : (options.env ?? {});
    this.dotenvOptions = options.dotenv === false ? false : (options.dotenv ?? {});
    if (options.cache !== undefined && options.client !== undefined) {
      throw new TypeError('Pass either cache or client, not both: a given cache already has its client.');
    }
  }

  /**
   * Reads every source, fetches the referenced secrets in one round trip (BatchGetSecretValue through the
   * cache), validates, and returns the settings deeply frozen. Throws one SettingsError naming every bad field.
   */
  async load(overrides?: Record<string, unknown>): Promise<T> {
    return (await this.loadWithSources(overrides)).value;
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
    if (this.closed) throw new TypeError('These settings are closed.');
    if (typeof onChange !== 'function')
      throw new TypeError('watch() takes a function (settings, changedPaths) => void.');
    let current: Loaded<T> | undefined;
    let chain: Promise<void> = this.loadWithSources(options.overrides).then(
      (loaded) => {
        current = loaded;
      },
      (error: unknown) => this.report(error, options.onError),
    );
    const unsubscribe = this.cache().on('rotated', (event) => {
      if (current !== undefined && !current.secrets.has(event.arn) && !current.secrets.has(event.name))
        return;
      chain = chain.then(async () => {
        try {
          const next = await this.loadWithSources(options.overrides);
          const changed = current === undefined ? [] : changedPaths(current.value, next.value);
          current = next;
          if (changed.length > 0) onChange(next.value, changed);
        } catch (error) {
          this.report(error, options.onError);
        }
      });
    });
    const stop = () => {
      unsubscribe();
      this.watchers.delete(stop);
    };
    this.watchers.add(stop);
    return stop;
  }

  /** Stops watching and closes the cache this created (a cache passed in is left open). */
  async close(): Promise<void> {
    this.closed = true;
    for (const stop of [...this.watchers]) stop();
    await this.ownCache?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private report(error: unknown, onError: ((error: SettingsError | CofferError) => void) | undefined): void {
    const known = error instanceof SettingsError || error instanceof CofferError ? error : undefined;
    if (known && onError) onError(known);
    this.options.logger?.warn?.(
      { code: known?.code ?? 'UNKNOWN' },
      `coffer settings: reloading after a rotation failed; keeping the previous settings. ${known?.message ?? `${error instanceof Error ? error.name : 'Error'} (message withheld)`}`,
    );
  }

  private cache(): SecretCache {
    if (this.options.cache) return this.options.cache;
    this.ownCache ??= new SecretCache(
      this.options.client === undefined ? {} : { client: this.options.client },
    );
    return this.ownCache;
  }

  private contributions(overrides: Record<string, unknown> | undefined): Contribution[] {
    const out: Contribution[] = [...this.mapping];
    const env = this.envOptions;
    if (env !== false) {
      const variables = readEnv(env);
      const nodeEnv = (env.source ?? process.env).NODE_ENV;
      const dotenv = this.dotenvOptions === false ? [] : readDotenv(this.dotenvOptions, nodeEnv);
      for (const v of [
        ...matchVariables(dotenv, this.tree, env),
        ...matchVariables(variables, this.tree, env),
      ]) {
        out.push(this.fromVariable(v));
      }
    }
    if (overrides !== undefined) {
      if (!isPlainObject(overrides)) throw new TypeError('load() takes an object of overrides.');
      flattenOverrides(overrides, [], out);
    }
    return out;
  }

  /** A variable holding `asm://...` or a secret ARN is a reference, resolved like the `secrets` mapping. */
  private fromVariable(v: MatchedVariable): Contribution {
    let reference: SecretReference | undefined;
    try {
      reference = parseReference(v.value);
    } catch (error) {
      throw new SettingsError([
        { path: pathKey(v.path), source: describeOrigin(v.origin), message: (error as Error).message },
      ]);
    }
    return reference === undefined
      ? { path: v.path, value: v.value, origin: v.origin }
      : { path: v.path, reference, origin: { kind: 'secret', reference, via: v.origin } };
  }

  /** A contribution is shadowed when a later one sets its path or an ancestor, or every leaf under it. */
  private shadowed(contributions: readonly Contribution[], index: number): boolean {
    const target = contributions[index] as Contribution;
    const later = contributions.slice(index + 1).map((c) => pathKey(c.path));
    const covers = (path: readonly string[]) =>
      later.some((p) => p === pathKey(path) || pathKey(path).startsWith(`${p}.`));
    if (covers(target.path)) return true;
    const node = findNode(this.tree, target.path);
    if (node?.children === undefined) return false;
    return leaves(node).every((leaf) => covers(leaf.path));
  }

  private async fetchAll(
    references: readonly SecretReference[],
  ): Promise<Map<string, SecretResult<string> | CofferError>> {
    const results = new Map<string, SecretResult<string> | CofferError>();
    if (references.length === 0) return results;
    const cache = this.cache();
    const current = [
      ...new Set(
        references
          .filter((r) => r.versionId === undefined && r.versionStage === undefined)
          .map((r) => r.secretId),
      ),
    ];
    const versioned = references.filter((r) => r.versionId !== undefined || r.versionStage !== undefined);
    const batch = cache.getMany(current).then(
      (values) => {
        for (const [i, value] of values.entries())
          results.set(refKey({ secretId: current[i] as string }), value);
      },
      (error: unknown) => {
        if (!(error instanceof SecretBatchError)) throw error;
        for (const [id, value] of error.results)
          results.set(refKey({ secretId: id }), value as SecretResult<string>);
        for (const [id, failure] of error.errors) results.set(refKey({ secretId: id }), failure);
      },
    );
    const singles = versioned.map(async (r) => {
      try {
        const version =
          r.versionId !== undefined ? { versionId: r.versionId } : { versionStage: r.versionStage as string };
        results.set(refKey(r), await cache.get(r.secretId, version));
      } catch (error) {
        if (!(error instanceof CofferError)) throw error;
        results.set(refKey(r), error);
      }
    });
    await Promise.all([batch, ...singles]);
    return results;
  }

  private async loadWithSources(overrides: Record<string, unknown> | undefined): Promise<Loaded<T>> {
    if (this.closed) throw new TypeError('These settings are closed: define them again to load.');
    const contributions = this.contributions(overrides);
    const needed = contributions.filter((c, i) => 'reference' in c && !this.shadowed(contributions, i));
    const fetched = await this.fetchAll(needed.map((c) => (c as { reference: SecretReference }).reference));

    const input: Record<string, unknown> = {};
    const origins = new Map<string, Origin>();
    const failures = new Map<string, string>();
    const supplied = new Set<string>();
    const secrets = new Set<string>();
    for (const contribution of contributions) {
      const key = pathKey(contribution.path);
      if (!('reference' in contribution)) {
        setPath(input, contribution.path, contribution.value);
        origins.set(key, contribution.origin);
        collectStrings(contribution.value, supplied);
        continue;
      }
      const result = fetched.get(refKey(contribution.reference));
      if (result === undefined) continue; // shadowed: never fetched
      if (result instanceof CofferError) {
        failures.set(
          key,
          `${describeReference(contribution.reference)} could not be read: ${result.message}`,
        );
        origins.set(key, contribution.origin);
        continue;
      }
      secrets.add(result.arn).add(result.name);
      const resolved = this.resolveSecret(contribution, result, supplied);
      if ('problem' in resolved) failures.set(key, resolved.problem);
      else {
        setPath(input, contribution.path, resolved.value);
        failures.delete(key);
      }
      origins.set(key, contribution.origin);
    }

    const issues: SettingsIssue[] = [];
    const value = isStandardSchema(this.options.schema)
      ? await this.validateWhole(this.options.schema, input, issues)
      : await this.validateShape(this.tree as FieldNode, input, issues);

    const describe = (path: readonly string[]): { source: string; failure?: string } => {
      for (let n = path.length; n >= 0; n--) {
        const key = pathKey(path.slice(0, n));
        const failure = failures.get(key);
        if (failure !== undefined) return { source: describeOrigin(origins.get(key) as Origin), failure };
        const origin = origins.get(key);
        if (origin !== undefined) return { source: describeOrigin(origin) };
      }
      const looked =
        this.envOptions === false
          ? 'nothing set it'
          : `not set; looked for env var ${envNameFor(path, this.envOptions)}`;
      return { source: looked };
    };
    const problems = issues.map((issue) => {
      const where = describe(issue.path.split('.').filter(Boolean));
      return {
        path: issue.path || '(root)',
        source: where.source,
        message: where.failure ?? redact(issue.message, supplied),
      };
    });
    if (problems.length > 0) throw new SettingsError(problems);
    return { value: deepFreeze(value) as T, secrets };
  }

  /** The part of a fetched secret a contribution asks for: one JSON key, a JSON object, or the text. */
  private resolveSecret(
    contribution: { path: readonly string[]; reference: SecretReference },
    result: SecretResult<string>,
    supplied: Set<string>,
  ): { value: unknown } | { problem: string } {
    const text = result.value.reveal();
    const where = describeReference(contribution.reference);
    const node = findNode(this.tree, contribution.path);
    const wantsObject =
      node?.children !== undefined || (node === undefined && contribution.reference.key === undefined);
    let parsed: unknown;
    if (contribution.reference.key !== undefined || wantsObject) {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (contribution.reference.key !== undefined || node?.children !== undefined) {
          return { problem: `${where}: the secret is not a JSON object, so it has no fields to read.` };
        }
      }
    }
    if (contribution.reference.key === undefined) {
      const value = isPlainObject(parsed) && wantsObject ? parsed : text;
      collectStrings(value, supplied);
      collectStrings(text, supplied);
      return { value };
    }
    if (!isPlainObject(parsed))
      return {
        problem: `${where}: the secret is not a JSON object, so it has no key "${contribution.reference.key}".`,
      };
    collectStrings(parsed, supplied);
    if (!(contribution.reference.key in parsed)) {
      return {
        problem: `${where}: the secret has no key "${contribution.reference.key}" (it has: ${Object.keys(parsed).join(', ')}).`,
      };
    }
    return { value: parsed[contribution.reference.key] };
  }

  private async validateShape(node: FieldNode, input: unknown, issues: SettingsIssue[]): Promise<unknown> {
    if (node.children === undefined) {
      const raw = getPath(input, node.path);
      const schema = node.schema as StandardSchemaV1;
      let result = await validateSafely(schema, raw);
      // Env and .env values are strings; a field that wants a number, boolean or object gets the JSON reading.
      const coerced = result.issues === undefined ? undefined : coerce(raw);
      if (coerced !== undefined) {
        const retry = await validateSafely(schema, coerced);
        if (retry.issues === undefined) result = retry;
      }
      if (result.issues === undefined) return result.value;
      for (const issue of result.issues) {
        issues.push({
          path: pathKey([...node.path, ...issuePath(issue)]),
          source: '',
          message: issue.message,
        });
      }
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const [key, child] of node.children) {
      const value = await this.validateShape(child, input, issues);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  private async validateWhole(
    schema: StandardSchemaV1,
    input: Record<string, unknown>,
    issues: SettingsIssue[],
  ): Promise<unknown> {
    let result = await validateSafely(schema, input);
    if (result.issues !== undefined) {
      // Retry once with the JSON reading of every string the validator complained about.
      let changed = false;
      for (const issue of result.issues) {
        const path = issuePath(issue);
        const coerced = coerce(getPath(input, path));
        if (path.length > 0 && coerced !== undefined) {
          setPath(input, path, coerced);
          changed = true;
        }
      }
      if (changed) result = await validateSafely(schema, input);
    }
    if (result.issues === undefined) return result.value;
    for (const issue of result.issues)
      issues.push({ path: pathKey(issuePath(issue)), source: '', message: issue.message });
    return undefined;
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
