import { createHash, createHmac, type Hash, type Hmac, hash, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  incompleteSignature,
  invalidSignature,
  missingAuthenticationToken,
  unrecognizedClient,
} from '../protocol/errors.js';
import type { Credential } from './credentials.js';

/** AWS refuses requests whose X-Amz-Date is more than five minutes from its clock. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})\s*$/;

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string' || data instanceof Uint8Array
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/**
 * The SHA-256 / HMAC-SHA256 the signer hashes with: node:crypto, as @smithy/hash-node uses, minus that
 * wrapper's copy of every input into a new Buffer (node:crypto reads the bytes at once; no copy needed).
 */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData, encoding?: 'utf8' | 'ascii' | 'latin1'): void {
    if (typeof data === 'string') this.hash.update(data, encoding ?? 'utf8');
    else this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}

const SIGNATURE_PREFIX = 'Signature=';
const SIGNATURE_HEX_LENGTH = 64;
/** Scratch space for comparing signatures; verify() fills and compares them without awaiting in between. */
const COMPUTED = Buffer.alloc(SIGNATURE_HEX_LENGTH);
const CLAIMED = Buffer.alloc(SIGNATURE_HEX_LENGTH);

/** The signer's request shape (`@smithy/types`' HttpRequest), without depending on that package. */
type SignableRequest = Parameters<SignatureV4['presign']>[0];

export interface SignedRequest {
  method: string;
  path: string;
  /** Lower-case header names, as Node gives them. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface VerifiedRequest {
  credential: Credential;
  /** The region of the signature's credential scope: the region the request is for. */
  region: string;
}

export interface VerifierOptions {
  /** Whether requests may be signed for this region; others are refused as AWS refuses a wrong region. */
  acceptsRegion: (region: string) => boolean;
  service: string;
  lookup: (accessKeyId: string) => Credential | undefined;
  now?: () => number;
}

/**
 * Verifies AWS Signature Version 4 by recomputing it with the SDK's own signer and comparing in
 * constant time. Only the headers the client listed in SignedHeaders take part, as on AWS.
 */
export class SigV4Verifier {
  /**
   * One signer per credential object: each call names its region and service. Weak, so a removed
   * credential's signer (and keys) can go with it.
   */
  private signers = new WeakMap<Credential, SignatureV4>();
  /** Parsed SignedHeaders lists: clients send the same few on every request. */
  private readonly signedLists = new Map<string, SignedList>();
  private readonly now: () => number;

