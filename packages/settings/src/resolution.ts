import { CofferError, type SecretReads, type SecretResult } from 'coffer';
import { describeSecretReference } from 'coffer/internal';
import { type Contribution, isSecretContribution, type SecretContribution } from './contributions.js';
import { type FieldNode, findNode, isPlainObject, pathKey, setPath } from './fields.js';
import type { Origin } from './origin.js';

/** The settings' input before validation, and what is known about where each part came from. */
export interface ResolvedInput {
  readonly input: Record<string, unknown>;
  /** Where each set path's value came from, by dotted path. */
  readonly origins: ReadonlyMap<string, Origin>;
  /** Secrets that could not supply their path, by dotted path: why, in words that name no value. */
  readonly failures: ReadonlyMap<string, string>;
  /** Every string a source supplied, so validators' messages that quote input can be scrubbed. */
  readonly supplied: ReadonlySet<string>;
  /** ARNs and names of every secret read, to know which rotations concern the settings. */
  readonly secrets: ReadonlySet<string>;
}

function collectStrings(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') into.add(value);
  else if (typeof value === 'number' || typeof value === 'boolean') into.add(String(value));
  else if (isPlainObject(value) || Array.isArray(value))
    for (const child of Object.values(value)) collectStrings(child, into);
}

/** Applies every contribution in order of precedence; a secret that was not fetched was shadowed. */
export function resolveInput(
  contributions: readonly Contribution[],
  reads: SecretReads,
  tree: FieldNode | undefined,
): ResolvedInput {
  const input: Record<string, unknown> = {};
  const origins = new Map<string, Origin>();
  const failures = new Map<string, string>();
  const supplied = new Set<string>();
  const secrets = new Set<string>();
  for (const contribution of contributions) {
    const key = pathKey(contribution.path);
    if (!isSecretContribution(contribution)) {
      setPath(input, contribution.path, contribution.value);
      origins.set(key, contribution.origin);
      collectStrings(contribution.value, supplied);
      continue;
    }
    const result = reads.get(contribution.reference);
    if (result === undefined) continue; // shadowed: never fetched
    if (result instanceof CofferError) {
      failures.set(
        key,
        `${describeSecretReference(contribution.reference)} could not be read: ${result.message}`,
      );
      origins.set(key, contribution.origin);
      continue;
    }
    secrets.add(result.arn).add(result.name);
    const resolved = partOfSecret(contribution, result, tree, supplied);
    if ('problem' in resolved) failures.set(key, resolved.problem);
    else {
      setPath(input, contribution.path, resolved.value);
      failures.delete(key);
    }
    origins.set(key, contribution.origin);
  }
  return { input, origins, failures, supplied, secrets };
}

/** The part of a fetched secret a contribution asks for: one JSON key, a JSON object, or the text. */
function partOfSecret(
  contribution: SecretContribution,
  result: SecretResult<string>,
  tree: FieldNode | undefined,
  supplied: Set<string>,
): { value: unknown } | { problem: string } {
  const { reference } = contribution;
  const text = result.value.reveal();
  const where = describeSecretReference(reference);
  const node = findNode(tree, contribution.path);
  const wantsObject = node?.children !== undefined || (node === undefined && reference.key === undefined);
  let parsed: unknown;
  if (reference.key !== undefined || wantsObject) {
    try {
      parsed = JSON.parse(text);
    } catch {
      if (reference.key !== undefined || node?.children !== undefined) {
        return { problem: `${where}: the secret is not a JSON object, so it has no fields to read.` };
      }
    }
  }
  if (reference.key === undefined) {
    const value = isPlainObject(parsed) && wantsObject ? parsed : text;
    collectStrings(value, supplied);
    collectStrings(text, supplied);
    return { value };
  }
  if (!isPlainObject(parsed))
    return { problem: `${where}: the secret is not a JSON object, so it has no key "${reference.key}".` };
  collectStrings(parsed, supplied);
  if (!(reference.key in parsed)) {
    return {
      problem: `${where}: the secret has no key "${reference.key}" (it has: ${Object.keys(parsed).join(', ')}).`,
    };
  }
  return { value: parsed[reference.key] };
}
