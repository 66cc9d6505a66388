import { Secret, type StandardSchemaV1 } from 'coffer';
import { isStandardSchema } from 'coffer/internal';
import type { SettingsSchema, Shape } from './schema.js';

/** One known field: a leaf with its own schema (Shape), or just a name and a JSON type (whole schema). */
export interface FieldNode {
  readonly path: readonly string[];
  readonly schema?: StandardSchemaV1;
  /** JSON Schema type, when the whole schema describes itself (Standard JSON Schema). */
  readonly type?: string;
  readonly children?: ReadonlyMap<string, FieldNode>;
}

/** `database.password`: a field path as settings errors and `changedPaths` show it. */
export const pathKey = (path: readonly string[]): string => path.join('.');

/** An object of fields (not an array, bytes or a Secret). */
export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !(v instanceof Secret) &&
  !ArrayBuffer.isView(v);

/** Sets a nested value, copying frozen objects on the way rather than writing into them. */
export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
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

export function getPath(source: unknown, path: readonly (string | PropertyKey)[]): unknown {
  let node = source;
  for (const key of path) node = isPlainObject(node) ? node[key as string] : undefined;
  return node;
}

function shapeTree(shape: Shape, path: readonly string[]): FieldNode {
  const children = new Map<string, FieldNode>();
  for (const [key, value] of Object.entries(shape)) {
    children.set(
      key,
      isStandardSchema(value) ? { path: [...path, key], schema: value } : shapeTree(value, [...path, key]),
    );
  }
  return { path, children };
}

interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
}

function jsonSchemaTree(node: JsonSchemaNode, path: readonly string[]): FieldNode {
  const type = Array.isArray(node.type) ? node.type.find((t) => t !== 'null') : node.type;
  if (node.properties === undefined) return { path, ...(type !== undefined && { type }) };
  const children = new Map<string, FieldNode>();
  for (const [key, child] of Object.entries(node.properties))
    children.set(key, jsonSchemaTree(child, [...path, key]));
  return { path, type: 'object', children };
}

/**
 * The fields a schema declares, so environment variables can be matched to them: a Shape lists them; a whole
 * schema may describe itself through the Standard JSON Schema extension (zod 4, arktype). Undefined when unknown.
 */
export function fieldTree(schema: SettingsSchema): FieldNode | undefined {
  if (!isStandardSchema(schema)) return shapeTree(schema, []);
  const props = schema['~standard'] as { jsonSchema?: { input?: (options: { target: string }) => unknown } };
  try {
    const json = props.jsonSchema?.input?.({ target: 'draft-2020-12' }) as JsonSchemaNode | undefined;
    return json?.properties === undefined ? undefined : jsonSchemaTree(json, []);
  } catch {
    // Schemas with transforms may refuse to describe themselves as JSON Schema; match by name then.
    return undefined;
  }
}

/** Every leaf of a tree, depth first. */
export function leaves(node: FieldNode): FieldNode[] {
  if (node.children === undefined) return [node];
  return [...node.children.values()].flatMap(leaves);
}

export function findNode(root: FieldNode | undefined, path: readonly string[]): FieldNode | undefined {
  let node = root;
  for (const key of path) node = node?.children?.get(key);
  return node;
}
