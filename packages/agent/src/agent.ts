import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { CofferLogger, SecretCache } from 'coffer';
import { Caches } from './caches.js';
import { AgentConfigError } from './errors.js';
import { AgentHandler } from './http/handler.js';
import { type ListenAddress, parseListen } from './http/listen.js';
import { AgentMetrics } from './metrics.js';
import { AGENT_DEFAULTS, type AgentOptions, agentSettings } from './options.js';
import { type PrefetchReport, prefetch } from './prefetch.js';
import { resolveToken, tokenChecker } from './token.js';

/** A running agent. */
export interface Agent extends AsyncDisposable {
  /** `http://127.0.0.1:2773`, or `unix:/path/to/socket` for a Unix socket. */
  readonly url: string;
  readonly address: ListenAddress;
  /** Settles when start-up prefetching is done (at once when nothing is to be prefetched); never rejects. */
  readonly prefetched: Promise<PrefetchReport>;
  /** The cache over the agent's own credentials (roles have their own). */
  readonly cache: SecretCache;
  /** Stops listening, ends open connections and forgets every cached value. */
  close(): Promise<void>;
}

const silent: CofferLogger = {};

/** A Unix socket left behind by an agent that did not exit cleanly (nothing answers on it) is removed. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path) || !lstatSync(path).isSocket()) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive)
    throw new AgentConfigError(
      `Another process is listening on ${path}: stop it or pick another socket path.`,
    );
  unlinkSync(path);
}

/**
 * Starts the agent: an HTTP endpoint compatible with AWS's Secrets Manager agent, backed by Coffer's SecretCache.
 *
 * @example
 * ```ts
 * const agent = await startAgent({ tokenFile: '/var/run/awssmatoken' });
 * // curl -H "X-Aws-Parameters-Secrets-Token: $(cat /var/run/awssmatoken)" \
 * //   'http://127.0.0.1:2773/secretsmanager/get?secretId=prod/db'
 * await agent.close();
 * ```
 */
export async function startAgent(options: AgentOptions = {}): Promise<Agent> {
  const settings = agentSettings(options);
  const logger = options.logger ?? silent;
  const address = parseListen(settings.listen);
  const token = resolveToken(
    options,
    options.tokenEnvVariables ?? AGENT_DEFAULTS.tokenEnvVariables,
    options.env ?? process.env,
  );
  if (!address.loopback) {
    if (!token.fromFile)
      throw new AgentConfigError(
        `Listening on ${settings.listen}, beyond loopback, needs a token read from a file (--token-file, or AWS_TOKEN=file://<path>); ${token.origin} is not one.`,
      );
    logger.warn?.(
      { listen: settings.listen },
      `coffer agent: listening on ${settings.listen}, reachable from other hosts: anything that can reach it and holds the token can read every secret this agent can`,
    );
  }

  let open = 0;
  const metrics = new AgentMetrics(() => open);
  const caches = new Caches(settings, options, logger, (cache) => metrics.follow(cache));
  const handler = new AgentHandler(
    settings,
    caches,
    metrics,
    tokenChecker(token.token),
    () => open,
    options.accessLog,
  );
  const server: Server = createServer({ keepAliveTimeout: 5_000 }, handler.handle);
  // AWS's agent gives up on a request after 61 s.
  server.requestTimeout = 61_000;
  server.on('connection', (socket) => {
    open++;
    socket.once('close', () => open--);
  });

  if (address.kind === 'unix') await clearStaleSocket(address.path);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const ready = () => {
        server.off('error', reject);
        resolve();
      };
      if (address.kind === 'unix') server.listen(address.path, ready);
      else server.listen(address.port, address.host, ready);
    });
  } catch (error) {
    await caches.close();
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AgentConfigError(
      `Cannot listen on ${settings.listen} (${code})${code === 'EADDRINUSE' ? ': another process uses it; stop it or pick another --listen' : ''}.`,
      { cause: error },
    );
  }
  const bound: ListenAddress =
    address.kind === 'unix' ? address : { ...address, port: (server.address() as AddressInfo).port };
  const url =
    bound.kind === 'unix'
      ? `unix:${bound.path}`
      : `http://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}`;
  logger.info?.({ url, tokenFrom: token.origin }, `coffer agent: listening on ${url}`);

  const prefetchOptions = options.prefetch;
  const wanted = (prefetchOptions?.secrets?.length ?? 0) + (prefetchOptions?.filterTags?.length ?? 0) > 0;
  const prefetched: Promise<PrefetchReport> =
    prefetchOptions === undefined || !wanted
      ? Promise.resolve({ loaded: [], failed: [] })
      : prefetch(caches, settings, prefetchOptions, metrics, logger).catch((error: unknown) => {
          logger.error?.({ error: (error as Error).name }, 'coffer agent: prefetching failed');
          return { loaded: [], failed: [] };
        });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await prefetched;
      await caches.close();
    })();
    return closing;
  };
  return {
    url,
    address: bound,
    prefetched,
    cache: caches.default.cache,
    close,
    [Symbol.asyncDispose]: close,
  };
}
