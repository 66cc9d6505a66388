import { createHash, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { deepFreeze } from '../freeze.js';

/** What every Secret shows instead of its contents. */
export const MASK = '*****';

/** A JSON secret with each field wrapped: logging the object shows masks, not values. */
export type SecretFields<T> = {
  readonly [K in keyof T]: T[K] extends Uint8Array
    ? Secret<T[K]>
    : T[K] extends Record<string, unknown>
      ? SecretFields<T[K]>
      : Secret<T[K]>;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value);

/** A digest of any secret value, so equality can be checked in constant time whatever the lengths. */
function digest(value: unknown): Buffer {
  const hash = createHash('sha256');
  if (typeof value === 'string') hash.update('s').update(value, 'utf8');
  else if (value instanceof Uint8Array) hash.update('b').update(value);
  else hash.update('j').update(JSON.stringify(value) ?? 'undefined');
  return hash.digest();
}

/**
 * An opaque secret value. It never shows its contents: `String(secret)`, template strings, `JSON.stringify`,
 * `util.inspect` and `console.log` all print a fixed mask, and errors that carry one stay clean. Call
 * `reveal()` at the point of use, and nowhere else.
 *
 * @example
 * ```ts
 * const password = new Secret('hunter2');
 * console.log(`password=${password}`); // password=*****
 * await pg.connect({ password: password.reveal() });
 * ```
 */
export class Secret<T = string> {
  // A private field: invisible to enumeration, JSON, inspect and structuredClone.
  readonly #value: T;

  constructor(value: T) {
    // Bytes are copied so that later writes to the caller's buffer cannot change the secret.
    this.#value = value instanceof Uint8Array ? (Uint8Array.from(value) as T) : deepFreeze(value);
  }

  /** The contents. Objects are deeply frozen; bytes come back as a fresh copy each time. */
  reveal(): T {
    const value = this.#value;
    return value instanceof Uint8Array ? (Uint8Array.from(value) as T) : value;
  }

  /** Derives another secret without exposing this one, e.g. `secret.map((s) => s.trim())`. */
  map<U>(fn: (value: T) => U): Secret<U> {
    return new Secret(fn(this.reveal()));
  }

  /** Compares in constant time (independent of where the values differ, and of their lengths). */
  equals(other: Secret<T> | T): boolean {
    const theirs = other instanceof Secret ? (other as Secret<T>).#value : other;
    return timingSafeEqual(digest(this.#value), digest(theirs));
  }

  /**
   * For a JSON object secret: the same object with every leaf wrapped in its own Secret.
   *
   * @example
   * ```ts
   * const { username, password } = dbSecret.fields();
   * ```
   */
  fields(): T extends Record<string, unknown> ? SecretFields<T> : never {
    const wrap = (value: unknown): unknown =>
      isPlainObject(value)
        ? Object.freeze(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrap(v)])))
        : new Secret(value);
    if (!isPlainObject(this.#value)) {
      throw new TypeError('fields() needs a secret that holds a JSON object; read it with { as: "json" }.');
    }
    return wrap(this.#value) as T extends Record<string, unknown> ? SecretFields<T> : never;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [Symbol.toPrimitive](): string {
    return MASK;
  }

  [inspect.custom](): string {
    return `Secret(${MASK})`;
  }

  get [Symbol.toStringTag](): string {
    return 'Secret';
  }
}

export const isSecret = (value: unknown): value is Secret<unknown> => value instanceof Secret;
