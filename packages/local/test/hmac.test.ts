import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HmacSha256 } from '../src/auth/hmac.js';

/** Printable ASCII, as a SigV4 string to sign is, with its newlines. */
const asciiMessage = (length: number): string =>
  Array.from({ length }, () => String.fromCharCode(randomInt(0, 10) === 0 ? 10 : randomInt(32, 127))).join(
    '',
  );

describe('HmacSha256 (the verifier computes one MAC per request with it)', () => {
  it('equals node:crypto createHmac for random keys and messages of every length up to and past its buffer', () => {
    for (let round = 0; round < 400; round++) {
      const key = randomBytes(randomInt(0, 65));
      const mac = new HmacSha256(key);
      // The same instance for several messages: its scratch buffers must not carry one message into the next.
      for (const length of [randomInt(0, 200), randomInt(0, 1100), 0, 1, 1024, 1025, randomInt(1, 5000)]) {
        const message = asciiMessage(length);
        expect(mac.hex(message)).toBe(createHmac('sha256', key).update(message, 'latin1').digest('hex'));
      }
    }
  });

  it('gives a longer message after a shorter one, and back, the MAC of each alone', () => {
    const key = randomBytes(32);
    const mac = new HmacSha256(key);
    const expected = (m: string) => createHmac('sha256', key).update(m, 'latin1').digest('hex');
    for (const message of ['a'.repeat(150), 'b'.repeat(10), 'c'.repeat(151), 'd'.repeat(150)]) {
      expect(mac.hex(message)).toBe(expected(message));
    }
  });

  it('keeps its key and padded keys out of util.inspect and JSON', () => {
    const mac = new HmacSha256(randomBytes(32));
    mac.hex('a message');
    const shown = inspect(mac, { showHidden: true, depth: 5 }) + JSON.stringify(mac);
    expect(shown).not.toMatch(/Buffer|Uint8Array|\b[0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2}\b/); // no bytes at all
  });

  it('refuses a key longer than a block (SigV4 keys are 32 bytes)', () => {
    expect(() => new HmacSha256(randomBytes(65))).toThrow(RangeError);
  });
});