  constructor(private readonly options: VerifierOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The caller and the region the request was signed for; throws AWS's error when it does not verify. */
  async verify(request: SignedRequest): Promise<VerifiedRequest> {
    const header = request.headers.authorization;
    if (header === undefined) throw missingAuthenticationToken('Request is missing Authentication Token');
    const match = AUTHORIZATION.exec(header);
    if (!match) {
      throw incompleteSignature(
        `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters in the AWS4-HMAC-SHA256 format. Authorization=${header.split(/\s/)[0] ?? ''}`,
      );
    }
    const [, accessKeyId = '', scopeDate = '', region = '', service = '', signedList = '', signature = ''] =
      match;

    const credential = this.options.lookup(accessKeyId);
    if (!credential) throw unrecognizedClient('The security token included in the request is invalid.');
    if (!this.options.acceptsRegion(region)) {
      throw invalidSignature('Credential should be scoped to a valid region. ');
    }
    if (service !== this.options.service) {
      throw invalidSignature(`Credential should be scoped to correct service: '${this.options.service}'. `);
    }

    const amzDate = request.headers['x-amz-date'];
    const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
    if (amzDate === undefined || signingDate === undefined) {
      throw incompleteSignature(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      );
    }
    if (!amzDate.startsWith(scopeDate)) {
      throw invalidSignature(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
      );
    }
    this.checkClock(amzDate, signingDate);

    const signed = this.parseSignedList(signedList);
    if (!signed.set.has('host')) {
      throw invalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.");
    }
    // Headers that decide what a request does must be signed, or they could be swapped without breaking
    // the signature (another operation under X-Amz-Target, another body type, a replayed date).
    for (const [name, shown] of MUST_BE_SIGNED) {
      if (request.headers[name] !== undefined && !signed.set.has(name)) {
        throw invalidSignature(`'${shown}' must be a 'SignedHeader' in the AWS Authorization.`);
      }
    }
    // An ordinary object (the signer copies it, and copies of one are cheap), filled only with own
    // string properties; signed header names come from the caller, and the one that could reach
    // Object.prototype, `__proto__`, is refused (Node never delivers such a header anyway).
    const headers: Record<string, string> = {};
    for (const name of signed.names) {
      const value = Object.hasOwn(request.headers, name) ? request.headers[name] : undefined;
      // A listed header that was not sent would drop out of the canonical request unnoticed.
      if (typeof value !== 'string' || name === '__proto__') throw this.mismatch();
      headers[name] = value;
    }
    // The signer trusts x-amz-content-sha256 when present; check it against the body we actually got.
    // Either way the body is hashed once: here when signed, else by the signer (nothing else takes part).
    const claimedHash = headers['x-amz-content-sha256'];
    if (claimedHash !== undefined && claimedHash !== hash('sha256', request.body, 'hex')) {
      throw this.mismatch();
    }

    const [path, query] = splitPath(request.path);
    // A plain object, not an HttpRequest: the signer clones whatever it gets before changing it.
    const toSign: SignableRequest = {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path,
      query,
      headers,
      body: request.body,
    };
    const expected = await this.signer(credential).sign(toSign, {
      signingDate,
      signableHeaders: signed.set,
      // Given, so the signer need not resolve its region provider per request.
      signingRegion: region,
      signingService: service,
    });
    // The signer's header ends with `Signature=<64 hex>`; both sides are 64 hex characters (the
    // client's by the AUTHORIZATION pattern), written into two reused buffers for the constant-time compare.
    const authorization = String(expected.headers.authorization);
    const at = authorization.lastIndexOf(SIGNATURE_PREFIX);
    const computed = at < 0 ? '' : authorization.slice(at + SIGNATURE_PREFIX.length);
    if (computed.length !== SIGNATURE_HEX_LENGTH) throw this.mismatch();
    COMPUTED.write(computed, 'latin1');
    CLAIMED.write(signature, 'latin1');
    if (!timingSafeEqual(COMPUTED, CLAIMED)) throw this.mismatch();
    return { credential, region };
  }

  private mismatch() {
    return invalidSignature(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }

  private checkClock(amzDate: string, signingDate: Date): void {
    const now = this.now();
    const skew = signingDate.getTime() - now;
    if (skew < -MAX_CLOCK_SKEW_MS) {
      throw invalidSignature(
        `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_CLOCK_SKEW_MS)} (${formatAmzDate(now)} - 5 min.)`,
      );
    }
    if (skew > MAX_CLOCK_SKEW_MS) {
      throw invalidSignature(
        `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + MAX_CLOCK_SKEW_MS)} (${formatAmzDate(now)} + 5 min.)`,
      );
    }
  }

  private signer(credential: Credential): SignatureV4 {
    let signer = this.signers.get(credential);
    if (!signer) {
      signer = new MemoizingSignatureV4({
        credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
        // Every sign() call passes its signingRegion; this one is never used.
        region: 'us-east-1',
        service: this.options.service,
        sha256: Sha256,
        applyChecksum: false,
      });
      this.signers.set(credential, signer);
    }
    return signer;
  }

  private parseSignedList(list: string): SignedList {
    let parsed = this.signedLists.get(list);
    if (parsed === undefined) {
      const names = list.split(';');
      parsed = { names, set: new Set(names) };
      // Bounded: the list comes from the caller.
      if (this.signedLists.size >= MAX_SIGNED_LISTS) this.signedLists.clear();
      this.signedLists.set(list, parsed);
    }
    return parsed;
  }

  /** Forgets cached signers (and so their signing keys), e.g. after a credential is removed. */
  reset(): void {
    this.signers = new WeakMap();
  }
}

type SigningKeyArgs = [credentials: Credentials, region: string, shortDate: string, service?: string];
interface SigningKeySource {
  getSigningKey(...args: SigningKeyArgs): Promise<Uint8Array>;
}
interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Derived signing keys kept per signer: one a day per region (and two around midnight). */
const MAX_SIGNING_KEYS = 64;

/**
 * The SDK's signer, computing every signature itself, except that the derived signing key (four
 * HMACs of the secret, fixed for a day) is remembered here: smithy's own key cache first HMACs the
 * credentials on every call just to build its cache key.
 */
class MemoizingSignatureV4 extends SignatureV4 {
  readonly signingKeys = new Map<string, Promise<Uint8Array>>();
}

// smithy declares getSigningKey private, so the override is installed through an untyped view.
const smithyGetSigningKey = (SignatureV4.prototype as unknown as SigningKeySource).getSigningKey;
(MemoizingSignatureV4.prototype as unknown as SigningKeySource).getSigningKey = function (
  this: MemoizingSignatureV4,
  ...args: SigningKeyArgs
): Promise<Uint8Array> {
  const [credentials, region, shortDate, service] = args;
  // The whole derivation input is the key: a changed secret can never reuse an old signing key.
  const cacheKey = `${shortDate}\n${region}\n${service ?? ''}\n${credentials.accessKeyId}\n${credentials.secretAccessKey}`;
  let key = this.signingKeys.get(cacheKey);
  if (key === undefined) {
    if (this.signingKeys.size >= MAX_SIGNING_KEYS) this.signingKeys.clear();
    key = smithyGetSigningKey.apply(this, args);
    this.signingKeys.set(cacheKey, key);
    key.catch(() => this.signingKeys.delete(cacheKey));
  }
  return key;
};

const MAX_SIGNED_LISTS = 64;

/** Headers that, when sent, must be among the SignedHeaders (lower-case name, name as AWS shows it). */
const MUST_BE_SIGNED: readonly (readonly [string, string])[] = [
  ['x-amz-target', 'X-Amz-Target'],
  ['x-amz-date', 'X-Amz-Date'],
  ['content-type', 'Content-Type'],
];

interface SignedList {
  readonly names: readonly string[];
  /** Handed to the signer as signableHeaders, which it only reads. */
  readonly set: Set<string>;
}

let lastAmzDate = '';
let lastSigningDate: Date | undefined;

/**
 * Remembers the last value: clients sign with the current second, so consecutive requests share it.
 * The Date is shared between those requests: read it, never change it.
 */
function parseAmzDate(value: string): Date | undefined {
  if (value !== lastAmzDate) {
    lastSigningDate = parseAmzDateUncached(value);
    lastAmzDate = value;
  }
  return lastSigningDate;
}

function parseAmzDateUncached(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const formatAmzDate = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

function splitPath(raw: string): [string, Record<string, string | string[]>] {
  const q = raw.indexOf('?');
  if (q < 0) return [raw, {}];
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw.slice(q + 1))) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return [raw.slice(0, q), query];
}
