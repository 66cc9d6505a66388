import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  type CreateSecretCommandInput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { expect } from 'vitest';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/src/index.js';
import type { CofferLogger } from '../src/index.js';

export const startServer = (): Promise<LocalSecretsManager> =>
  startLocalSecretsManager({ port: 0, inMemory: true });

/** An SDK client for the server (or a proxy in front of it), with no SDK retries so the server's counts are exact. */
export function clientFor(
  server: LocalSecretsManager,
  options: { endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: options.endpoint ?? server.endpoint,
    region: server.region,
    credentials: options.credentials ?? server.credentials,
    maxAttempts: 1,
  });
}

/** Every secret value the tests create, so that nothing can leak them unnoticed. */
export const canaries: string[] = [];

export function canary(): string {
  const value = `canary-${randomUUID()}`;
  canaries.push(value);
  return value;
}

/** Fails if any canary shows in `util.inspect`, `JSON.stringify` or `String` of the thing. */
export function expectNoCanary(thing: unknown, label = 'value'): void {
  const renderings = [inspect(thing, { depth: 20, showHidden: true, getters: false })];
  try {
    renderings.push(JSON.stringify(thing) ?? '');
  } catch {
    // circular (an SDK error's $response): inspect above covers it
  }
  if (thing instanceof Error) {
    renderings.push(String(thing), thing.message, thing.stack ?? '');
    let cause: unknown = thing.cause;
    while (cause instanceof Error) {
      renderings.push(cause.message, cause.stack ?? '', inspect(cause, { depth: 20 }));
      cause = cause.cause;
    }
  }
  for (const text of renderings) {
    for (const value of canaries) expect(text.includes(value), `${label} leaked a secret value`).toBe(false);
  }
}

/** A logger that keeps every call, for checking warnings and for leak checks. */
export function captureLogger(): CofferLogger & {
  calls: { level: string; fields: Record<string, unknown>; message: string }[];
} {
  const calls: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    calls.push({ level, fields, message });
  };
  return { calls, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export async function createSecret(
  client: SecretsManagerClient,
  input: CreateSecretCommandInput,
): Promise<{ arn: string; versionId: string }> {
  const created = await client.send(new CreateSecretCommand(input));
  return { arn: created.ARN ?? '', versionId: created.VersionId ?? '' };
}

export const uniqueName = (prefix: string): string => `${prefix}/${randomUUID().slice(0, 8)}`;

export type ProxyMode = 'pass' | 'refuse' | 'hold' | 'holdResponse';

/**
 * An HTTP proxy in front of the local server that can fail on demand: `refuse` destroys each request's socket
 * (the SDK sees ECONNRESET), `hold` keeps requests until `release()`, `holdResponse` sends them on at once but
 * keeps the answers until `release()`. `requests` counts attempts that reached it.
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
