/**
 * The Node `http` adapter: binds a socket, reads each request's body (bounded), hands it to the
 * handler and writes the answer. It only moves bytes; what an answer says is the handler's business.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { requestTooLarge } from './protocol/errors.js';
import type { WireHandler, WireResponse } from './protocol/wire.js';

/** Larger than any valid request (a 64 KiB value is ~88 KiB in base64); bigger bodies are refused unread. */
const MAX_BODY_BYTES = 512 * 1024;

export interface HttpListener {
  /** e.g. `http://127.0.0.1:4584`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops listening and drops open connections; resolves once the server is closed. */
  close(): Promise<void>;
}

/** Answers the requests it claims (the web console's pages) in place of the API handler. */
export interface HttpRoute {
  claims(url: string | undefined): boolean;
  serve(req: IncomingMessage, res: ServerResponse): void;
}

/** How many clients, and how slow, the server accepts: each bound protects the clients being served. */
export interface ConnectionLimits {
  /** Connections open at once; more are closed as they arrive. @default 1024 */
  maxConnections?: number;
  /** Time to receive a request's headers. @default 10_000 */
  headersTimeoutMs?: number;
  /** Time to receive a whole request. @default 30_000 */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open. @default 15_000 */
  keepAliveTimeoutMs?: number;
}

export const CONNECTION_DEFAULTS = Object.freeze({
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 15_000,
});

/** Serves `handler` over HTTP/1.1 with keep-alive; resolves once the socket is bound. */
export async function listenHttp(
  handler: WireHandler,
  port: number,
  host: string,
  limits: ConnectionLimits = {},
  beforeAnswer: () => void = () => {},
  route?: HttpRoute,
): Promise<HttpListener> {
  const outbox = new Outbox(beforeAnswer);
  const { maxConnections, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = {
    ...CONNECTION_DEFAULTS,
    ...limits,
  };
  const server = createServer(
    {
      keepAlive: true,
      requestTimeout: requestTimeoutMs,
      headersTimeout: headersTimeoutMs,
      // Node checks the two timeouts on this interval: small enough that a slow client is cut off on time.
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersTimeoutMs / 4))),
    },
    (req, res) => {
      if (route?.claims(req.url)) route.serve(req, res);
      else serveHttp(handler, outbox, req, res);
    },
  );
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.maxConnections = maxConnections;
  server.on('clientError', answerClientError);
  await listen(server, port, host);
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    endpoint: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A request Node could not parse (bad framing, headers too large) or that came too slowly: answered in AWS's
 * error shape, as the rest of the API is, where the connection can still take an answer, then closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, type, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'RequestTimeoutException', 'The request was not received in time.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [
            431,
            'Request Header Fields Too Large',
            'SerializationException',
            'The request headers are too large.',
          ]
        : [400, 'Bad Request', 'SerializationException', 'The request is not valid HTTP/1.1.'];
  const body = JSON.stringify({ __type: type, Message: message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Port ${port} on ${host} is already in use: stop the other server or choose another port (0 picks a free one).`,
              { cause: error },
            )
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function send(res: ServerResponse, response: WireResponse, close = false): void {
  // writeHead takes a flat [name, value, ...] list as is: no copy of the response's headers object.
  const head: (string | number)[] = ['content-length', Buffer.byteLength(response.body)];
  for (const name in response.headers) head.push(name, response.headers[name] as string);
  if (close) head.push('connection', 'close');
  res.writeHead(response.status, head);
  res.end(response.body);
}

/**
 * Answers finished during one event-loop turn, written together once the turn's I/O callbacks are
 * done. Writing each at once costs the client a wake-up per answer (a loopback write wakes the
 * reader, which goes back to sleep before the next answer); written back to back, one wake-up
 * serves the whole batch. That was a third of the server's CPU per request at 50 connections.
 * `beforeAnswer` runs first: the server writes the turn's audit lines there, so no call is
 * acknowledged before its line is in the file.
 */
class Outbox {
  private responses: ServerResponse[] = [];
  private bodies: WireResponse[] = [];

  constructor(private readonly beforeAnswer: () => void) {}

  private readonly flush = (): void => {
    const responses = this.responses;
    const bodies = this.bodies;
    this.responses = [];
    this.bodies = [];
    try {
      this.beforeAnswer();
    } catch {
      // Without its audit line no call is acknowledged: the connections are dropped, the clients retry.
      for (const res of responses) res.destroy();
      return;
    }
    for (let i = 0; i < responses.length; i++) {
      const res = responses[i] as ServerResponse;
      try {
        send(res, bodies[i] as WireResponse);
      } catch {
        // One answer that cannot be written must not hold back the others.
        res.destroy();
      }
    }
  };

  sendSoon(res: ServerResponse, response: WireResponse): void {
    if (this.responses.length === 0) setImmediate(this.flush);
    this.responses.push(res);
    this.bodies.push(response);
  }
}

/** What a handler that failed unexpectedly answers: it has already reported why. */
const INTERNAL_ERROR: WireResponse = Object.freeze({
  status: 500,
  headers: Object.freeze({ 'content-type': 'application/x-amz-json-1.1' }) as Record<string, string>,
  body: '{"__type":"InternalServiceError","Message":"Internal error"}',
});

/** Reads the body (bounded), hands it to the handler, writes the answer. Never throws. */
function serveHttp(handler: WireHandler, outbox: Outbox, req: IncomingMessage, res: ServerResponse): void {
  const tooLarge = () => {
    const wire = requestTooLarge(`Request body exceeds ${MAX_BODY_BYTES} bytes.`).toWire();
    const headers = { 'content-type': 'application/x-amz-json-1.1', ...wire.headers };
    send(res, { status: wire.status, headers, body: wire.body }, true);
    req.destroy();
  };
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    tooLarge();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let aborted = false;
  req.on('data', (chunk: Buffer) => {
    if (aborted) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      aborted = true;
      tooLarge();
      return;
    }
    chunks.push(chunk);
  });
  req.on('error', () => {
    aborted = true;
  });
  req.on('end', () => {
    if (aborted) return;
    const internalError = () => outbox.sendSoon(res, INTERNAL_ERROR);
    let answer: WireResponse | Promise<WireResponse>;
    try {
      answer = handler.handle({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        // Node's own headers object, not a copy: only its own properties are headers (a name like
        // `constructor` that was not sent is read with hasOwn by the verifier, and by fixed names elsewhere),
        // and only set-cookie, which no client signs, is ever an array.
        headers: req.headers as Record<string, string | undefined>,
        body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
        sourceIp: req.socket.remoteAddress ?? 'unknown',
      });
    } catch {
      internalError();
      return;
    }
    if (answer instanceof Promise) answer.then((response) => outbox.sendSoon(res, response), internalError);
    else outbox.sendSoon(res, answer);
  });
}
