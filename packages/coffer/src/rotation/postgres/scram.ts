import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default (scram_iterations), and RFC 7677's minimum. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;

export interface ScramOptions {
  /** PBKDF2 iterations. @default 4096 */
  iterations?: number;
  /** The salt. @default 16 random bytes, as PostgreSQL uses */
  salt?: Uint8Array;
}

/** Printable ASCII: the passwords SASLprep leaves unchanged. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * A SCRAM-SHA-256 verifier for `password`, in the form PostgreSQL stores in pg_authid.rolpassword:
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802 and RFC 7677, PBKDF2-HMAC-SHA-256).
 *
 * Given to `CREATE ROLE ... PASSWORD` or `ALTER ROLE ... PASSWORD`, PostgreSQL stores it as it is, so the
 * plaintext password never travels in a SQL statement and never reaches the server's statement log.
 *
 * SASLprep (RFC 4013) is not applied: it leaves printable ASCII unchanged, and PostgreSQL's own clients skip
 * it too, so only printable ASCII passwords are accepted (GetRandomPassword only generates those).
 */
export function scramSha256Verifier(password: string, options: ScramOptions = {}): string {
  if (typeof password !== 'string' || password === '') {
    throw new TypeError('scramSha256Verifier needs a non-empty password.');
  }
  if (!PRINTABLE_ASCII.test(password)) {
    // Never echo the password: say only what is wrong with it.
    throw new RangeError(
      'scramSha256Verifier accepts printable ASCII passwords only (SASLprep is not implemented).',
    );
  }
  const iterations = options.iterations ?? DEFAULT_SCRAM_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError(`SCRAM iterations must be a positive integer, got ${String(iterations)}.`);
  }
  const salt = Buffer.from(options.salt ?? randomBytes(SALT_BYTES));
  if (salt.length === 0) throw new RangeError('The SCRAM salt must not be empty.');
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  salted.fill(0);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
