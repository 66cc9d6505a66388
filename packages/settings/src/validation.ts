import type { StandardSchemaV1 } from 'coffer';
import { isStandardSchema, issueKind, issuePathKeys, Redactor, validateStandard } from 'coffer/internal';
import type { SettingsIssue } from './errors.js';
import { type FieldNode, getPath, pathKey, setPath } from './fields.js';
import { describeOrigin, type Origin } from './origin.js';
import type { ResolvedInput } from './resolution.js';
import { isSecretField, type SettingsSchema } from './schema.js';
import { type EnvOptions, envNameFor } from './sources.js';

/** A schema's complaint about one path, before it is matched to the source of the value. */
interface Complaint {
  readonly path: string;
  readonly message: string;
  /** The kind of problem (`invalid_type check failed (expected number)`), shown instead of a secret's message. */
  readonly kind: string;
  /** The field's schema was made by `secret()`. */
  readonly secretField: boolean;
}

/**
 * The value was of the wrong type (zod's `invalid_type`, valibot's schema-level issues, arktype's `domain`):
 * the only failure that reading an env string as JSON can cure. Any other failure is the real reason.
 */
function isTypeMismatch(issue: StandardSchemaV1.Issue): boolean {
  const fields = issue as unknown as Record<string, unknown>;
  return fields.code === 'invalid_type' || fields.kind === 'schema' || fields.code === 'domain';
}

/** A string that parses as JSON (number, boolean, object, array), for fields whose schema wants that type. */
function coerce(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'string' ? undefined : parsed;
  } catch {
    return undefined;
  }
}

/** Validates a Shape field by field, so every field's problems are reported, not just the first. */
async function validateShape(node: FieldNode, input: unknown, complaints: Complaint[]): Promise<unknown> {
  if (node.children === undefined) {
    const raw = getPath(input, node.path);
    const schema = node.schema as StandardSchemaV1;
    let result = await validateStandard(schema, raw);
    // Env and .env values are strings; a field that wants a number, boolean or object gets the JSON reading,
    // and when that reading fails too, its reason is the real one (`APP_MAX=-1` is too small, not a string).
    const coerced = result.issues?.every(isTypeMismatch) ? coerce(raw) : undefined;
    if (coerced !== undefined) result = await validateStandard(schema, coerced);
    if (result.issues === undefined) return result.value;
    for (const issue of result.issues) {
      complaints.push({
        path: pathKey([...node.path, ...issuePathKeys(issue)]),
        message: issue.message,
        kind: issueKind(issue),
        secretField: isSecretField(schema),
      });
    }
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of node.children) {
    const value = await validateShape(child, input, complaints);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

async function validateWhole(
  schema: StandardSchemaV1,
  input: Record<string, unknown>,
  complaints: Complaint[],
): Promise<unknown> {
  let result = await validateStandard(schema, input);
  if (result.issues !== undefined) {
    // Retry once with the JSON reading of every string the validator complained about.
    let changed = false;
    for (const issue of result.issues) {
      const path = issuePathKeys(issue);
      const coerced = isTypeMismatch(issue) ? coerce(getPath(input, path)) : undefined;
      if (path.length > 0 && coerced !== undefined) {
        setPath(input, path, coerced);
        changed = true;
      }
    }
    if (changed) result = await validateStandard(schema, input);
  }
  if (result.issues === undefined) return result.value;
  for (const issue of result.issues)
    complaints.push({
      path: pathKey(issuePathKeys(issue)),
      message: issue.message,
      kind: issueKind(issue),
      secretField: false,
    });
  return undefined;
}

/**
 * Validates the resolved input with a whole schema or a Shape's field tree. Returns the value, or every
 * problem: each names the field and where its value came from (or which variable was looked for), with the
 * validator's message scrubbed of every supplied value.
 */
export async function validateSettings(
  schema: SettingsSchema,
  tree: FieldNode | undefined,
  resolved: ResolvedInput,
  env: EnvOptions | false,
): Promise<{ value: unknown } | { issues: SettingsIssue[] }> {
  const complaints: Complaint[] = [];
  const value = isStandardSchema(schema)
    ? await validateWhole(schema, resolved.input, complaints)
    : await validateShape(tree as FieldNode, resolved.input, complaints);
  if (complaints.length === 0) return { value };

  const describe = (path: readonly string[]): { source: string; failure?: string; fromSecret?: boolean } => {
    for (let n = path.length; n >= 0; n--) {
      const key = pathKey(path.slice(0, n));
      const failure = resolved.failures.get(key);
      const origin = resolved.origins.get(key);
      if (failure !== undefined) return { source: describeOrigin(origin as Origin), failure };
      if (origin !== undefined)
        return { source: describeOrigin(origin), fromSecret: origin.kind === 'secret' };
    }
    const looked = env === false ? 'nothing set it' : `not set; looked for env var ${envNameFor(path, env)}`;
    return { source: looked };
  };
  const redactor = new Redactor(resolved.supplied);
  return {
    issues: complaints.map((complaint) => {
      const where = describe(complaint.path.split('.').filter(Boolean));
      // A value from Secrets Manager or a secret() field is never quoted, even masked: validators quote it
      // transformed (trimmed, a prefix) beyond what masking can find. The kind of problem is shown instead.
      const secretValue = where.fromSecret === true || complaint.secretField;
      return {
        path: complaint.path || '(root)',
        source: where.source,
        message: where.failure ?? redactor.redact(secretValue ? complaint.kind : complaint.message),
      };
    }),
  };
}
