import type { LocalSecretsManager } from '@coffer/local';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface RawRequest {
  /** @default 'POST' */
  method?: string;
  /** @default '/' */
  path?: string;
  /** Sent as `X-Amz-Target: secretsmanager.<operation>`; omitted when undefined. */
  operation?: string;
  /** Extra headers (lower-case names), signed along with the rest. */
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

export interface Signed {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Signs an arbitrary request with the SDK's own SigV4 signer, so malformed bodies still pass
 * authentication and reach the operation layer.
 */
export async function signRequest(
  server: LocalSecretsManager,
  request: RawRequest = {},
  options: {
    credentials?: { accessKeyId: string; secretAccessKey: string };
    region?: string;
    signingDate?: Date;
    /** Headers sent but left out of SignedHeaders. */
    unsigned?: string[];
  } = {},
): Promise<Signed> {
  const url = new URL(server.endpoint);
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body ?? '', 'utf8');
  const method = request.method ?? 'POST';
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': 'application/x-amz-json-1.1',
    ...(request.operation !== undefined && { 'x-amz-target': `secretsmanager.${request.operation}` }),
    ...request.headers,
  };
  const signer = new SignatureV4({
    credentials: options.credentials ?? server.credentials,
    region: options.region ?? server.region,
    service: 'secretsmanager',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      ...pathAndQuery(request.path ?? '/'),
      headers,
      ...(method !== 'GET' && method !== 'HEAD' && { body }),
    }),
    {
      ...(options.signingDate !== undefined && { signingDate: options.signingDate }),
      ...(options.unsigned !== undefined && { unsignableHeaders: new Set(options.unsigned) }),
    },
  );
  return {
    url: `${server.endpoint}${request.path ?? '/'}`,
    method,
    headers: signed.headers as Record<string, string>,
    body,
  };
}

/** A request path as the SDK's HttpRequest takes it: the path, and the query as an object. */
function pathAndQuery(raw: string): { path: string; query: Record<string, string | string[]> } {
  const at = raw.indexOf('?');
  if (at < 0) return { path: raw, query: {} };
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(raw.slice(at + 1))) {
    const previous = query[key];
    query[key] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return { path: raw.slice(0, at), query };
}

/** Sends a request as it is, through node's fetch; `host` is set by fetch itself from the URL. */
export async function send(signed: Signed): Promise<RawResponse> {
  const { host: _host, ...headers } = signed.headers;
  const hasBody = signed.method !== 'GET' && signed.method !== 'HEAD';
  const response = await fetch(signed.url, {
    method: signed.method,
    headers,
    ...(hasBody && { body: signed.body }),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      json = parsed as Record<string, unknown>;
    }
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Signs with the server's admin credential and sends. */
export async function signedCall(server: LocalSecretsManager, request: RawRequest): Promise<RawResponse> {
  return send(await signRequest(server, request));
}

/** Sends without any signature. */
export async function unsignedCall(server: LocalSecretsManager, request: RawRequest): Promise<RawResponse> {
  return send({
    url: `${server.endpoint}${request.path ?? '/'}`,
    method: request.method ?? 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      ...(request.operation !== undefined && { 'x-amz-target': `secretsmanager.${request.operation}` }),
      ...request.headers,
    },
    body: Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body ?? '', 'utf8'),
  });
}
