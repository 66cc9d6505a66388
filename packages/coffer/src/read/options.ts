import { isStandardSchema, type StandardSchemaV1 } from '../standard-schema.js';
import type { SecretFormat } from './decode.js';

// The options every read takes (getSecret, SecretCache), and their checks.

/** Which version to read: AWSCURRENT unless a stage or a version id is given. */
export interface VersionSelector {
  /** A staging label such as `AWSPREVIOUS` or `AWSPENDING`. @default 'AWSCURRENT' */
  versionStage?: string;
  /** One exact version. */
  versionId?: string;
}

export interface ReadOptions<
  F extends SecretFormat = SecretFormat,
  S extends StandardSchemaV1 | undefined = undefined,
> extends VersionSelector {
  /** How to shape the value. @default 'string' (or 'json' when a schema is given) */
  as?: F;
  /** A Standard Schema (zod, valibot, arktype, ...) the parsed JSON must satisfy. */
  schema?: S;
  /** Cancels the wait (not the value: a cached fetch still completes for other callers). */
  signal?: AbortSignal;
}

/** The value type a read produces for a format and schema. */
export type ValueOf<F extends SecretFormat, S> = S extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<S>
  : F extends 'bytes'
    ? Uint8Array
    : F extends 'json'
      ? Record<string, unknown>
      : string;

export function checkSecretId(secretId: unknown): asserts secretId is string {
  if (typeof secretId !== 'string' || secretId.length === 0 || secretId.length > 2048) {
    throw new TypeError(
      `secretId must be a secret name or ARN (1-2048 characters), got ${typeof secretId === 'string' ? `"${secretId}"` : typeof secretId}.`,
    );
  }
}

export function checkReadOptions(options: ReadOptions<SecretFormat, StandardSchemaV1 | undefined>): void {
  const { as, schema, versionId, versionStage } = options;
  if (as !== undefined && as !== 'string' && as !== 'bytes' && as !== 'json') {
    throw new TypeError(`as must be 'string', 'bytes' or 'json', got ${JSON.stringify(as)}.`);
  }
  if (schema !== undefined && !isStandardSchema(schema)) {
    throw new TypeError('schema must be a Standard Schema (zod 4, valibot, arktype, ...).');
  }
  if (schema !== undefined && as !== undefined && as !== 'json') {
    throw new TypeError(
      `A schema validates JSON: use as: 'json' (or leave as out) with a schema, not as: '${as}'.`,
    );
  }
  if (
    versionId !== undefined &&
    (typeof versionId !== 'string' || versionId.length < 32 || versionId.length > 64)
  ) {
    throw new TypeError('versionId must be a version id of 32-64 characters.');
  }
  if (
    versionStage !== undefined &&
    (typeof versionStage !== 'string' || versionStage.length === 0 || versionStage.length > 256)
  ) {
    throw new TypeError('versionStage must be a staging label of 1-256 characters, e.g. AWSPREVIOUS.');
  }
}

export const formatOf = (options: { as?: SecretFormat | undefined; schema?: unknown }): SecretFormat =>
  options.as ?? (options.schema === undefined ? 'string' : 'json');
