import { MASK, Secret } from './secret.js';

/**
 * Masks every value (each leaf of objects among them, and its JSON-escaped form) inside `message`, for text that
 * may quote input, such as a validator's message. Values under 3 characters are left, as they would mask words.
 *
 * @example
 * ```ts
 * redact('expected number, received "hunter22"', ['hunter22']); // 'expected number, received "*****"'
 * ```
 */
export function redact(message: string, values: Iterable<unknown>): string {
  const forms = new Set<string>();
  const walk = (value: unknown): void => {
    if (value instanceof Secret) return;
    if (value !== null && typeof value === 'object') {
      for (const child of Object.values(value)) walk(child);
    } else if (value !== undefined && value !== null) {
      const text = String(value);
      forms.add(text);
      forms.add(JSON.stringify(text).slice(1, -1));
    }
  };
  for (const value of values) walk(value);
  let clean = message;
  for (const form of [...forms].filter((f) => f.length >= 3).sort((a, b) => b.length - a.length)) {
    clean = clean.split(form).join(MASK);
  }
  return clean;
}
