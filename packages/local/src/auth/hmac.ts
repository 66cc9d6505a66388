import { createHmac, hash } from 'node:crypto';

const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;
/** Longer messages go through `createHmac`; a SigV4 string to sign is about 150 bytes. */
const MAX_FAST_MESSAGE_BYTES = 1024;

/**
 * HMAC-SHA256 (RFC 2104) under one fixed key, for ASCII messages: `H((K ^ opad) || H((K ^ ipad) || m))`,
 * with the padded keys computed once and each hash done by node:crypto's one-shot `hash()`.
 *
 * Why not `createHmac`: the server computes one HMAC per request under the same day's signing key, and
 * `createHmac` sets up a key object and a stream per call, which cost twice the two hashes themselves
 * (about 4 us against 2 us here). The construction is the RFC's; the test checks it against
 * `createHmac` for many keys and messages.
 *
 * Not reentrant across an await: the scratch buffers are filled and read in one synchronous call.
 */
export class HmacSha256 {
  // Private fields (#): the key and the padded keys never show in util.inspect or a debugger's preview.
  readonly #key: Uint8Array;
  /** `K ^ ipad`, then room for the message. */
  readonly #inner = Buffer.alloc(BLOCK_BYTES + MAX_FAST_MESSAGE_BYTES);
  /** `K ^ opad`, then the inner digest. */
  readonly #outer = Buffer.alloc(BLOCK_BYTES + DIGEST_BYTES);
  /** Views of `inner` by message length, so a request allocates no view (a few lengths recur). */
  readonly #views = new Map<number, Buffer>();

  constructor(key: Uint8Array) {
    this.#key = key;
    if (key.length > BLOCK_BYTES)
      throw new RangeError('HmacSha256 keys longer than 64 bytes are hashed first');
    for (let i = 0; i < BLOCK_BYTES; i++) {
      const byte = key[i] ?? 0;
      this.#inner[i] = byte ^ 0x36;
      this.#outer[i] = byte ^ 0x5c;
    }
  }

  /** The MAC of an ASCII (or latin1) message, as 64 lower-case hex characters. */
  hex(message: string): string {
    if (message.length > MAX_FAST_MESSAGE_BYTES) {
      return createHmac('sha256', this.#key).update(message, 'latin1').digest('hex');
    }
    const length = this.#inner.write(message, BLOCK_BYTES, 'latin1');
    let view = this.#views.get(length);
    if (view === undefined) {
      view = this.#inner.subarray(0, BLOCK_BYTES + length);
      if (this.#views.size < 64) this.#views.set(length, view);
    }
    // The inner digest as a 'binary' (latin1) string, one character per byte, written back as those bytes:
    // cheaper than asking hash() for a Buffer.
    this.#outer.write(hash('sha256', view, 'binary'), BLOCK_BYTES, 'latin1');
    return hash('sha256', this.#outer, 'hex');
  }
}
