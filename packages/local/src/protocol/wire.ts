/** One request and its answer as the wire carries them, apart from any transport (HTTP, or in-process). */

export interface WireRequest {
  method: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  sourceIp: string;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What a transport hands each request to: the request handler, or anything answering as it does. */
export interface WireHandler {
  /** The answer, or a promise of it when the handler had to wait (e.g. to derive a signing key). */
  handle(request: WireRequest): WireResponse | Promise<WireResponse>;
}
