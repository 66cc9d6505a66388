import { InvalidSecretFormatError } from '../errors.js';
import { parseJsonQuietly } from '../json.js';
import type { RawSecret } from '../sdk/secrets-manager.js';
import { Redactor } from '../secret/redact.js';
import { Secret } from '../secret/secret.js';
import { issueKind, issuePath, type StandardSchemaV1, validateStandard } from '../standard-schema.js';

export type SecretFormat = 'string' | 'bytes' | 'json';

/** A secret value with its metadata; deeply immutable. */
export interface SecretResult<V> {
  readonly value: Secret<V>;
  readonly name: string;
  readonly arn: string;
  readonly versionId: string;
  readonly versionStages: readonly string[];
  readonly createdDate: Date | undefined;
  /** Whether Secrets Manager holds the value as `SecretString` or `SecretBinary`. */
  readonly storedAs: 'string' | 'binary';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(raw: RawSecret, secretId: string): string {
  if (raw.string !== undefined) return raw.string;
  if (raw.binary === undefined) return '';
  try {
    return utf8.decode(raw.binary);
  } catch {
    throw new InvalidSecretFormatError(
      `Secret "${secretId}" is binary and not UTF-8 text: read it with { as: 'bytes' }.`,
      {
        secretId,
      },
    );
  }
}

function parseJson(text: string, secretId: string): unknown {
  try {
    return parseJsonQuietly(text);
  } catch (error) {
    throw new InvalidSecretFormatError(
      `Secret "${secretId}" is ${(error as Error).message}: store a JSON object, or read it with { as: 'string' }.`,
      { secretId },
    );
  }
}

async function validate(schema: StandardSchemaV1, value: unknown, secretId: string): Promise<unknown> {
  const result = await validateStandard(schema, value);
  if (result.issues === undefined) return result.value;
  const paths = result.issues.map(issuePath);
  // Validators' messages may quote the value, transformed (trimmed, cut to a prefix) beyond what masking can
  // find: only the path and the kind of problem are shown. The kind comes from the schema; mask it anyway.
  const redactor = new Redactor([value]);
  const details = result.issues
    .map((issue) => `${issuePath(issue)}: ${redactor.redact(issueKind(issue))}`)
    .join('; ');
  throw new InvalidSecretFormatError(`Secret "${secretId}" does not match its schema: ${details}`, {
    secretId,
    paths,
  });
}

const result = (raw: RawSecret, value: unknown): SecretResult<unknown> =>
  Object.freeze({
    value: new Secret(value),
    name: raw.name,
    arn: raw.arn,
    versionId: raw.versionId,
    versionStages: raw.versionStages,
    createdDate: raw.createdDate,
    storedAs: raw.string === undefined && raw.binary !== undefined ? 'binary' : 'string',
  });

/** Shapes a raw secret as a string, bytes or parsed JSON; synchronous so cached reads need no extra tick. */
export function decodeAs(raw: RawSecret, secretId: string, as: SecretFormat): SecretResult<unknown> {
  if (as === 'bytes') return result(raw, raw.binary ?? new TextEncoder().encode(raw.string ?? ''));
  if (as === 'string') return result(raw, asText(raw, secretId));
  return result(raw, parseJson(asText(raw, secretId), secretId));
}

/** Parses a raw secret as JSON and validates it with a Standard Schema. */
export async function decodeWithSchema(
  raw: RawSecret,
  secretId: string,
  schema: StandardSchemaV1,
): Promise<SecretResult<unknown>> {
  const parsed = parseJson(asText(raw, secretId), secretId);
  return result(raw, await validate(schema, parsed, secretId));
}

/** Shapes a raw secret as a string, bytes or (optionally validated) JSON. */
export function decode(
  raw: RawSecret,
  secretId: string,
  as: SecretFormat,
  schema: StandardSchemaV1 | undefined,
): Promise<SecretResult<unknown>> {
  return schema === undefined
    ? Promise.resolve(decodeAs(raw, secretId, as))
    : decodeWithSchema(raw, secretId, schema);
}
