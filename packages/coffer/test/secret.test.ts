import { randomUUID } from 'node:crypto';
import { format, inspect } from 'node:util';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { Secret } from '../src/index.js';
import { MASK, redact } from '../src/internal.js';

const canary = () => `canary-${randomUUID()}`;

/** Every way a value commonly escapes into output. */
function renderings(value: unknown): string[] {
  return [
    String(value),
    `${value}`,
    JSON.stringify(value),
    JSON.stringify({ nested: { value } }),
    inspect(value),
    inspect({ deep: [value] }, { depth: 10 }),
    format('%s %o %O %j', value, value, value, value),
  ];
}

describe('Secret', () => {
  it('shows a mask everywhere a string value would escape, and reveals the value on request', () => {
    const value = canary();
    const secret = new Secret(value);
    for (const text of renderings(secret)) expect(text).not.toContain(value);
    expect(String(secret)).toBe(MASK);
    expect(JSON.stringify(secret)).toBe(`"${MASK}"`);
    expect(inspect(secret)).toBe(`Secret(${MASK})`);
    expect(secret.reveal()).toBe(value);
  });

  it('stays masked inside errors, their causes and structured clones', () => {
    const value = canary();
    const secret = new Secret(value);
    const error = new Error(`connecting with ${secret}`, { cause: { password: secret } });
    expect(error.message).not.toContain(value);
    expect(inspect(error, { depth: 10 })).not.toContain(value);
    expect(JSON.stringify({ error: { message: error.message, cause: error.cause } })).not.toContain(value);
    expect(JSON.stringify(structuredClone({ secret }))).not.toContain(value);
    expect(Object.keys(secret)).toEqual([]);
  });

  it('wraps bytes: masked, and reveal() hands out copies so the secret cannot be changed', () => {
    const bytes = new TextEncoder().encode(canary());
    const secret = new Secret(bytes);
    bytes[0] = 0; // the caller's buffer changing later does not change the secret
    const revealed = secret.reveal();
    expect(revealed[0]).not.toBe(0);
    revealed[1] = 0;
    expect(secret.reveal()[1]).not.toBe(0);
    for (const text of renderings(secret)) expect(text).not.toContain('canary');
  });

  it('wraps JSON objects deeply frozen, and fields() wraps every field in its own Secret', () => {
    const password = canary();
    const secret = new Secret({ username: 'app', password, tls: { key: password } });
    const revealed = secret.reveal();
    expect(Object.isFrozen(revealed)).toBe(true);
    expect(Object.isFrozen(revealed.tls)).toBe(true);
    const fields = secret.fields();
    expect(fields.username.reveal()).toBe('app');
    expect(fields.password.reveal()).toBe(password);
    expect(fields.tls.key.reveal()).toBe(password);
    for (const text of renderings(fields)) expect(text).not.toContain(password);
    for (const text of renderings(secret)) expect(text).not.toContain(password);
    expectTypeOf(fields.password).toEqualTypeOf<Secret<string>>();
    expect(() => new Secret('text').fields()).toThrow(/JSON object/);
  });

  it('map() derives a new secret without revealing; equals() compares values', () => {
    const value = canary();
    const secret = new Secret(value);
    const upper = secret.map((v) => v.toUpperCase());
    expect(upper).toBeInstanceOf(Secret);
    expect(upper.reveal()).toBe(value.toUpperCase());
    expect(String(upper)).toBe(MASK);
    expect(secret.equals(new Secret(value))).toBe(true);
    expect(secret.equals(value)).toBe(true);
    expect(secret.equals(`${value}x`)).toBe(false);
    expect(secret.equals('')).toBe(false);
    expect(new Secret(new Uint8Array([1, 2])).equals(new Uint8Array([1, 2]))).toBe(true);
    expect(new Secret({ a: 1 }).equals({ a: 2 })).toBe(false);
  });

  it('redact() masks every leaf value and its JSON-escaped form; short values only as whole tokens', () => {
    const value = canary();
    const quoted = `pa"ss-${value}`;
    expect(redact(`got ${value} and ${JSON.stringify(quoted)}`, [{ a: value, b: [quoted] }])).toBe(
      'got ***** and "*****"',
    );
    expect(redact('an id of 42, not 420', ['42'])).toBe('an id of *****, not 420');
  });
});
