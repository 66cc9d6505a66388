import { parseReference, type SecretReference, toEnvName } from '@coffer/settings';
import { CofferError, type SecretCache, type SecretResult } from 'coffer';

/** Where a variable's value came from, for collision reports. */
export interface InjectedVariable {
  readonly name: string;
  readonly value: string;
  readonly source: string;
}

export interface EnvironmentRequest {
  /** `-s` arguments: `prod/db` (every JSON key becomes a variable), `NAME=prod/api` or `NAME=prod/db#password`. */
  readonly secrets: readonly string[];
  /** The environment to start from; `asm://` and secret-ARN values in it are resolved in place. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Prepended to variable names made from JSON keys. @default '' */
  readonly prefix?: string;
  /** How JSON keys become names: `upper-snake` (`dbHost` → `DB_HOST`) or `keep`. @default 'upper-snake' */
  readonly naming?: 'upper-snake' | 'keep';
}

export interface PreparedEnvironment {
  readonly env: Record<string, string>;
  /** Every secret value injected, for masking the child's output. */
  readonly values: readonly string[];
  /** Variables that replaced an existing one (reported, not fatal). */
  readonly overridden: readonly InjectedVariable[];
  /** ARNs and names of every secret read, for --watch. */
  readonly secrets: ReadonlySet<string>;
}

export class ExecError extends Error {
  override readonly name = 'ExecError';
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Wanted {
  readonly reference: SecretReference;
  /** Fixed variable name, or undefined to expand a JSON secret's keys. */
  readonly name: string | undefined;
  readonly source: string;
}

function parseSecretArgument(argument: string): Wanted {
  const eq = argument.indexOf('=');
  const explicit = eq > 0 && NAME.test(argument.slice(0, eq)) ? argument.slice(0, eq) : undefined;
  const text = explicit === undefined ? argument : argument.slice(eq + 1);
  const reference = parseReference(text) ?? parseReference(`asm://${text}`);
  if (reference === undefined)
    throw new ExecError(`Invalid --secret "${argument}": use <id>, <id>#<key> or NAME=<id>[#<key>].`);
  if (explicit === undefined && reference.key !== undefined) {
    throw new ExecError(
      `--secret "${argument}" picks one key: give it a variable name, e.g. PASSWORD=${text}.`,
    );
  }
  return { reference, name: explicit, source: `secret ${text}` };
}

const refKey = (r: SecretReference) => `${r.secretId}\n${r.versionStage ?? ''}\n${r.versionId ?? ''}`;

const asText = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);

/**
 * The child's environment: the parent's, with `asm://` references resolved in place and each requested
 * secret's keys added. All secrets are fetched together (BatchGetSecretValue through the cache).
 */
export async function prepareEnvironment(
  request: EnvironmentRequest,
  cache: SecretCache,
): Promise<PreparedEnvironment> {
  const wanted: Wanted[] = request.secrets.map(parseSecretArgument);
  for (const [name, value] of Object.entries(request.env)) {
    if (value === undefined) continue;
    let reference: SecretReference | undefined;
    try {
      reference = parseReference(value);
    } catch (error) {
      throw new ExecError(`Environment variable ${name}: ${(error as Error).message}`);
    }
    if (reference !== undefined) wanted.push({ reference, name, source: `reference in $${name}` });
  }

  const fetched = new Map<string, SecretResult<string>>();
  const current = [
    ...new Set(
      wanted
        .filter((w) => !w.reference.versionId && !w.reference.versionStage)
        .map((w) => w.reference.secretId),
    ),
  ];
  const failures: string[] = [];
  const record = (reference: SecretReference, result: SecretResult<string> | CofferError) => {
    if (result instanceof CofferError) failures.push(`${reference.secretId}: ${result.message}`);
    else fetched.set(refKey(reference), result);
  };
  await Promise.all([
    cache.getMany(current).then(
      (results) => {
        for (const [i, result] of results.entries()) record({ secretId: current[i] as string }, result);
      },
      (error: unknown) => {
        const batch = error as {
          errors?: Map<string, CofferError>;
          results?: Map<string, SecretResult<string>>;
        };
        if (batch.errors === undefined || batch.results === undefined) throw error;
        for (const [id, result] of batch.results) record({ secretId: id }, result);
        for (const [id, failure] of batch.errors) record({ secretId: id }, failure);
      },
    ),
    ...wanted
      .filter((w) => w.reference.versionId || w.reference.versionStage)
      .map(async ({ reference }) => {
        try {
          const version = reference.versionId
            ? { versionId: reference.versionId }
            : { versionStage: reference.versionStage as string };
          record(reference, await cache.get(reference.secretId, version));
        } catch (error) {
          if (!(error instanceof CofferError)) throw error;
          record(reference, error);
        }
      }),
  ]);
  if (failures.length > 0)
    throw new ExecError(
      `Could not read ${failures.length === 1 ? 'a secret' : 'secrets'}:\n  ${failures.join('\n  ')}`,
    );

  const injected = new Map<string, InjectedVariable>();
  const collisions: string[] = [];
  const secrets = new Set<string>();
  const inject = (name: string, value: string, source: string) => {
    const previous = injected.get(name);
    if (previous !== undefined && previous.source !== source)
      collisions.push(`${name} is set by both ${previous.source} and ${source}`);
    injected.set(name, { name, value, source });
  };
  for (const want of wanted) {
    const result = fetched.get(refKey(want.reference)) as SecretResult<string>;
    secrets.add(result.arn).add(result.name);
    const text = result.value.reveal();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    if (want.reference.key !== undefined) {
      if (!isObject || !(want.reference.key in (parsed as object))) {
        throw new ExecError(`${want.source}: the secret has no key "${want.reference.key}".`);
      }
      inject(
        want.name as string,
        asText((parsed as Record<string, unknown>)[want.reference.key]),
        want.source,
      );
    } else if (want.name !== undefined || !isObject) {
      inject(
        want.name ?? (request.prefix ?? '') + toEnvName(result.name.split('/').pop() ?? result.name),
        text,
        want.source,
      );
    } else {
      for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
        const name = (request.prefix ?? '') + (request.naming === 'keep' ? key : toEnvName(key));
        if (!NAME.test(name))
          throw new ExecError(`${want.source}: key "${key}" does not make a valid variable name (${name}).`);
        inject(name, asText(value), `${want.source} (key ${key})`);
      }
    }
  }
  if (collisions.length > 0)
    throw new ExecError(
      `Variable name collisions:\n  ${collisions.join('\n  ')}\nRename with NAME=<id>#<key> or --prefix.`,
    );

  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.env)) if (value !== undefined) env[name] = value;
  const overridden: InjectedVariable[] = [];
  for (const variable of injected.values()) {
    const wasReference = wanted.some(
      (w) => w.name === variable.name && w.source === `reference in $${variable.name}`,
    );
    if (env[variable.name] !== undefined && !wasReference) overridden.push(variable);
    env[variable.name] = variable.value;
  }
  return { env, values: [...injected.values()].map((v) => v.value), overridden, secrets };
}
