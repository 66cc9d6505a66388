import { MASK, Secret } from './secret.js';

/**
 * Values this long or longer are masked wherever they appear, in every form below; shorter ones only where they
 * stand as a whole token (a three-letter password would otherwise mask ordinary words).
 */
const MIN_SUBSTRING = 4;
/** The shortest piece of an encoded form worth masking: shorter pieces occur in ordinary text by chance. */
export const MIN_FORM = 4;
/** Text that stops at one of these (or at its end) may have cut a value short. */
export const TRUNCATION_MARKERS: readonly string[] = ['…', '...', '[truncated]'];

const base64Url = (text: string): string => text.replaceAll('+', '-').replaceAll('/', '_');

/**
 * The base64 of `bytes` as it appears inside the base64 of a longer text (`Basic base64(user:password)`): the
 * value may start at any of three alignments, and only the characters that depend on its bytes alone are
 * certain, so each alignment gives one fragment.
 */
function base64Fragments(bytes: Buffer): string[] {
  const fragments: string[] = [];
  for (let align = 0; align < 3; align++) {
    const encoded = Buffer.concat([Buffer.alloc(align), bytes]).toString('base64');
    const start = Math.ceil((align * 8) / 6);
    const end = Math.floor(((align + bytes.length) * 8) / 6);
    if (end - start >= MIN_FORM) fragments.push(encoded.slice(start, end));
  }
  return fragments;
}

/** Percent-encodings are case-insensitive: `%2f` and `%2F` are the same byte. */
const lowerPercent = (text: string): string => text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase());

/**
 * The percent-encodings a URL gives a value besides `encodeURIComponent`'s: in its userinfo (`new URL()`'s
 * password and username setters, as a connection string is built), in its query, and `encodeURI`'s. Each
 * leaves a different set of characters as they are.
 */
function urlForms(text: string): string[] {
  const url = new URL('http://host/');
  url.password = text;
  const userinfo = url.password;
  url.search = `?${text}`;
  const query = url.search.slice(1);
  let uri: string;
  try {
    uri = encodeURI(text);
  } catch {
    uri = text; // A lone surrogate: encodeURI refuses it, and so would any URL.
  }
  return [userinfo, query, uri];
}

/**
 * The JSON escapes other writers use than JSON.stringify's: DEL and every non-ASCII character as `\uXXXX`
 * (Python's `json.dumps`, in either hex case) and `/` as `\/`, alone or with the `\uXXXX` escapes (PHP's
 * `json_encode` does both by default).
 */
