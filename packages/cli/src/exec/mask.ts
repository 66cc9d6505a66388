import { Transform, type TransformCallback } from 'node:stream';
import { MASK, MIN_FORM, type Redactor, TRUNCATION_MARKERS } from 'coffer/internal';

const MASK_BYTES = Buffer.from(MASK);
/** The Redactor's truncation markers, as bytes: the masker works on the stream's bytes. */
const MARKER_BYTES = TRUNCATION_MARKERS.map((marker) => Buffer.from(marker));

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
 *
 * Held bytes are let go after `idleMs` without output, so a prompt that happens to end with a value's first
 * characters (`Continue? [y/N] C`) is shown while the child waits for input. What is let go is masked as a
 * cut-off value when it is long enough to mask (MIN_FORM bytes), and if the child then prints the rest of that
 * value, the rest is masked too. The cost of showing prompts: a child that prints a value's first one to three
 * characters, pauses longer than `idleMs`, then prints the rest, shows those few characters.
 */
export class SecretMasker extends Transform {
  readonly #needles: Needle[];
  /** First bytes of the needles, so most positions are rejected with one lookup. */
  readonly #starts: Set<number>;
  #held: Buffer = Buffer.alloc(0);
  /** The last byte emitted, for the word-boundary check of short values. */
  #before: number | undefined;
  /** Values whose start was let go after an idle pause: how much of each has been seen. */
  #started: { bytes: Buffer; seen: number; masked: boolean }[] = [];
  readonly #idleMs: number;
  #idle: NodeJS.Timeout | undefined;

  /** @param idleMs how long held bytes wait for more output before they are let go. @default 50 */
  constructor(redactor: Redactor, { idleMs = 50 }: { idleMs?: number } = {}) {
    super();
    this.#idleMs = idleMs;
    // Longest first, so a value that contains another is masked whole.
    this.#needles = [
      ...redactor.forms.map((form) => ({ bytes: Buffer.from(form, 'utf8'), token: false })),
      ...redactor.tokens.map((token) => ({ bytes: Buffer.from(token, 'utf8'), token: true })),
    ].sort((a, b) => b.bytes.length - a.bytes.length);
    this.#starts = new Set(this.#needles.map((n) => n.bytes[0] as number));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    clearTimeout(this.#idle);
    const fresh = this.#continueStarted(chunk);
    const data = this.#held.length === 0 ? fresh : Buffer.concat([this.#held, fresh]);
    const { output, rest } = this.#mask(data, false);
    this.#held = rest;
    this.#emit(output);
    if (this.#held.length > 0) {
      this.#idle = setTimeout(() => this.#letGo(), this.#idleMs);
      this.#idle.unref();
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    clearTimeout(this.#idle);
    this.#letGo();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.#idle);
    done(error);
  }

  /** Emits what is held as the end of the output so far: the start of a value that never finished is masked. */
  #letGo(): void {
    if (this.#held.length === 0) return;
    const { output } = this.#mask(this.#held, true);
    this.#held = Buffer.alloc(0);
    const started = this.#needles.filter(
      (n) => !n.token && output.length < n.bytes.length && n.bytes.subarray(0, output.length).equals(output),
    );
    // Pieces this short are not masked in other text either (they occur in ordinary text by chance).
    const masked = started.length > 0 && output.length >= MIN_FORM;
    this.#started = started.map((n) => ({ bytes: n.bytes, seen: output.length, masked }));
    this.#emit(masked ? MASK_BYTES : output);
  }

  /** Masks the rest of a value whose start was let go, when the chunk goes on with it; returns what follows. */
  #continueStarted(chunk: Buffer): Buffer {
    if (this.#started.length === 0) return chunk;
    const started = this.#started;
    this.#started = [];
    for (const value of started) {
      const rest = value.bytes.subarray(value.seen);
      const length = Math.min(rest.length, chunk.length);
      if (!chunk.subarray(0, length).equals(rest.subarray(0, length))) continue;
      // One mask for the whole value, however many pieces it came in.
      if (!value.masked) this.#emit(MASK_BYTES);
      // The chunk ended inside the value: what comes next may go on with it.
      if (length < rest.length)
        this.#started = [{ bytes: value.bytes, seen: value.seen + length, masked: true }];
      return chunk.subarray(length);
    }
    return chunk;
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
    return this.#cutShortAt(data, i, final);
  }

  /** The start of a value cut short before a truncation marker (`hunter2...`), masked as the Redactor does. */
  #cutShortAt(data: Buffer, i: number, final: boolean): Needle | 'wait' | undefined {
    for (const needle of this.#needles) {
      if (needle.token) continue;
      const { bytes } = needle;
      let length = 0;
      while (length < bytes.length && i + length < data.length && data[i + length] === bytes[length])
        length++;
      if (length < MIN_FORM || length === bytes.length) continue;
      const after = data.subarray(i + length);
      if (MARKER_BYTES.some((marker) => after.subarray(0, marker.length).equals(marker))) {
        return { bytes: bytes.subarray(0, length), token: false };
      }
      // The data ends inside what may still become a marker: wait for more.
      if (
        !final &&
        MARKER_BYTES.some(
          (marker) => after.length < marker.length && marker.subarray(0, after.length).equals(after),
        )
      ) {
        return 'wait';
      }
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
