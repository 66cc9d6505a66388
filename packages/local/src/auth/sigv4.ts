import { hash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  incompleteSignature,
  invalidSignature,
  missingAuthenticationToken,
  unrecognizedClient,
} from '../protocol/errors.js';
import type { Credential } from './credentials.js';

/** AWS refuses requests whose X-Amz-Date is more than five minutes from its clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})\s*$/;

const Sha256 = Hash.bind(null, 'sha256');

/** The signer's request shape (`@smithy/types`' HttpRequest), without depending on that package. */
type SignableRequest = Parameters<SignatureV4['presign']>[0];

export interface SignedRequest {
  method: string;
  path: string;
  /** Lower-case header names, as Node gives them. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface VerifierOptions {
  region: string;
  service: string;
  lookup: (accessKeyId: string) => Credential | undefined;
  now?: () => number;
}

/**
 * Verifies AWS Signature Version 4 by recomputing it with the SDK's own signer and comparing in
 * constant time. Only the headers the client listed in SignedHeaders take part, as on AWS.
 */
export class SigV4Verifier {
  private readonly signers = new Map<string, SignatureV4>();
  /** Parsed SignedHeaders lists: clients send the same few on every request. */
  private readonly signedLists = new Map<string, SignedList>();
  private readonly now: () => number;

  constructor(private readonly options: VerifierOptions) {
    this.now = options.now ?? Date.now;
  }

  async verify(request: SignedRequest): Promise<Credential> {
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
    if (region !== this.options.region)
      throw invalidSignature('Credential should be scoped to a valid region. ');
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
    // Signed header names come from the caller: `constructor` or `__proto__` must not reach Object.prototype.
    const headers: Record<string, string> = Object.create(null);
    for (const name of signed.names) {
      const value = Object.hasOwn(request.headers, name) ? request.headers[name] : undefined;
      // A listed header that was not sent would drop out of the canonical request unnoticed.
      if (typeof value !== 'string') throw this.mismatch();
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
    const expected = await this.signer(credential, region, service).sign(toSign, {
      signingDate,
      signableHeaders: signed.set,
      // Given, so the signer need not resolve its region provider per request.
      signingRegion: region,
      signingService: service,
    });
    const computed = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1] ?? '';
    const a = Buffer.from(computed, 'utf8');
    const b = Buffer.from(signature, 'utf8');
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw this.mismatch();
    return credential;
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

  private signer(credential: Credential, region: string, service: string): SignatureV4 {
    const key = `${credential.accessKeyId}\n${region}\n${service}`;
    let signer = this.signers.get(key);
    if (!signer) {
      signer = new SignatureV4({
        credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
        region,
        service,
        sha256: Sha256,
        applyChecksum: false,
      });
      this.signers.set(key, signer);
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

  /** Forgets cached signers, e.g. after a credential is removed. */
  reset(): void {
    this.signers.clear();
  }
}

const MAX_SIGNED_LISTS = 64;

interface SignedList {
  readonly names: readonly string[];
  /** Handed to the signer as signableHeaders, which it only reads. */
  readonly set: Set<string>;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export const formatAmzDate = (ms: number): string =>
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
