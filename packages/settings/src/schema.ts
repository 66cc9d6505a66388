import { Secret, type StandardSchemaV1 } from 'coffer';

/** A settings schema as a nested object whose leaves are Standard Schemas (zod, valibot, arktype, mixed). */
export interface Shape {
  readonly [field: string]: StandardSchemaV1 | Shape;
}

/** Either one Standard Schema for the whole object, or a Shape of per-field schemas. */
export type SettingsSchema = StandardSchemaV1 | Shape;

/** The loaded settings' type. */
export type InferSettings<S> = S extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<S>
  : S extends Shape
    ? { readonly [K in keyof S]: InferSettings<S[K]> }
    : never;

export const isStandardSchema = (value: unknown): value is StandardSchemaV1 =>
  typeof value === 'object' && value !== null && '~standard' in value;

const SECRET_FIELD = Symbol('coffer.secretField');

/**
 * Marks a field as secret: its value comes out as a `Secret<T>`, masked in every log, error and JSON.
 * Works with any Standard Schema (zod, valibot, arktype) as a field of a settings Shape.
 *
 * @example
 * ```ts
 * defineSettings({ schema: { database: { password: secret(z.string().min(12)) } } });
 * ```
 */
export function secret<S extends StandardSchemaV1>(
  schema: S,
): StandardSchemaV1<StandardSchemaV1.InferInput<S>, Secret<StandardSchemaV1.InferOutput<S>>> {
  if (!isStandardSchema(schema))
    throw new TypeError('secret() takes a Standard Schema, e.g. secret(z.string()).');
  const inner = schema['~standard'];
  const wrapped: StandardSchemaV1<StandardSchemaV1.InferInput<S>, Secret<StandardSchemaV1.InferOutput<S>>> = {
    '~standard': {
      version: 1,
      vendor: inner.vendor,
      async validate(value) {
        const result = await inner.validate(value);
        if (result.issues !== undefined) return { issues: result.issues };
        return { value: new Secret(result.value as StandardSchemaV1.InferOutput<S>) };
      },
    },
  };
  Object.defineProperty(wrapped, SECRET_FIELD, { value: true });
  return wrapped;
}

export const isSecretField = (schema: StandardSchemaV1): boolean => SECRET_FIELD in schema;

/** One known field: a leaf with its own schema (Shape), or just a name and a JSON type (whole schema). */
export interface FieldNode {
  readonly path: readonly string[];
  readonly schema?: StandardSchemaV1;
  /** JSON Schema type, when the whole schema describes itself (Standard JSON Schema). */
  readonly type?: string;
  readonly children?: ReadonlyMap<string, FieldNode>;
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
