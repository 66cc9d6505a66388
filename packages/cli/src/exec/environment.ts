import {
  CofferError,
  parseSecretReference,
  readSecretReferences,
  type SecretCache,
  type SecretReference,
  type SecretResult,
} from 'coffer';
import { Redactor, secretLeaves, toEnvName, toSecretReference } from 'coffer/internal';
import { isSetupProblem, secretHint } from '../aws/setup-hints.js';

/** Where a variable's value came from, for collision reports. */
interface InjectedVariable {
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
  /** JSON keys to mask although they are not secret by default (`--mask-key`). @default [] */
  readonly maskKeys?: readonly string[];
  /** JSON keys never to mask (`--no-mask-key`). @default [] */
  readonly unmaskedKeys?: readonly string[];
}

export interface PreparedEnvironment {
  readonly env: Record<string, string>;
  /** The secret values to mask in the child's output (see NON_SECRET_FIELDS in coffer), in every form. */
  readonly mask: Redactor;
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
  let reference: SecretReference;
  try {
    reference = toSecretReference(text);
  } catch {
    throw new ExecError(`Invalid --secret "${argument}": use <id>, <id>#<key> or NAME=<id>[#<key>].`);
  }
  if (explicit === undefined && reference.key !== undefined) {
    throw new ExecError(
      `--secret "${argument}" picks one key: give it a variable name, e.g. PASSWORD=${text}.`,
    );
  }
  return { reference, name: explicit, source: `secret ${text}` };
}

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
      reference = parseSecretReference(value);
    } catch (error) {
      throw new ExecError(`Environment variable ${name}: ${(error as Error).message}`);
    }
    if (reference !== undefined) wanted.push({ reference, name, source: `reference in $${name}` });
  }

  const reads = await readSecretReferences(
    cache,
    wanted.map((w) => w.reference),
  );
  const failures: string[] = [];
  const fetched = new Map<Wanted, SecretResult<string>>();
  for (const want of wanted) {
    const result = reads.get(want.reference) as SecretResult<string> | CofferError;
    if (!(result instanceof CofferError)) fetched.set(want, result);
    // A failure every secret shares (nothing at the endpoint, ...) is thrown as is: the CLI words it as one
    // line, as for any other command, rather than once per secret.
    else if (isSetupProblem(result)) throw result;
    else if (!failures.some((f) => f.startsWith(`${want.reference.secretId}: `)))
      failures.push(`${want.reference.secretId}: ${secretHint(result) ?? result.message}`);
  }
  if (failures.length > 0)
    throw new ExecError(
      `Could not read ${failures.length === 1 ? 'a secret' : 'secrets'}:\n  ${failures.join('\n  ')}`,
    );

  const injected = new Map<string, InjectedVariable>();
  const collisions: string[] = [];
  const secrets = new Set<string>();
  const masked: string[] = [];
  const keys = { mask: request.maskKeys ?? [], unmask: request.unmaskedKeys ?? [] };
  /** A JSON field is masked unless its key names a connection (host, port, ...) or it is a plain number. */
  const maskField = (key: string, value: unknown): void => {
    masked.push(...secretLeaves(key === '' ? value : { [key]: value }, keys));
  };
  const inject = (name: string, value: string, source: string) => {
    const previous = injected.get(name);
    if (previous !== undefined && previous.source !== source)
      collisions.push(`${name} is set by both ${previous.source} and ${source}`);
    injected.set(name, { name, value, source });
  };
  for (const want of wanted) {
    const result = fetched.get(want) as SecretResult<string>;
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
      maskField(want.reference.key, (parsed as Record<string, unknown>)[want.reference.key]);
      inject(
        want.name as string,
        asText((parsed as Record<string, unknown>)[want.reference.key]),
        want.source,
      );
    } else if (want.name !== undefined || !isObject) {
      // The whole value is masked; a JSON object's secret fields are masked on their own too.
      masked.push(text);
      if (isObject) maskField('', parsed);
      inject(
        want.name ?? (request.prefix ?? '') + toEnvName(result.name.split('/').pop() ?? result.name),
        text,
        want.source,
      );
    } else {
      for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
        maskField(key, value);
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
  return { env, mask: new Redactor(masked), overridden, secrets };
}
