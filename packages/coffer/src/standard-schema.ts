/**
 * The Standard Schema interface (https://standardschema.dev), copied as its authors intend so that Coffer
 * accepts zod, valibot, arktype and others without depending on any of them.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  interface PathSegment {
    readonly key: PropertyKey;
  }
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/** Whether a value implements Standard Schema (zod 4, valibot, arktype, ...). */
export const isStandardSchema = (value: unknown): value is StandardSchemaV1 =>
  // ArkType's types are functions that carry the interface.
  (typeof value === 'object' || typeof value === 'function') && value !== null && '~standard' in value;

/** An issue's path as keys, e.g. `['db', '0', 'port']`; empty for the value itself. */
export const issuePathKeys = (issue: StandardSchemaV1.Issue): string[] =>
  // Array.from, not .map: ArkType's path is an Array subclass whose .map builds another (wrong) one.
  Array.from(issue.path ?? [], (segment) =>
    String(typeof segment === 'object' && segment !== null && 'key' in segment ? segment.key : segment),
  );

/** `a.b.0.c` for an issue path; `(root)` for the value itself. */
export function issuePath(issue: StandardSchemaV1.Issue): string {
  const keys = issuePathKeys(issue);
  return keys.length === 0 ? '(root)' : keys.join('.');
}

/** Issue fields that describe the schema's requirement, never the input (which `received`/`actual` may quote). */
const REQUIREMENT_FIELDS = ['format', 'expected', 'minimum', 'maximum', 'origin'] as const;

/**
 * What kind of problem an issue is, from the fields validators add beside `message`: zod's and arktype's
 * `code`, valibot's `type`, and what was expected (`invalid_type check failed (expected number)`).
 * For values from a secret this replaces the message, which may quote the value (valibot's `Received "..."`,
 * a `startsWith` check quoting the start of it).
 */
export function issueKind(issue: StandardSchemaV1.Issue): string {
  const fields = issue as unknown as Record<string, unknown>;
  const scalar = (value: unknown): string | undefined =>
    typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint'
      ? String(value)
      : undefined;
  const kind = scalar(fields.code) ?? scalar(fields.type) ?? 'invalid';
  const details = REQUIREMENT_FIELDS.flatMap((field) => {
    const value = scalar(fields[field]);
    return value === undefined || value === kind ? [] : [`${field} ${value}`];
  });
  return `${kind} check failed${details.length === 0 ? '' : ` (${details.join(', ')})`}`;
}

/**
 * Runs a schema's validator; one that throws (a transform calling JSON.parse, say) becomes a single issue whose
 * message names only the error's class: a thrown message may quote the input, even a truncated part of it that
 * no scrubbing would find.
 */
export async function validateStandard(
  schema: StandardSchemaV1,
  value: unknown,
): Promise<StandardSchemaV1.Result<unknown>> {
  try {
    return await schema['~standard'].validate(value);
  } catch (error) {
    return {
      issues: [
        {
          message: `the schema threw ${error instanceof Error ? error.name : 'an error'} (message withheld, as it may quote the value)`,
        },
      ],
    };
  }
}
