import { parseSecretReference, type SecretReference } from 'coffer';
import { toSecretReference } from 'coffer/internal';
import { SettingsError } from './errors.js';
import { type FieldNode, findNode, isPlainObject, leaves, pathKey } from './fields.js';
import { describeOrigin, type Origin } from './origin.js';
import {
  type DotenvOptions,
  type EnvOptions,
  type MatchedVariable,
  matchVariables,
  readDotenv,
  readEnv,
} from './sources.js';

/** Fields to read from Secrets Manager: `'prod/db#password'` for one key, `'prod/db'` for a whole JSON secret. */
export interface SecretMapping {
  readonly [field: string]: string | SecretMapping;
}

/** A value set for a path by one source, or a secret that will supply it; lowest precedence first. */
export type Contribution =
  | { readonly path: readonly string[]; readonly value: unknown; readonly origin: Origin }
  | { readonly path: readonly string[]; readonly reference: SecretReference; readonly origin: Origin };

export type SecretContribution = Extract<Contribution, { reference: SecretReference }>;

export const isSecretContribution = (c: Contribution): c is SecretContribution => 'reference' in c;

/** The `secrets` mapping as contributions; checked once, when the settings are defined. */
export function mappingContributions(mapping: SecretMapping | undefined): Contribution[] {
  const out: Contribution[] = [];
  if (mapping !== undefined) flattenMapping(mapping, [], out);
  return out;
}

function flattenMapping(mapping: SecretMapping, path: string[], out: Contribution[]): void {
  for (const [key, value] of Object.entries(mapping)) {
    const at = [...path, key];
    if (typeof value === 'string') {
      const reference = toSecretReference(value);
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

/** A variable holding `asm://...` or a secret ARN is a reference, resolved like the `secrets` mapping. */
function fromVariable(v: MatchedVariable): Contribution {
  let reference: SecretReference | undefined;
  try {
    reference = parseSecretReference(v.value);
  } catch (error) {
    throw new SettingsError([
      { path: pathKey(v.path), source: describeOrigin(v.origin), message: (error as Error).message },
    ]);
  }
  return reference === undefined
    ? { path: v.path, value: v.value, origin: v.origin }
    : { path: v.path, reference, origin: { kind: 'secret', reference, via: v.origin } };
}

/** Every source's contributions, lowest precedence first: the mapping, .env files, env vars, overrides. */
export function collectContributions(
  mapping: readonly Contribution[],
  tree: FieldNode | undefined,
  sources: { env: EnvOptions | false; dotenv: DotenvOptions | false },
  overrides: Record<string, unknown> | undefined,
): Contribution[] {
  const out: Contribution[] = [...mapping];
  const env = sources.env;
  if (env !== false) {
    const variables = readEnv(env);
    const nodeEnv = (env.source ?? process.env).NODE_ENV;
    const dotenv = sources.dotenv === false ? [] : readDotenv(sources.dotenv, nodeEnv);
    for (const v of [...matchVariables(dotenv, tree, env), ...matchVariables(variables, tree, env)]) {
      out.push(fromVariable(v));
    }
  }
  if (overrides !== undefined) {
    if (!isPlainObject(overrides)) throw new TypeError('load() takes an object of overrides.');
    flattenOverrides(overrides, [], out);
  }
  return out;
}

/**
 * The secret contributions worth fetching: a contribution is shadowed when a later one sets its path or an
 * ancestor, or every leaf under it.
 */
export function neededSecrets(
  contributions: readonly Contribution[],
  tree: FieldNode | undefined,
): SecretContribution[] {
  const shadowed = (index: number): boolean => {
    const target = contributions[index] as Contribution;
    const later = contributions.slice(index + 1).map((c) => pathKey(c.path));
    const covers = (path: readonly string[]) =>
      later.some((p) => p === pathKey(path) || pathKey(path).startsWith(`${p}.`));
    if (covers(target.path)) return true;
    const node = findNode(tree, target.path);
    if (node?.children === undefined) return false;
    return leaves(node).every((leaf) => covers(leaf.path));
  };
  return contributions.filter((c, i): c is SecretContribution => isSecretContribution(c) && !shadowed(i));
}
