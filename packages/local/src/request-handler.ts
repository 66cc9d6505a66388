import { randomUUID } from 'node:crypto';
import type { AuditEntry, AuditLog } from './audit/audit-log.js';
import type { CredentialRegistry } from './auth/credentials.js';
import { SigV4Verifier, type VerifiedRequest } from './auth/sigv4.js';
import { OPERATIONS, type OperationContext } from './operations/index.js';
import { AwsError, internalServiceError, unknownOperation } from './protocol/errors.js';
import { Input } from './protocol/input.js';
import type { RegionSet } from './protocol/regions.js';
import type { WireRequest, WireResponse } from './protocol/wire.js';
import type { RotationService } from './rotation/service.js';
import type { Store } from './store/store.js';

export interface HandlerOptions {
  store: Store;
  credentials: CredentialRegistry;
  audit: AuditLog;
  /** The regions requests may be signed for. */
  regions: RegionSet;
  accountId: string;
  /** The clock of request signatures. @default Date.now */
  now?: () => number;
  /** The clock operations see (dates, schedules); it may differ from real time in tests. @default Date.now */
  clock?: () => number;
  /** Runs rotation functions for RotateSecret. */
  rotation?: RotationService;
  /** Where unexpected internal failures are reported (never with request bodies). */
  onInternalError?: (error: unknown) => void;
}

const SERVICE = 'secretsmanager';
const TARGET_PREFIX = 'secretsmanager.';
const JSON_11 = 'application/x-amz-json-1.1';

/**
 * The whole server as one function from request to response: authenticate (SigV4), dispatch the
 * `X-Amz-Target` operation, render AWS's error shape, audit. The HTTP layer only moves bytes.
 */
export class RequestHandler {
  private readonly verifier: SigV4Verifier;
  private readonly now: () => number;
  private readonly clock: () => number;
  private readonly acceptsRegion: (region: string) => boolean;

  constructor(private readonly options: HandlerOptions) {
    this.now = options.now ?? Date.now;
    this.clock = options.clock ?? this.now;
    this.acceptsRegion = (region) => options.regions.has(region);
    this.verifier = new SigV4Verifier({
      acceptsRegion: this.acceptsRegion,
      service: SERVICE,
      lookup: (id) => options.credentials.get(id),
      now: this.now,
    });
  }

  /**
   * Answers one request. Runs synchronously to the end (signature, operation, audit) once the caller's
   * signing key for the day is known, and then returns the answer itself rather than a promise of it:
   * a promise per request would cost every call a turn of the microtask queue. Only the key's first
   * derivation is awaited.
   */
  handle(request: WireRequest): WireResponse | Promise<WireResponse> {
    const started = performance.now();
    let verified: VerifiedRequest | Promise<VerifiedRequest>;
    try {
      verified = this.verifier.verify(request);
    } catch (error) {
      return this.answer(request, started, undefined, error);
    }
    if (verified instanceof Promise) {
      return verified.then(
        (caller) => this.answer(request, started, caller),
        (error: unknown) => this.answer(request, started, undefined, error),
      );
    }
    return this.answer(request, started, verified);
  }

  /** Runs the operation for a verified caller, or renders why there is none, and audits the call. */
  private answer(
    request: WireRequest,
    started: number,
    caller: VerifiedRequest | undefined,
    refused?: unknown,
  ): WireResponse {
    const requestId = randomUUID();
    const target = request.headers['x-amz-target'] ?? '';
    const operationName = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    let secretArn: string | undefined;
    let secretId: string | undefined;
    let response: WireResponse;
    let errorCode: string | undefined;
    try {
      if (caller === undefined) throw refused;
      const operation =
        request.method === 'POST' && target.startsWith(TARGET_PREFIX) ? OPERATIONS[operationName] : undefined;
      if (!operation || !Object.hasOwn(OPERATIONS, operationName)) {
        throw unknownOperation(
          `Unknown operation ${JSON.stringify(target)}: send POST / with X-Amz-Target: secretsmanager.<Operation>.`,
        );
      }
      const ctx: OperationContext = {
        store: this.options.store,
        region: caller.region,
        acceptsRegion: this.acceptsRegion,
        accountId: this.options.accountId,
        now: this.clock(),
        caller: caller.credential,
      };
      if (this.options.rotation !== undefined) ctx.rotation = this.options.rotation;
      try {
        const output = operation(Input.parse(request.body.toString('utf8')), ctx);
        response = { status: 200, headers: responseHeaders(requestId), body: JSON.stringify(output) };
      } finally {
        secretArn = ctx.secretArn;
        secretId = ctx.secretId;
      }
    } catch (error) {
      const awsError = error instanceof AwsError ? error : this.internal(error);
      errorCode = awsError.code;
      const wire = awsError.toWire();
      response = { status: wire.status, headers: responseHeaders(requestId), body: wire.body };
      Object.assign(response.headers, wire.headers);
    }
    // Built in one go, in the field order the JSON lines have always had; absent fields are left out.
    const entry: AuditEntry = { time: isoNow(), requestId } as AuditEntry;
    if (caller !== undefined) {
      entry.principal = caller.credential.principalArn;
      entry.accessKeyId = caller.credential.accessKeyId;
      entry.region = caller.region;
    }
    if (secretArn !== undefined) entry.secretArn = secretArn;
    else if (secretId !== undefined) entry.secretId = secretId;
    entry.operation = operationName || '(none)';
    entry.sourceIp = request.sourceIp;
    const userAgent = request.headers['user-agent'];
    if (userAgent !== undefined) entry.userAgent = userAgent;
    entry.outcome = errorCode === undefined ? 'success' : 'error';
    if (errorCode !== undefined) entry.errorCode = errorCode;
    entry.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    this.options.audit.record(entry);
    return response;
  }

  private internal(error: unknown): AwsError {
    this.options.onInternalError?.(error);
    return internalServiceError(
      'An internal error occurred in the local Secrets Manager. See its log for details.',
    );
  }
}

const responseHeaders = (requestId: string): Record<string, string> => ({
  'content-type': JSON_11,
  'x-amzn-requestid': requestId,
});

let lastMs = -1;
let lastIso = '';
/** The wall clock as ISO 8601; formatted once per millisecond, not once per request. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
