import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'hold' | 'holdResponse' | 'throttle';

/**
 * An HTTP proxy in front of the local server that can fail on demand: `refuse` destroys each request's socket
 * (the SDK sees ECONNRESET), `hold` keeps requests until `release()`, `holdResponse` sends them on at once but
 * keeps the answers until `release()`, `throttle` answers every request as AWS answers when its rate is
 * exceeded (ThrottlingException), which the local server never does. `requests` counts attempts that reached it.
 */
export interface FaultProxy {
  readonly endpoint: string;
  mode: ProxyMode;
  requests: number;
  readonly held: number;
  release(): void;
  close(): Promise<void>;
}

export async function startProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const waiting: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    proxy.requests++;
    if (proxy.mode === 'refuse') {
      req.socket.destroy();
      return;
    }
    if (proxy.mode === 'throttle') {
      req.resume();
      const body = JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' });
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': 'ThrottlingException',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    const holdAnswer = proxy.mode === 'holdResponse';
    const forward = () => {
      const upstreamRequest = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upstreamResponse) => {
          const answer = () => {
            res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
            upstreamResponse.pipe(res);
          };
          if (holdAnswer) waiting.push(answer);
          else answer();
        },
      );
      upstreamRequest.on('error', () => res.destroy());
      req.pipe(upstreamRequest);
    };
    if (proxy.mode === 'hold') waiting.push(forward);
    else forward();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: FaultProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    mode: 'pass',
    requests: 0,
    get held() {
      return waiting.length;
    },
    release() {
      for (const forward of waiting.splice(0)) forward();
    },
    close: () =>
      new Promise<void>((resolve) => {
        waiting.length = 0;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return proxy;
}
