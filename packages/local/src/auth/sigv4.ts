import { createHash, createHmac, type Hash, type Hmac, hash, timingSafeEqual } from 'node:crypto';
import {
  ALGORITHM_IDENTIFIER,
  createScope,
  getCanonicalHeaders,
  getSigningKey,
  type SignatureV4,
  SignatureV4Base,
} from '@smithy/signature-v4';
import {
  incompleteSignature,
  invalidSignature,
  missingAuthenticationToken,
  unrecognizedClient,
} from '../protocol/errors.js';
import type { Credential } from './credentials.js';
import { HmacSha256 } from './hmac.js';

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

const SIGNATURE_HEX_LENGTH = 64;
/** Scratch space for comparing signatures; filled and compared with nothing awaited in between. */
const COMPUTED = Buffer.alloc(SIGNATURE_HEX_LENGTH);
const CLAIMED = Buffer.alloc(SIGNATURE_HEX_LENGTH);

/** The signer's request shape (`@smithy/types`' HttpRequest), without depending on that package. */
type SignableRequest = Parameters<SignatureV4['presign']>[0];

/**
 * The SDK's own SigV4 canonicalization, reached through the base class @smithy/signature-v4 provides for
 * signers. `SignatureV4.sign()` builds the canonical request exactly so, wrapped in work a verifier does not
 * need on every request (a clone of the request, credential and region lookups, re-formatting the date,
 * promises around each hash).
 */
class SdkCanonicalizer extends SignatureV4Base {
  constructor(uriEscapePath: boolean) {
    // Credentials and region are never used: every value a signature depends on is passed per call.
    super({
      service: 'secretsmanager',
      region: 'us-east-1',
      credentials: { accessKeyId: '', secretAccessKey: '' },
      sha256: Sha256,
      applyChecksum: false,
      uriEscapePath,
    });
  }

  canonicalRequest(
    request: SignableRequest,
    canonicalHeaders: Record<string, string>,
    payloadHash: string,
  ): string {
    return this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
  }
}

const canonicalizer = new SdkCanonicalizer(true);
/**
 * For `/`, the path of every API request: its normalized, escaped form is `/` itself, which the signer
 * without path escaping returns as is, skipping the split, escape and rejoin a path would otherwise cost.
 */
const rootCanonicalizer = new SdkCanonicalizer(false);

/**
 * The signature SigV4 gives a request, as `SignatureV4.sign()` computes it: the SDK's canonical headers
 * (of the signed headers only) and canonical request; the string to sign (algorithm, date, scope, and
 * the canonical request's SHA-256); HMAC-SHA256 of it under the signing key the SDK derived. Synchronous:
 * node:crypto hashes at once, where the SDK's hash interface hands back a promise per digest.
 */
function signatureOf(
  request: SignableRequest,
  options: {
    longDate: string;
    scope: string;
    signedHeaders: Set<string>;
    payloadHash: string;
    key: HmacSha256;
  },
): string {
  const canonicalHeaders = getCanonicalHeaders(request, undefined, options.signedHeaders);
  const canonicalRequest = (request.path === '/' ? rootCanonicalizer : canonicalizer).canonicalRequest(
    request,
    canonicalHeaders,
    options.payloadHash,
  );
  const stringToSign = `${ALGORITHM_IDENTIFIER}\n${options.longDate}\n${options.scope}\n${hash('sha256', canonicalRequest, 'hex')}`;
  // ASCII throughout (the date, the scope's checked parts, hex), as the MAC requires.
  return options.key.hex(stringToSign);
}

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
  /** Derived signing keys by credential object, then by `<date>/<region>/<service>` (a promise while derived). */
  private keys = new WeakMap<Credential, Map<string, HmacSha256 | Promise<HmacSha256>>>();
  /** Parsed SignedHeaders lists: clients send the same few on every request. */
  private readonly signedLists = new Map<string, SignedList>();
  private readonly now: () => number;

  constructor(private readonly options: VerifierOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The caller and the region the request was signed for; throws AWS's error when it does not verify.
   * Synchronous once the credential's signing key for the day is derived (a promise only the first time).
   */
  verify(request: SignedRequest): VerifiedRequest | Promise<VerifiedRequest> {
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
    const toSign: SignableRequest = {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path,
      query,
      headers,
      body: request.body,
    };
    const scope = createScope(scopeDate, region, service);
    // The claimed body hash, when signed, was just checked against the body; this is the same value.
    const payloadHash = claimedHash ?? hash('sha256', request.body, 'hex');
    const check = (key: HmacSha256): VerifiedRequest => {
      const expected = signatureOf(toSign, {
        longDate: amzDate,
        scope,
        signedHeaders: signed.set,
        payloadHash,
        key,
      });
      // Both sides are 64 hex characters (the client's by the AUTHORIZATION pattern), written into two
      // reused buffers for the constant-time compare.
      COMPUTED.write(expected, 'latin1');
      CLAIMED.write(signature, 'latin1');
      if (!timingSafeEqual(COMPUTED, CLAIMED)) throw this.mismatch();
      return { credential, region };
    };
    const key = this.signingKey(credential, scopeDate, region, service);
    return key instanceof HmacSha256 ? check(key) : key.then(check);
  }

  /**
   * The derived signing key of a credential for a day, region and service, from the SDK's own key
   * derivation (four HMACs of the secret), kept: it is the same all day. Weakly held per credential, so
   * a removed credential's keys go with it. A promise only while it is first derived.
   */
  private signingKey(
    credential: Credential,
    shortDate: string,
    region: string,
    service: string,
  ): HmacSha256 | Promise<HmacSha256> {
    let keys = this.keys.get(credential);
    if (keys === undefined) {
      keys = new Map();
      this.keys.set(credential, keys);
    }
    const scope = `${shortDate}/${region}/${service}`;
    let key = keys.get(scope);
    if (key === undefined) {
      // Bounded: a client could sign for many regions and days.
      if (keys.size >= MAX_SIGNING_KEYS) keys.clear();
      const known = keys;
      const derived = getSigningKey(Sha256, credential, shortDate, region, service).then(
        (value) => {
          const mac = new HmacSha256(value);
          known.set(scope, mac);
          return mac;
        },
        (error: unknown) => {
          known.delete(scope);
          throw error;
        },
      );
      key = derived;
      known.set(scope, derived);
    }
    return key;
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

  /** Forgets every derived signing key, e.g. after a credential is removed. */
  reset(): void {
    this.keys = new WeakMap();
  }
}

/** Derived signing keys kept per credential: one a day per region (and two around midnight). */
const MAX_SIGNING_KEYS = 64;

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
  // A date that does not exist (20250231T...) would be signed as another day: not a date at all.
  return Number.isNaN(date.getTime()) || formatAmzDate(date.getTime()) !== value ? undefined : date;
}

const formatAmzDate = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** The query of a path without one; the signer only reads it. */
const NO_QUERY: Record<string, string | string[]> = Object.freeze({});

function splitPath(raw: string): [string, Record<string, string | string[]>] {
  const q = raw.indexOf('?');
  if (q < 0) return [raw, NO_QUERY];
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw.slice(q + 1))) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return [raw.slice(0, q), query];
}
