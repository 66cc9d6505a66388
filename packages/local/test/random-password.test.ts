import {
  GetRandomPasswordCommand,
  type GetRandomPasswordCommandInput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { LocalSecretsManager } from '@coffer/local';
import { clientFor, errorOf, startTestServer } from '@coffer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LOWER = /[a-z]/;
const UPPER = /[A-Z]/;
const DIGIT = /[0-9]/;
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const hasPunctuation = (s: string) => [...s].some((c) => PUNCTUATION.includes(c));
/** Every character AWS may use: the four classes, plus space when asked for. */
const ALLOWED = /^[a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~ ]*$/;

describe('GetRandomPassword', () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = clientFor(server);
  });
  afterAll(() => server.close());

  const password = async (input: GetRandomPasswordCommandInput = {}): Promise<string> => {
    const out = await client.send(new GetRandomPasswordCommand(input));
    return out.RandomPassword as string;
  };

  it('defaults to 32 characters with every type and no space', async () => {
    for (let i = 0; i < 20; i++) {
      const p = await password();
      expect(p).toHaveLength(32);
      expect(p).toMatch(ALLOWED);
      expect(p).toMatch(LOWER);
      expect(p).toMatch(UPPER);
      expect(p).toMatch(DIGIT);
      expect(hasPunctuation(p)).toBe(true);
      expect(p).not.toContain(' ');
    }
  });

  it('returns different passwords each call', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await password());
    expect(seen.size).toBe(10);
  });

  it.each([4, 100, 4096])('honours PasswordLength=%i', async (PasswordLength) => {
    expect(await password({ PasswordLength })).toHaveLength(PasswordLength);
  });

  it('allows PasswordLength=1 when not every type is required', async () => {
    expect(await password({ PasswordLength: 1, RequireEachIncludedType: false })).toHaveLength(1);
  });

  it.each([
    [0, 'greater than or equal to 1'],
    [4097, 'less than or equal to 4096'],
  ])('refuses PasswordLength=%i with a ValidationException', async (PasswordLength, bound) => {
    const error = await errorOf(() => password({ PasswordLength }));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe(
      `1 validation error detected: Value '${PasswordLength}' at 'passwordLength' failed to satisfy constraint: Member must have value ${bound}`,
    );
  });

  it('ExcludeCharacters never appear', async () => {
    const ExcludeCharacters = 'abcdefABCDEF012345!@#$%^&*()';
    const p = await password({ PasswordLength: 4096, ExcludeCharacters });
    for (const c of ExcludeCharacters) expect(p).not.toContain(c);
    expect(p).toMatch(LOWER);
    expect(p).toMatch(UPPER);
    expect(p).toMatch(DIGIT);
    expect(hasPunctuation(p)).toBe(true);
  });

  it('ExcludeNumbers', async () => {
    const p = await password({ PasswordLength: 200, ExcludeNumbers: true });
    expect(p).not.toMatch(DIGIT);
    expect(p).toMatch(LOWER);
    expect(p).toMatch(UPPER);
    expect(hasPunctuation(p)).toBe(true);
  });

  it('ExcludePunctuation', async () => {
    const p = await password({ PasswordLength: 200, ExcludePunctuation: true });
    expect(p).toMatch(/^[a-zA-Z0-9]+$/);
    expect(p).toMatch(LOWER);
    expect(p).toMatch(UPPER);
    expect(p).toMatch(DIGIT);
  });

  it('ExcludeUppercase', async () => {
    const p = await password({ PasswordLength: 200, ExcludeUppercase: true });
    expect(p).not.toMatch(UPPER);
    expect(p).toMatch(LOWER);
    expect(p).toMatch(DIGIT);
  });

  it('ExcludeLowercase', async () => {
    const p = await password({ PasswordLength: 200, ExcludeLowercase: true });
    expect(p).not.toMatch(LOWER);
    expect(p).toMatch(UPPER);
    expect(p).toMatch(DIGIT);
  });

  it('combined exclusions leave only the remaining type', async () => {
    const p = await password({
      PasswordLength: 64,
      ExcludeLowercase: true,
      ExcludeUppercase: true,
      ExcludePunctuation: true,
    });
    expect(p).toMatch(/^[0-9]{64}$/);
  });

  it('IncludeSpace adds the space character', async () => {
    const p = await password({ PasswordLength: 4096, IncludeSpace: true });
    expect(p).toContain(' ');
    expect(p).toMatch(ALLOWED);
  });

  it('ExcludeCharacters wins over IncludeSpace', async () => {
    const p = await password({ PasswordLength: 1000, IncludeSpace: true, ExcludeCharacters: ' ' });
    expect(p).not.toContain(' ');
  });

  it('RequireEachIncludedType puts one of every included type in even a short password', async () => {
    for (let i = 0; i < 20; i++) {
      const p = await password({ PasswordLength: 4, RequireEachIncludedType: true });
      expect(p).toMatch(LOWER);
      expect(p).toMatch(UPPER);
      expect(p).toMatch(DIGIT);
      expect(hasPunctuation(p)).toBe(true);
    }
  });

  it('RequireEachIncludedType refuses a length shorter than the number of types', async () => {
    const error = await errorOf(() => password({ PasswordLength: 3 }));
    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toBe('Password length is too short based on the required types.');
    expect(await password({ PasswordLength: 3, ExcludePunctuation: true })).toHaveLength(3);
  });

  it('a type emptied by ExcludeCharacters is no longer required', async () => {
    const p = await password({ PasswordLength: 50, ExcludeCharacters: '0123456789' });
    expect(p).not.toMatch(DIGIT);
    expect(p).toMatch(LOWER);
  });

  it('refuses to build a password when every character is excluded', async () => {
    for (const input of [
      { ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true },
      {
        ExcludeLowercase: true,
        ExcludeUppercase: true,
        ExcludeNumbers: true,
        ExcludeCharacters: PUNCTUATION,
      },
    ]) {
      const error = await errorOf(() => password(input));
      expect(error.name).toBe('InvalidParameterException');
    }
  });

  it('refuses ExcludeCharacters longer than 4096', async () => {
    const error = await errorOf(() => password({ ExcludeCharacters: 'a'.repeat(4097) }));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain("at 'excludeCharacters' failed to satisfy constraint");
  });
});
