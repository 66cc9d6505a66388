import { Transform, type TransformCallback } from 'node:stream';

const MASK = Buffer.from('*****');

/**
 * Replaces secret values in a byte stream with a mask, including values split across chunks: bytes that could
 * be the start of a secret are held back until the next chunk shows whether they are. Everything else, ANSI
 * colour codes included, passes through untouched and at once.
 */
export class SecretMasker extends Transform {
  private readonly needles: Buffer[];
  /** First bytes of the secrets, so most positions are rejected with one lookup. */
  private readonly starts: Set<number>;
  private held: Buffer = Buffer.alloc(0);

  constructor(values: Iterable<string>) {
    super();
    // Longest first, so a secret that contains another is masked whole. Very short values would mask
    // ordinary text everywhere, so they are left alone.
    this.needles = [...new Set(values)]
      .filter((v) => v.length >= 4)
      .map((v) => Buffer.from(v, 'utf8'))
      .sort((a, b) => b.length - a.length);
    this.starts = new Set(this.needles.map((n) => n[0] as number));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const data = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const { output, rest } = this.mask(data);
    this.held = rest;
    if (output.length > 0) this.push(output);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.held.length > 0) this.push(this.held);
    this.held = Buffer.alloc(0);
    done();
  }

  /** Masks complete matches; returns the bytes safe to emit and the tail that may begin a secret. */
  private mask(data: Buffer): { output: Buffer; rest: Buffer } {
    if (this.needles.length === 0) return { output: data, rest: Buffer.alloc(0) };
    const parts: Buffer[] = [];
    let emitted = 0;
    let i = 0;
    while (i < data.length) {
      const match = this.starts.has(data[i] as number)
        ? this.needles.find((n) => data[i] === n[0] && data.subarray(i, i + n.length).equals(n))
        : undefined;
      if (match !== undefined) {
        parts.push(data.subarray(emitted, i), MASK);
        i += match.length;
        emitted = i;
      } else {
        i++;
      }
    }
    // The longest tail that is a proper prefix of some secret must wait for more bytes.
    let keep = 0;
    for (const needle of this.needles) {
      for (let len = Math.min(needle.length - 1, data.length - emitted); len > keep; len--) {
        if (data.subarray(data.length - len).equals(needle.subarray(0, len))) {
          keep = len;
          break;
        }
      }
    }
    parts.push(data.subarray(emitted, data.length - keep));
    return { output: Buffer.concat(parts), rest: Buffer.from(data.subarray(data.length - keep)) };
  }
}
