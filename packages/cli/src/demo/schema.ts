import type { StandardSchemaV1 } from 'coffer';

/**
 * Two tiny Standard Schemas, so the demo's settings need no validation library: @coffer/settings takes any
 * Standard Schema (zod, valibot, arktype, or these).
 */
function schema<T>(check: (value: unknown) => T | undefined, expected: string): StandardSchemaV1<T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'coffer-demo',
      validate: (value) => {
        const out = check(value);
        return out === undefined ? { issues: [{ message: `expected ${expected}` }] } : { value: out };
      },
    },
  };
}

export const text = (): StandardSchemaV1<string> =>
  schema((v) => (typeof v === 'string' && v !== '' ? v : undefined), 'a non-empty string');

export const port = (fallback?: number): StandardSchemaV1<number> =>
  schema((v) => {
    const n = v === undefined ? fallback : v;
    return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65_535 ? n : undefined;
  }, 'a port number');
