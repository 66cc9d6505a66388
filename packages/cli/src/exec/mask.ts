import { Transform, type TransformCallback } from 'node:stream';
import { MASK, type Redactor } from 'coffer/internal';

const MASK_BYTES = Buffer.from(MASK);

/** A byte is part of a word: a short value is masked only where it is not. */
const isWordByte = (byte: number | undefined): boolean =>
  byte !== undefined &&
  ((byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x5f ||
    byte >= 0x80);

interface Needle {
  readonly bytes: Buffer;
  /** Masked only between non-word bytes (values too short to mask anywhere). */
  readonly token: boolean;
}

/**
 * Replaces secret values in a byte stream with a mask, in every form the redactor knows (raw, trimmed,
 * JSON-escaped, URL-encoded, base64, hex), including values split across chunks: bytes that could be the start
 * of a value are held back until the next chunk shows whether they are. Everything else, ANSI colour codes
 * included, passes through untouched and at once. A stream that ends with the start of a value (cut off, or
 * printed without the rest) has that start masked too.
 */
export class SecretMasker extends Transform {
  readonly #needles: Needle[];
  /** First bytes of the needles, so most positions are rejected with one lookup. */
  readonly #starts: Set<number>;
  #held: Buffer = Buffer.alloc(0);
  /** The last byte emitted, for the word-boundary check of short values. */
  #before: number | undefined;

  constructor(redactor: Redactor) {
    super();
    // Longest first, so a value that contains another is masked whole.
    this.#needles = [
      ...redactor.forms.map((form) => ({ bytes: Buffer.from(form, 'utf8'), token: false })),
      ...redactor.tokens.map((token) => ({ bytes: Buffer.from(token, 'utf8'), token: true })),
    ].sort((a, b) => b.bytes.length - a.bytes.length);
    this.#starts = new Set(this.#needles.map((n) => n.bytes[0] as number));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    const { output, rest } = this.#mask(data, false);
    this.#held = rest;
    this.#emit(output);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.#held.length > 0) {
      const { output } = this.#mask(this.#held, true);
      // Whatever is still held is the start of a value that never finished: masked, as a cut-off value is.
      const cut = this.#needles.some((n) => !n.token && n.bytes.subarray(0, output.length).equals(output));
      this.#emit(cut && output.length >= 4 ? MASK_BYTES : output);
    }
    this.#held = Buffer.alloc(0);
    done();
  }

  #emit(output: Buffer): void {
    if (output.length === 0) return;
    this.#before = output[output.length - 1];
    this.push(output);
  }

  /** The needle that matches at `i`, if any; `undefined` also when the data ends before we can tell. */
  #matchAt(data: Buffer, i: number, final: boolean): Needle | 'wait' | undefined {
    for (const needle of this.#needles) {
      const { bytes } = needle;
      if (data[i] !== bytes[0]) continue;
      const available = data.length - i;
      if (available < bytes.length) {
        if (!final && data.subarray(i).equals(bytes.subarray(0, available))) return 'wait';
        continue;
      }
      if (!data.subarray(i, i + bytes.length).equals(bytes)) continue;
      if (needle.token) {
        const previous = i === 0 ? this.#before : data[i - 1];
        if (isWordByte(previous)) continue;
        if (i + bytes.length === data.length && !final) return 'wait';
        if (isWordByte(data[i + bytes.length])) continue;
      }
      return needle;
    }
    return undefined;
  }

  /** Masks complete matches; returns the bytes safe to emit and the tail that may begin a value. */
  #mask(data: Buffer, final: boolean): { output: Buffer; rest: Buffer } {
    if (this.#needles.length === 0) return { output: data, rest: Buffer.alloc(0) };
    const parts: Buffer[] = [];
    let emitted = 0;
    let i = 0;
    while (i < data.length) {
      const match = this.#starts.has(data[i] as number) ? this.#matchAt(data, i, final) : undefined;
      if (match === 'wait') break;
      if (match !== undefined) {
        parts.push(data.subarray(emitted, i), MASK_BYTES);
        i += match.bytes.length;
        emitted = i;
      } else {
        i++;
      }
    }
    parts.push(data.subarray(emitted, i));
    return { output: Buffer.concat(parts), rest: Buffer.from(data.subarray(i)) };
  }
}
