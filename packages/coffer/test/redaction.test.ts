import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MASK, Redactor, redact } from '../src/internal.js';

/** A password with the characters that encodings change: space, slash, at, quote, percent, plus, non-ASCII. */
const password = () => `p/w@ "q"%+é ${randomBytes(6).toString('hex')}`;

/** Fails when any 6-character piece of the value (or of the forms listed) is still in the text. */
function expectNone(text: string, ...pieces: string[]): void {
  for (const piece of pieces) {
    for (let i = 0; i + 6 <= piece.length; i++) {
      expect(
        text.includes(piece.slice(i, i + 6)),
        `"${piece.slice(i, i + 6)}" of a secret is in: ${text}`,
      ).toBe(false);
    }
  }
}

describe('Redactor', () => {
  it('masks the raw, trimmed and JSON-escaped forms', () => {
    const value = password();
    const redactor = new Redactor([`  ${value}\n`]);
    expect(redactor.redact(`raw ${value} end`)).toBe(`raw ${MASK} end`);
    expect(redactor.redact(`json {"password":${JSON.stringify(value)}}`)).toBe(`json {"password":"${MASK}"}`);
    expect(redactor.redact(`printed without its newline: ${value.trim()}`)).not.toContain(value.trim());
  });

  it('masks URL-encoded forms: %20 and + for spaces, either hex case', () => {
    const value = password();
    const redactor = new Redactor([value]);
    const percent = encodeURIComponent(value);
    const form = new URLSearchParams({ v: value }).toString().slice(2);
    const lower = percent.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
    for (const encoded of [percent, form, lower]) {
      const text = redactor.redact(`connect postgres://app:${encoded}@db.internal:5432/app failed`);
      expect(text).toBe(`connect postgres://app:${MASK}@db.internal:5432/app failed`);
    }
  });

  it("masks the forms a URL gives a value: new URL()'s userinfo and query, and encodeURI", () => {
    for (const value of [password(), 'p+w&d=1;x-Canary', 'a b+c/d@e-Canary', 'Canary-Pw/9x+Q"zz']) {
      const redactor = new Redactor([value]);
      const url = new URL('postgres://app@db.internal:5432/app');
      url.password = value;
      expect(redactor.redact(`connect ${url.href} failed`)).toBe(
        `connect postgres://app:${MASK}@db.internal:5432/app failed`,
      );
      const query = new URL('https://vault.internal/login');
      query.search = `?${value}`;
      expectNone(redactor.redact(query.href), value, query.search.slice(1));
      expectNone(redactor.redact(`see ${encodeURI(value)}`), value, encodeURI(value));
    }
  });

  it("masks other writers' JSON escapes: \\uXXXX for non-ASCII (Python) and \\/ (PHP)", () => {
    const value = password();
    const redactor = new Redactor([value]);
    const json = JSON.stringify(value);
    const python = json.replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    const upper = python.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`);
    const php = json.replaceAll('/', '\\/');
    for (const escaped of [python, upper, php]) {
      expect(escaped).not.toBe(json);
      expect(redactor.redact(`{"password":${escaped}}`)).toBe(`{"password":"${MASK}"}`);
    }
  });

  it("masks other writers' JSON escapes, as they really write them: Python's json.dumps and PHP's json_encode", () => {
    // Each form below is what that writer prints for the value (Python's copied from its output), not rebuilt here.
    const value = 'p/w@ "q"%+\u00e9 0123456789ab\u{1F600}-Canary';
    const redactor = new Redactor([value]);
    const written = {
      'Python json.dumps': String.raw`"p/w@ \"q\"%+\u00e9 0123456789ab\ud83d\ude00-Canary"`,
      'PHP json_encode': String.raw`"p\/w@ \"q\"%+\u00e9 0123456789ab\ud83d\ude00-Canary"`,
      'PHP JSON_UNESCAPED_UNICODE': String.raw`"p\/w@ \"q\"%+`.concat('\u00e9 0123456789ab\u{1F600}-Canary"'),
      'uppercase hex escapes': String.raw`"p/w@ \"q\"%+\u00E9 0123456789ab\uD83D\uDE00-Canary"`,
    };
    for (const [writer, escaped] of Object.entries(written)) {
      expect(redactor.redact(`{"password":${escaped}}`), writer).toBe(`{"password":"${MASK}"}`);
    }
    // Python escapes DEL too (json.dumps('x\x7f\u00e9/C') prints "x\u007f\u00e9/C").
    const withDel = 'x\u007f\u00e9/Canary-long';
    const python = String.raw`"x\u007f\u00e9/Canary-long"`;
    expect(new Redactor([withDel]).redact(`{"password":${python}}`)).toBe(`{"password":"${MASK}"}`);
  });

  it('masks base64 (standard and URL-safe) at every alignment inside a longer encoded text', () => {
    const value = password();
    const redactor = new Redactor([value]);
    for (const user of ['', 'a', 'ab', 'app', 'user1']) {
      const basic = Buffer.from(`${user}:${value}`).toString('base64');
      const standard = redactor.redact(`Authorization: Basic ${basic}`);
      const urlSafe = redactor.redact(`token=${basic.replaceAll('+', '-').replaceAll('/', '_')}`);
      for (const text of [standard, urlSafe]) {
        expect(text).toContain(MASK);
        // What is left of the encoded text decodes to nothing that contains the value.
        const rest = text.split(MASK).join('');
        expect(Buffer.from(rest.replace(/^.*(Basic |token=)/, ''), 'base64').toString()).not.toContain(value);
      }
      expect(standard.length).toBeLessThan(`Authorization: Basic ${basic}`.length);
    }
  });

  it('masks hex in either case', () => {
    const value = password();
    const redactor = new Redactor([value]);
    const hex = Buffer.from(value).toString('hex');
    expect(redactor.redact(`bytes ${hex}`)).toBe(`bytes ${MASK}`);
    expect(redactor.redact(`BYTES ${hex.toUpperCase()}`)).toBe(`BYTES ${MASK}`);
  });

  it('masks a value cut short by a length limit, at the end of the text or before an ellipsis', () => {
    const value = `${password()}-and-more-to-cut`;
    const redactor = new Redactor([value]);
    const message = `could not log in with password ${value}`;
    const cut = message.slice(0, message.length - 12);
    const masked = redactor.redact(cut);
    expect(masked.endsWith(MASK)).toBe(true);
    expectNone(masked, value);
    const withEllipsis = redactor.redact(`${cut}… (500 characters shown)`);
    expect(withEllipsis).toBe(`could not log in with password ${MASK}… (500 characters shown)`);
  });

  it('masks short values only where they stand as a whole token', () => {
    const redactor = new Redactor(['x9', 'ab!']);
    expect(redactor.redact('pin x9 accepted; x99 and ax9 are other words; ab! too')).toBe(
      `pin ${MASK} accepted; x99 and ax9 are other words; ${MASK} too`,
    );
  });

  it('masks every leaf of objects and what Secrets hold, and leaves other text alone', async () => {
    const { Secret } = await import('../src/index.js');
    const value = password();
    const other = password();
    const text = `a=${value} b=${other} c=unrelated`;
    expect(redact(text, [{ nested: { deep: [value] } }, new Secret(other)])).toBe(
      `a=${MASK} b=${MASK} c=unrelated`,
    );
    expect(new Redactor([]).redact(text)).toBe(text);
  });
});
