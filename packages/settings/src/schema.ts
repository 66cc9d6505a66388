import { Secret, type StandardSchemaV1 } from 'coffer';
import { isStandardSchema } from 'coffer/internal';

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
  // Marked so that validation never shows this field's messages, which may quote the value.
  Object.defineProperty(wrapped, SECRET_FIELD, { value: true });
  return wrapped;
}

/** Whether a field's schema was made by `secret()`. */
export const isSecretField = (schema: StandardSchemaV1 | undefined): boolean =>
  schema !== undefined && SECRET_FIELD in schema;
