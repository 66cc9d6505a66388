import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import {
  type LocalSecretsManager,
  type LocalSecretsManagerOptions,
  startLocalSecretsManager,
} from '../src/index.js';

/** A local server on a free port, in memory unless `dataDir` is given. Close it in afterAll/afterEach. */
export async function startTestServer(
  options: LocalSecretsManagerOptions = {},
): Promise<LocalSecretsManager> {
  return startLocalSecretsManager({
    port: 0,
    ...(options.dataDir === undefined ? { inMemory: true } : {}),
    ...options,
  });
}

/**
 * An SDK client signed with the server's admin credential (or the one given). No retries: tests see the
 * first answer. `server` may also be one running in another process, described by the same fields.
 */
export function clientFor(
  server: Pick<LocalSecretsManager, 'endpoint' | 'region' | 'credentials'>,
  credentials: { accessKeyId: string; secretAccessKey: string } = server.credentials,
  config: SecretsManagerClientConfig = {},
): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials,
    maxAttempts: 1,
    ...config,
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