function jsonForms(escaped: string): string[] {
  const ascii = escaped.replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const upper = ascii.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`);
  return [escaped, ascii, upper].flatMap((form) => [form, form.replaceAll('/', '\\/')]);
}

/**
 * Every way a value is commonly written into text: as it is and trimmed, JSON-escaped (as structured loggers
 * write it, also with `\uXXXX` and `\/` escapes), URL-encoded (`%20` and `+` for spaces, the forms a URL's
 * userinfo and query give it, either hex case), base64 (standard and URL-safe, at any alignment inside a longer
 * encoded text) and hex (either case).
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>();
  for (const text of new Set([value, value.trim()])) {
    if (text.length < MIN_SUBSTRING) continue;
    const bytes = Buffer.from(text, 'utf8');
    const percent = encodeURIComponent(text);
    const formEncoded = new URLSearchParams({ v: text }).toString().slice(2);
    const hex = bytes.toString('hex');
    const json = JSON.stringify(text).slice(1, -1);
    for (const form of [
      text,
      json,
      ...jsonForms(json),
      percent,
      lowerPercent(percent),
      formEncoded,
      lowerPercent(formEncoded),
      ...urlForms(text).flatMap((encoded) => [encoded, lowerPercent(encoded)]),
      hex,
      hex.toUpperCase(),
      ...base64Fragments(bytes).flatMap((b64) => [b64, base64Url(b64)]),
    ]) {
      if (form.length >= MIN_FORM) forms.add(form);
    }
  }
  return [...forms];
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The strings to mask in `values`: every leaf of objects and arrays, and what a Secret holds. */
function leavesOf(values: Iterable<unknown>): Set<string> {
  const out = new Set<string>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 32) return;
    if (value instanceof Secret) walk(value.reveal(), depth + 1);
    else if (typeof value === 'string') out.add(value);
    else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
      out.add(String(value));
    else if (value instanceof Uint8Array) out.add(Buffer.from(value).toString('utf8'));
    else if (value !== null && typeof value === 'object')
      for (const child of Object.values(value)) walk(child, depth + 1);
  };
  for (const value of values) walk(value, 0);
  return out;
}

/**
 * Masks a set of secret values in text, in every form `secretForms` lists; a value cut short at the end of the
 * text (or before `…`) is masked too. Build one for a set of values and reuse it: building costs more than
 * masking.
 *
 * @example
 * ```ts
 * const redactor = new Redactor(['hunter2-Sup3rS3cret']);
 * redactor.redact('login failed for postgres://app:hunter2-Sup3rS3cret@db'); // '... postgres://app:*****@db'
 * redactor.redact('Authorization: Basic YXBwOmh1bnRlcjItU3VwM3JTM2NyZXQ='); // 'Authorization: Basic YXBwO*****'
 * ```
 */
export class Redactor {
  /** Every form of every value long enough to mask anywhere, longest first. */
  readonly forms: readonly string[];
  /** Values too short to mask anywhere: masked where they stand alone, between non-word characters. */
  readonly tokens: readonly string[];
  readonly #anywhere: RegExp | undefined;
  readonly #standalone: RegExp | undefined;

  constructor(values: Iterable<unknown>) {
    const forms = new Set<string>();
    const tokens = new Set<string>();
    for (const value of leavesOf(values)) {
      if (value.trim().length >= MIN_SUBSTRING) for (const form of secretForms(value)) forms.add(form);
      else if (value.trim() !== '') tokens.add(value.trim());
    }
    this.forms = [...forms].sort((a, b) => b.length - a.length);
    this.tokens = [...tokens].sort((a, b) => b.length - a.length);
    this.#anywhere =
      this.forms.length === 0 ? undefined : new RegExp(this.forms.map(escapeRegExp).join('|'), 'g');
    this.#standalone =
      this.tokens.length === 0
        ? undefined
        : new RegExp(
            `(?<![\\p{L}\\p{N}_])(?:${this.tokens.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}_])`,
            'gu',
          );
  }

  /** True when there is nothing to mask. */
  get empty(): boolean {
    return this.#anywhere === undefined && this.#standalone === undefined;
  }

  redact(text: string): string {
    if (this.empty || text === '') return text;
    let clean = this.#anywhere === undefined ? text : text.replace(this.#anywhere, MASK);
    if (this.#standalone !== undefined) clean = clean.replace(this.#standalone, MASK);
    return this.#maskCutShort(clean);
  }

  /** The length of the longest start of a form (at least MIN_FORM long) that `text` ends with, or 0. */
  cutShortAtEnd(text: string, from = text.length): number {
    let longest = 0;
    for (const form of this.forms) {
      for (let length = Math.min(form.length - 1, from); length >= MIN_FORM && length > longest; length--) {
        if (text.startsWith(form.slice(0, length), from - length)) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }

  /** A value whose end was cut off (by a length limit) leaves its start at the end of the text, or before a marker. */
  #maskCutShort(text: string): string {
    let clean = text;
    const cutAt = (end: number) => {
      const length = this.cutShortAtEnd(clean, end);
      if (length > 0) clean = clean.slice(0, end - length) + MASK + clean.slice(end);
    };
    for (const marker of TRUNCATION_MARKERS) {
      for (let at = clean.lastIndexOf(marker); at > 0; at = clean.lastIndexOf(marker, at - 1)) cutAt(at);
    }
    cutAt(clean.length);
    return clean;
  }
}

/**
 * Masks every value (each leaf of objects among them) inside `text`, in all the forms `Redactor` knows; for text
 * that may quote a value, such as an error from a driver or a validator. Reuse a `Redactor` for many texts.
 *
 * @example
 * ```ts
 * redact('expected number, received "hunter22"', ['hunter22']); // 'expected number, received "*****"'
 * ```
 */
export const redact = (text: string, values: Iterable<unknown>): string => new Redactor(values).redact(text);
