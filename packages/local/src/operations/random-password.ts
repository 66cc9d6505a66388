import { randomInt } from 'node:crypto';
import { invalidParameter } from '../protocol/errors.js';
import { authorize, type Operation } from './context.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
/** AWS's punctuation set. */
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export const getRandomPassword: Operation = (input, ctx) => {
  const length = input.integer('PasswordLength', { min: 1, max: 4096 }) ?? 32;
  const exclude = new Set(input.string('ExcludeCharacters', { max: 4096 }) ?? '');
  const classes: Array<[string, boolean]> = [
    [LOWER, !(input.boolean('ExcludeLowercase') ?? false)],
    [UPPER, !(input.boolean('ExcludeUppercase') ?? false)],
    [DIGITS, !(input.boolean('ExcludeNumbers') ?? false)],
    [PUNCTUATION, !(input.boolean('ExcludePunctuation') ?? false)],
  ];
  const includeSpace = input.boolean('IncludeSpace') ?? false;
  const requireEach = input.boolean('RequireEachIncludedType') ?? true;
  input.done();
  authorize(ctx, 'GetRandomPassword', '*');

  const allowed = (chars: string) => [...chars].filter((c) => !exclude.has(c));
  const required = classes
    .filter(([, on]) => on)
    .map(([chars]) => allowed(chars))
    .filter((c) => c.length > 0);
  const pool = [...required.flat(), ...(includeSpace && !exclude.has(' ') ? [' '] : [])];
  if (pool.length === 0) {
    throw invalidParameter(
      'No characters are left to build a password from: every character type is excluded.',
    );
  }
  if (requireEach && length < required.length) {
    throw invalidParameter('Password length is too short based on the required types.');
  }
  const chars = requireEach ? required.map((set) => set[randomInt(set.length)] as string) : [];
  while (chars.length < length) chars.push(pool[randomInt(pool.length)] as string);
  // Fisher-Yates, so the required characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return { RandomPassword: chars.join('') };
};
