import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { toEnvName } from 'coffer/internal';
import { parse } from 'dotenv';
import type { FieldNode } from './fields.js';
import type { Origin } from './origin.js';

/** A named string value from the environment or a .env file, before it is matched to a field. */
export interface RawVariable {
  readonly name: string;
  readonly value: string;
  readonly origin: Origin;
}

export interface EnvOptions {
  /** Only variables starting with this prefix are read, and the prefix is not part of the field name. @default '' */
  prefix?: string;
  /** Separates nested fields: `DATABASE__PASSWORD` is `database.password`. @default '__' */
  nestedDelimiter?: string;
  /** Match names exactly instead of ignoring case. @default false */
  caseSensitive?: boolean;
  /** The variables to read. @default process.env */
  source?: Record<string, string | undefined>;
}

export interface DotenvOptions {
  /**
   * Files to read, lowest precedence first. @default ['.env', '.env.local', `.env.${NODE_ENV}`,
   * `.env.${NODE_ENV}.local`] (the ones that exist). Files named here must exist.
   */
  files?: readonly string[];
  /** Folder the files are relative to. @default process.cwd() */
  cwd?: string;
}

/** `API_KEY` → `apiKey`, for schemas that do not list their fields. */
const toFieldName = (segment: string): string =>
  segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function readEnv(options: EnvOptions): RawVariable[] {
  const source = options.source ?? process.env;
  const out: RawVariable[] = [];
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined) out.push({ name, value, origin: { kind: 'env', name } });
  }
  return out;
}

/** The line a key is defined on (the last definition wins in dotenv, so the last line). */
function lineOf(content: string, key: string): number {
  const lines = content.split(/\r?\n/);
  const pattern = new RegExp(`^\\s*(?:export\\s+)?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*[=:]`);
  for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i] ?? '')) return i + 1;
  return 0;
}

export function readDotenv(options: DotenvOptions, nodeEnv: string | undefined): RawVariable[] {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.files !== undefined;
  const files = options.files ?? [
    '.env',
    '.env.local',
    ...(nodeEnv ? [`.env.${nodeEnv}`, `.env.${nodeEnv}.local`] : []),
  ];
  const out: RawVariable[] = [];
  for (const file of files) {
    const path = resolve(cwd, file);
    if (!existsSync(path)) {
      if (explicit) throw new TypeError(`The .env file ${path} does not exist (listed in dotenv.files).`);
      continue;
    }
    const content = readFileSync(path, 'utf8');
    for (const [name, value] of Object.entries(parse(content))) {
      out.push({ name, value, origin: { kind: 'dotenv', file, line: lineOf(content, name), name } });
    }
  }
  return out;
}

export interface MatchedVariable extends RawVariable {
  readonly path: readonly string[];
}

/**
 * Matches variables to fields. With a field list, each field has one variable name (prefix + names in
 * UPPER_SNAKE joined by the delimiter); without one, every prefixed variable becomes a field by its name.
 */
export function matchVariables(
  variables: readonly RawVariable[],
  tree: FieldNode | undefined,
  options: EnvOptions,
): MatchedVariable[] {
  const prefix = options.prefix ?? '';
  const delimiter = options.nestedDelimiter ?? '__';
  const fold = (name: string) => (options.caseSensitive ? name : name.toUpperCase());
  if (tree !== undefined) {
    const byName = new Map<string, readonly string[]>();
    const addNames = (node: FieldNode) => {
      if (node.path.length === 0) return;
      byName.set(fold(prefix + node.path.map(toEnvName).join(delimiter)), node.path);
      if (!options.caseSensitive) byName.set(fold(prefix + node.path.join(delimiter)), node.path);
    };
    const visit = (node: FieldNode) => {
      addNames(node);
      for (const child of node.children?.values() ?? []) visit(child);
    };
    visit(tree);
    return variables.flatMap((v) => {
      const path = byName.get(fold(v.name));
      return path === undefined ? [] : [{ ...v, path }];
    });
  }
  return variables.flatMap((v) => {
    if (!fold(v.name).startsWith(fold(prefix)) || v.name.length === prefix.length) return [];
    const path = v.name.slice(prefix.length).split(delimiter).map(toFieldName);
    return [{ ...v, path }];
  });
}

/** The variable name a field is read from, for messages about missing values. */
export function envNameFor(path: readonly string[], options: EnvOptions): string {
  return (options.prefix ?? '') + path.map(toEnvName).join(options.nestedDelimiter ?? '__');
}
