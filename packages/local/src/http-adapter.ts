/**
 * The Node `http` adapter: binds a socket, reads each request's body (bounded), hands it to the
 * handler and writes the answer. It only moves bytes; what an answer says is the handler's business.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Serves `handler` over HTTP/1.1 with keep-alive; resolves once the socket is bound. */
export async function listenHttp(handler: WireHandler, port: number, host: string): Promise<HttpListener> {
  const server = createServer({ keepAlive: true }, (req, res) => {
    serveHttp(handler, req, res);
  });
  server.keepAliveTimeout = 65_000;
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
 */
let outboxResponses: ServerResponse[] = [];
let outboxBodies: WireResponse[] = [];

function flushOutbox(): void {
  const responses = outboxResponses;
  const bodies = outboxBodies;
  outboxResponses = [];
  outboxBodies = [];
  for (let i = 0; i < responses.length; i++) {
    const res = responses[i] as ServerResponse;
    try {
      send(res, bodies[i] as WireResponse);
    } catch {
      // One answer that cannot be written must not hold back the others.
      res.destroy();
    }
  }
}

function sendSoon(res: ServerResponse, response: WireResponse): void {
  if (outboxResponses.length === 0) setImmediate(flushOutbox);
  outboxResponses.push(res);
  outboxBodies.push(response);
}

/** Reads the body (bounded), hands it to the handler, writes the answer. Never throws. */
function serveHttp(handler: WireHandler, req: IncomingMessage, res: ServerResponse): void {
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
    handler
      .handle({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        // Node's own headers object, not a copy: only its own properties are headers (a name like
        // `constructor` that was not sent is read with hasOwn by the verifier, and by fixed names elsewhere),
        // and only set-cookie, which no client signs, is ever an array.
        headers: req.headers as Record<string, string | undefined>,
        body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
        sourceIp: req.socket.remoteAddress ?? 'unknown',
      })
      .then(
        (response) => sendSoon(res, response),
        () =>
          sendSoon(res, {
            status: 500,
            headers: { 'content-type': 'application/x-amz-json-1.1' },
            body: '{"__type":"InternalServiceError","Message":"Internal error"}',
          }),
      );
  });
}
