import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import {
  type LocalSecretsManager,
  type LocalSecretsManagerOptions,
  startLocalSecretsManager,
} from '@coffer/local';

/** A local server on a free port, in memory unless `dataDir` is given. Close it in afterAll/afterEach. */
export function startTestServer(options: LocalSecretsManagerOptions = {}): Promise<LocalSecretsManager> {
  return startLocalSecretsManager({
    port: 0,
    ...(options.dataDir === undefined ? { inMemory: true } : {}),
    ...options,
  });
}

export interface TestClientOptions {
  /** @default the server's admin credential */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Another way in, such as a fault proxy in front of the server. @default the server's endpoint */
  endpoint?: string;
  /** The region to sign for (every region is served on the same endpoint). @default the server's default region */
  region?: string;
  /** Any other SDK client setting (region, clock offset, ...). */
  config?: SecretsManagerClientConfig;
}

/**
 * An SDK client for the server, with no SDK retries so tests see the first answer and the server's counts are
 * exact. `server` may also be one running in another process, described by the same fields.
 */
export function clientFor(
  server: Pick<LocalSecretsManager, 'endpoint' | 'region' | 'credentials'>,
  options: TestClientOptions = {},
): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: options.endpoint ?? server.endpoint,
    region: options.region ?? server.region,
    credentials: options.credentials ?? server.credentials,
    maxAttempts: 1,
    ...options.config,
  });
}

/** Runs `fn` and returns the error it throws (fails the test if it does not throw). */
export async function errorOf(
  fn: () => Promise<unknown>,
): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { name: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

type ServerDescription = Pick<LocalSecretsManager, 'endpoint' | 'region' | 'credentials'>;

/** The variables that point the AWS SDK, the AWS CLI and `coffer` at a server. */
export const awsEnvFor = (server: ServerDescription): Record<string, string> => ({
  AWS_ENDPOINT_URL_SECRETS_MANAGER: server.endpoint,
  AWS_REGION: server.region,
  AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
});

/** The `export NAME=value` lines `coffer serve` and `coffer env` print, read back (shell quoting undone). */
export function exportsIn(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const match of text.matchAll(/^export (\w+)=(.*)$/gm)) {
    const [, name = '', raw = ''] = match;
    vars[name] = raw.startsWith("'") ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw;
  }
  return vars;
}

/** A server described by those variables, for clientFor. */
export const serverFromEnv = (vars: Record<string, string | undefined>): ServerDescription => ({
  endpoint: vars.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '',
  region: vars.AWS_REGION ?? '',
  credentials: {
    accessKeyId: vars.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: vars.AWS_SECRET_ACCESS_KEY ?? '',
  },
});
